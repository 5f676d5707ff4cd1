"""One config model for every job: declared fields with types and defaults, one YAML loader,
unknown keys refused naming the file and the key.

A job's settings are a dataclass deriving from :class:`ConfigModel`. ``Job.load(path)`` reads a
YAML file (safe loader only: a tag that would build a Python object is refused with the file and
line), checks every key against the declared fields and every value against its type, and
returns the dataclass. ``to_dict()`` gives the plain mapping a run writes as ``config.yaml``;
loading that file again gives the same settings, so a run's own ``config.yaml`` reproduces it.

Experiment files name registered things (``model: ststnet``, ``protocol: loso``), BasicSR-style;
the names are checked where they are used, against their registries.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from .errors import ConfigError

C = TypeVar("C", bound="ConfigModel")


def read_yaml(path: str | Path) -> dict:
    """A YAML mapping from ``path``; :class:`ConfigError` naming the file (and line) when it is
    missing, unreadable, malformed, uses an unsafe tag, or is not a mapping."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        line = f", line {exc.problem_mark.line + 1}" if exc.problem_mark is not None else ""
        raise ConfigError(f"{path}{line}: unsupported YAML tag ({exc.problem}); configs hold plain values only") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{line}: malformed YAML ({problem})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a mapping of keys to values, found {type(data).__name__}")
    return data


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _check_value(value: Any, tp: Any, where: str) -> Any:
    """``value`` converted to the declared type ``tp`` (int → float allowed; lists for tuples),
    or a :class:`ConfigError` naming ``where``."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _check_value(value, arg, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {' or '.join(_type_name(a) for a in args)}, got {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (inner, *_) = typing.get_args(tp) or (Any,)
        items = [_check_value(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(tp, type) and issubclass(tp, ConfigModel):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return tp.from_dict(value, source=where)
    return value


@dataclasses.dataclass
class ConfigModel:
    """Base of every job's settings. Subclasses are dataclasses whose fields are the keys a
    config file may hold; ``INFORMATIONAL`` names keys a run writes for the record (a fingerprint,
    the version) that are accepted when reading and never change the settings."""

    INFORMATIONAL: ClassVar[tuple[str, ...]] = ()
    #: Shown in error messages: what kind of config this is.
    KIND: ClassVar[str] = "config"

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls: type[C], data: dict, source: str | Path = "<config>") -> C:
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: a {cls.KIND} must be a mapping, found {type(data).__name__}")
        names = cls.field_names()
        unknown = [k for k in data if k not in names and k not in cls.INFORMATIONAL]
        if unknown:
            raise ConfigError(f"{source}: unknown key {unknown[0]!r} in a {cls.KIND}"
                              + (f" (also {unknown[1:]})" if len(unknown) > 1 else "")
                              + f"; allowed keys: {', '.join(names)}")
        hints = typing.get_type_hints(cls)
        values = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                values[f.name] = _check_value(data[f.name], hints[f.name], f"{source}: key {f.name!r}")
        try:
            obj = cls(**values)
        except TypeError as exc:  # a required field is missing
            raise ConfigError(f"{source}: {exc}") from exc
        obj.validate(str(source))
        return obj

    @classmethod
    def load(cls: type[C], path: str | Path) -> C:
        """The settings in the YAML file ``path`` (see the module docstring)."""
        return cls.from_dict(read_yaml(path), source=Path(path))

    def validate(self, source: str) -> None:
        """Checks across fields; subclasses raise :class:`ConfigError` naming ``source``."""

    def to_dict(self) -> dict:
        from .io import plain

        return plain({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    def replace(self: C, **changes) -> C:
        return dataclasses.replace(self, **changes)

    def save(self, path: str | Path, **record) -> Path:
        """Write the settings (plus informational ``record`` keys) as YAML, atomically."""
        from .io import atomic_write_text, yaml_text

        return atomic_write_text(path, yaml_text({**self.to_dict(), **record}))
