"""A dataset is a table of samples (one row per clip) plus lazily loaded arrays.

Columns every loader fills (others may be added):

========== ==================================================================
dataset    database name (``casme2``, ``samm``, ``smic``, ``casme3``, ``megc2019`` …)
subject    subject id, unique across databases (``casme2/sub01``)
clip       clip id within the subject
label      class name within ``classes``
y          integer class index into ``classes``
onset      onset frame number (nullable)
apex       apex frame number (nullable)
offset     offset frame number (nullable)
========== ==================================================================

Arrays are not loaded until asked for: ``table.arrays("flow")`` calls the loader registered
for ``"flow"`` on every row and caches the stacked result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import DataError

REQUIRED_COLUMNS = ("dataset", "subject", "clip", "label", "y", "onset", "apex", "offset")

RowLoader = Callable[[pd.Series, int], np.ndarray]


@dataclass
class SampleTable:
    """Samples of one or more databases, with lazily loaded per-sample arrays."""

    df: pd.DataFrame
    classes: tuple[str, ...]
    loaders: dict[str, RowLoader] = field(default_factory=dict)
    name: str = ""
    _cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        missing = [c for c in REQUIRED_COLUMNS if c not in self.df.columns]
        if missing:
            raise DataError(f"sample table lacks columns {missing}")
        self.df = self.df.reset_index(drop=True)
        for col in ("onset", "apex", "offset"):
            self.df[col] = pd.array(self.df[col], dtype="Int64")
        self.df["y"] = self.df["y"].astype(int)

    def __len__(self) -> int:
        return len(self.df)

    @property
    def y(self) -> np.ndarray:
        return self.df["y"].to_numpy()

    @property
    def subjects(self) -> np.ndarray:
        return self.df["subject"].to_numpy()

    @property
    def datasets(self) -> np.ndarray:
        return self.df["dataset"].to_numpy()

    @property
    def kinds(self) -> list[str]:
        """Array kinds this table can load (``flow``, ``face``, ``frames`` …)."""
        return sorted(self.loaders)

    def arrays(self, kind: str) -> np.ndarray:
        """Stacked arrays of ``kind`` for every row (loaded once, then cached)."""
        if kind not in self.loaders:
            raise DataError(f"table {self.name!r} has no {kind!r} data; it has {self.kinds}")
        if kind not in self._cache:
            loader = self.loaders[kind]
            self._cache[kind] = np.stack([loader(row, i) for i, row in self.df.iterrows()])
        return self._cache[kind]

    def subset(self, mask_or_index) -> "SampleTable":
        """Rows selected by a boolean mask or an index array, loaders and cache kept consistent."""
        idx = np.asarray(mask_or_index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        sub = SampleTable(self.df.iloc[idx].copy(), self.classes, dict(self.loaders), self.name)
        sub._cache = {k: v[idx] for k, v in self._cache.items()}
        return sub

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.y, minlength=len(self.classes))
        return {c: int(n) for c, n in zip(self.classes, counts)}

    def summary(self) -> pd.DataFrame:
        """Samples per database and class, and subjects per database."""
        t = pd.crosstab(self.df["dataset"], self.df["label"]).reindex(columns=list(self.classes), fill_value=0)
        t["samples"] = t.sum(axis=1)
        t["subjects"] = self.df.groupby("dataset")["subject"].nunique()
        return t
