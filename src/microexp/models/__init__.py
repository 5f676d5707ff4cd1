"""Recognisers: one registry, one architecture per module."""
from .registry import ALIASES, create_estimator, create_model, get_spec, list_models, register_model, resolve_name

#: The recogniser ``--model best`` runs (``ALIASES["best"]``): the best honest-LOSO model of
#: benchmarks/megc2019.py on the MEGC2019 composite (see docs/models.md).
BEST_MODEL = ALIASES["best"]

__all__ = ["BEST_MODEL", "ALIASES", "resolve_name", "create_estimator", "create_model", "get_spec", "list_models", "register_model"]
