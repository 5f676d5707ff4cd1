"""Database readers. Each returns a :class:`SampleTable`; ``load_dataset`` dispatches by name."""
from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import ConfigError, DataError
from .samples import SampleTable

#: name → "module:function"; the function takes the root folder (or file) and keyword options.
DATASET_LOADERS: dict[str, str] = {
    "megc2019": "microexp.datasets.megc2019:load_megc2019",
    "casme2": "microexp.datasets.casme2:load_casme2",
    "samm": "microexp.datasets.samm:load_samm",
    "smic": "microexp.datasets.smic:load_smic",
    "casme3": "microexp.datasets.casme3:load_casme3",
    "video": "microexp.datasets.video:load_video",
    "preprocessed": "microexp.datasets.preprocessed:load_preprocessed",
}


def load_dataset(name: str, root: str | Path, **kwargs) -> SampleTable:
    """Read database ``name`` from ``root`` (raises :class:`DataError` naming the missing path)."""
    if name not in DATASET_LOADERS:
        raise ConfigError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASET_LOADERS))}")
    root = Path(root)
    if not root.exists():
        raise DataError(f"{name} root does not exist", root)
    module, func = DATASET_LOADERS[name].split(":")
    return getattr(importlib.import_module(module), func)(root, **kwargs)


__all__ = ["DATASET_LOADERS", "SampleTable", "load_dataset"]
