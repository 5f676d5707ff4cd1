"""Estimators from names and configs: the one place that turns ``model: NAME`` (+ kwargs, trainer
settings, seed) into an object with ``fit(X, y, groups)`` / ``predict(X)``.

Deep architectures from :mod:`microexp.models` are wrapped in the shared trainer
(:class:`~microexp.training.classifier.TorchClassifier`); plain estimators and the composed
recognisers of this package (ensembles, ``nested``, ``svm_tuned``) are built as they are.
``best`` names the strongest honest recogniser of the benchmark table.
"""
from __future__ import annotations

import importlib
import inspect

from ..models import registry as _registry
from ..models.registry import ModelSpec

#: Modules of this layer whose import registers recognisers in the one registry.
RECOGNISER_MODULES: tuple[str, ...] = (
    "microexp.recognisers.model_selection",
    "microexp.recognisers.ensemble",
    "microexp.recognisers.au_detection",
)
#: The recogniser ``--model best`` runs: the best honest-LOSO model of benchmarks/megc2019.py on
#: the MEGC2019 composite (see docs/models.md).
BEST_MODEL = "flow_ensemble_standardised_net"
_registry.ALIASES.setdefault("best", BEST_MODEL)
_loaded = False


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for mod in RECOGNISER_MODULES:
            importlib.import_module(mod)
        _loaded = True


def list_models(family: str | None = None) -> list[str]:
    """Every registered name: architectures, plain estimators and composed recognisers."""
    _load_all()
    return _registry.list_models(family)


def get_spec(name: str) -> ModelSpec:
    _load_all()
    return _registry.get_spec(name)


def resolve_name(name: str) -> str:
    """The registered name behind an alias (``best`` → the benchmark's winner)."""
    return get_spec(name).name


def create_model(name: str, **kwargs):
    _load_all()
    return _registry.create_model(name, **kwargs)


def input_kind_of(name: str, model_kwargs: dict | None = None) -> str:
    """The array a configured model eats; a wrapper registered with ``input_kind="base"`` eats its
    ``base`` model's (``model_kwargs["base"]``, else the wrapper's own default ``base``)."""
    spec = get_spec(name)
    if spec.input_kind != "base":
        return spec.input_kind
    base = (model_kwargs or {}).get("base") or create_model(spec.name).base
    return input_kind_of(base)


def create_estimator(name: str, *, num_classes: int, seed: int = 0, trainer: dict | None = None, **model_kwargs):
    """An object with ``fit(X, y, groups)`` / ``predict(X)`` for the evaluation protocols."""
    spec = get_spec(name)
    if spec.family == "sklearn":
        if trainer and "trainer" in inspect.signature(spec.constructor).parameters:
            model_kwargs = {**model_kwargs, "trainer": {**trainer, **(model_kwargs.get("trainer") or {})}}
        return create_model(spec.name, seed=seed, **model_kwargs)
    from ..training.classifier import TorchClassifier

    return TorchClassifier(spec.name, num_classes=num_classes, seed=seed, model_kwargs=model_kwargs, **(trainer or {}))
