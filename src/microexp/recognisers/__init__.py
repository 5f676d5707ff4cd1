"""Recognisers: estimators built from names and configs, ensembles, models tuned inside the
training fold, persistence of fitted recognisers, and the ``best`` alias."""
from .factory import BEST_MODEL, create_estimator, create_model, get_spec, input_kind_of, list_models, resolve_name

__all__ = ["BEST_MODEL", "create_estimator", "create_model", "get_spec", "input_kind_of", "list_models",
           "resolve_name"]
