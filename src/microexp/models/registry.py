"""One registry of recognisers: ``@register_model`` fills a name → constructor map.

``create_model(name, **kw)`` builds the bare model (an ``nn.Module`` for deep models, a scikit-learn
estimator for classical ones); ``create_estimator(name, num_classes=…, seed=…)`` builds something
with ``fit(X, y, groups)`` / ``predict(X)`` that the evaluation protocols drive, wrapping deep models
in the shared trainer.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ConfigError

#: Modules whose import registers models; imported on first use of the registry.
MODEL_MODULES: tuple[str, ...] = (
    "microexp.models.svm",
    "microexp.models.ststnet",
    "microexp.models.offapexnet",
    "microexp.models.ocnet",
    "microexp.models.vggm",
    "microexp.models.smallcnn",
    "microexp.models.resnet_abn_arcface",
    "microexp.models.cropnet",
    "microexp.models.lbptop_svm",
    # estimators composed of trainers or tuned inside the training fold live with the trainer;
    # imported by name, like create_estimator does
    "microexp.training.model_selection",
    "microexp.training.ensemble",
)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    constructor: Callable[..., Any]
    input_kind: str  # which array the model eats: "flow", "face", "lbptop", "frames3", …
    family: str  # "torch" or "sklearn"
    paper: str = ""
    defaults: dict = field(default_factory=dict)


_REGISTRY: dict[str, ModelSpec] = {}
#: Other names for registered models; ``best`` is the strongest recogniser of the benchmark table.
ALIASES: dict[str, str] = {"best": "flow_ensemble"}
_loaded = False


def register_model(name: str, *, input_kind: str, family: str = "torch", paper: str = "", **defaults):
    """Decorator registering ``fn`` (a model class or factory) under ``name``."""

    def wrap(fn):
        if name in _REGISTRY and _REGISTRY[name].constructor is not fn:
            raise ConfigError(f"model {name!r} registered twice")
        _REGISTRY[name] = ModelSpec(name, fn, input_kind, family, paper, dict(defaults))
        return fn

    return wrap


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for mod in MODEL_MODULES:
            importlib.import_module(mod)
        _loaded = True


def list_models(family: str | None = None) -> list[str]:
    _load_all()
    return sorted(n for n, s in _REGISTRY.items() if family is None or s.family == family)


def resolve_name(name: str) -> str:
    """The registered name behind an alias (``best`` → the benchmark's winner)."""
    _load_all()
    return ALIASES.get(name, name)


def get_spec(name: str) -> ModelSpec:
    _load_all()
    name = ALIASES.get(name, name)
    if name not in _REGISTRY:
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def input_kind_of(name: str, model_kwargs: dict | None = None) -> str:
    """The array a configured model eats; a wrapper registered with ``input_kind="base"`` eats its
    ``base`` model's (``model_kwargs["base"]``, else the wrapper's own default ``base``)."""
    spec = get_spec(name)
    if spec.input_kind != "base":
        return spec.input_kind
    base = (model_kwargs or {}).get("base") or create_model(spec.name).base
    return input_kind_of(base)


def create_model(name: str, **kwargs):
    spec = get_spec(name)
    return spec.constructor(**{**spec.defaults, **kwargs})


def create_estimator(name: str, *, num_classes: int, seed: int = 0, trainer: dict | None = None, **model_kwargs):
    """An object with ``fit(X, y, groups)`` / ``predict(X)`` for the evaluation protocols."""
    spec = get_spec(name)
    if spec.family == "sklearn":
        return create_model(name, seed=seed, **model_kwargs)
    from ..training.classifier import TorchClassifier

    return TorchClassifier(spec.name, num_classes=num_classes, seed=seed, model_kwargs=model_kwargs, **(trainer or {}))
