"""microexp: micro-expression spotting and recognition, end to end and leak-free."""

__version__ = "0.1.0"
