"""Recognisers: one registry, one architecture per module."""
from .registry import ALIASES, create_estimator, create_model, get_spec, list_models, register_model, resolve_name

__all__ = ["ALIASES", "resolve_name", "create_estimator", "create_model", "get_spec", "list_models", "register_model"]
