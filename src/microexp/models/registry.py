"""One registry of models: ``@register_model`` fills a name → constructor map.

``create_model(name, **kw)`` builds the bare model (an ``nn.Module`` for deep models, a scikit-learn
estimator for classical ones). Architectures and plain estimators register here when their module
under ``microexp.models`` is imported; composed recognisers (ensembles, models tuned inside the
training fold) register from :mod:`microexp.recognisers`, the layer above the trainer, which also
builds fit/predict estimators from names and configs (``create_estimator``) and owns the ``best``
alias. This module imports nothing above ``microexp.models``.
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
    "microexp.models.htnet",
    "microexp.models.sssnet",
    "microexp.models.rcn",
    "microexp.models.dual_inception",
    "microexp.models.featref",
)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    constructor: Callable[..., Any]
    input_kind: str  # which array the model eats: "flow", "face", "lbptop", "frames3", …
    family: str  # "torch" or "sklearn"
    paper: str = ""
    defaults: dict = field(default_factory=dict)
    task: str = "emotion"  # what it predicts: "emotion" (one class per sample) or "action_units" (many labels)


_REGISTRY: dict[str, ModelSpec] = {}
#: Other names for registered models, filled by the layers that own them (``best``: recognisers).
ALIASES: dict[str, str] = {}
_loaded = False


def register_model(name: str, *, input_kind: str, family: str = "torch", paper: str = "", task: str = "emotion",
                   **defaults):
    """Decorator registering ``fn`` (a model class or factory) under ``name``."""

    def wrap(fn):
        if name in _REGISTRY and _REGISTRY[name].constructor is not fn:
            raise ConfigError(f"model {name!r} registered twice")
        _REGISTRY[name] = ModelSpec(name, fn, input_kind, family, paper, dict(defaults), task)
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
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(sorted(_REGISTRY))} (composed "
                          "recognisers such as ensembles are listed once microexp.recognisers is imported)")
    return _REGISTRY[name]


def create_model(name: str, **kwargs):
    spec = get_spec(name)
    return spec.constructor(**{**spec.defaults, **kwargs})
