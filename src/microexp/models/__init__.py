"""Architectures and plain estimators, one per module, in one registry (see :mod:`.registry`)."""
from .registry import create_model, get_spec, list_models, register_model

__all__ = ["create_model", "get_spec", "list_models", "register_model"]
