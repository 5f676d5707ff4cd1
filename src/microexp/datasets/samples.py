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
for ``"flow"`` on every row and caches the stacked result. ``sources`` names, per kind, the
column holding the file each row's array is read from, so that an error (e.g. one image of
another size than the rest) names that file and the row (``csv_row`` or ``sheet_row``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import DataError

REQUIRED_COLUMNS = ("dataset", "subject", "clip", "label", "y", "onset", "apex", "offset")
#: Columns that hold a row's number in the file it was read from (first present wins).
ROW_NUMBER_COLUMNS = ("csv_row", "sheet_row")

RowLoader = Callable[[pd.Series, int], np.ndarray]


@dataclass
class SampleTable:
    """Samples of one or more databases, with lazily loaded per-sample arrays."""

    df: pd.DataFrame
    classes: tuple[str, ...]
    loaders: dict[str, RowLoader] = field(default_factory=dict)
    name: str = ""
    sources: dict[str, str] = field(default_factory=dict)
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
            items = [np.asarray(loader(row, i)) for i, row in self.df.iterrows()]
            if not items:
                raise DataError(f"table {self.name!r} has no rows to load {kind!r} data of")
            self._check_same_shape(kind, items)
            self._cache[kind] = np.stack(items)
        return self._cache[kind]

    def _check_same_shape(self, kind: str, items: list[np.ndarray]) -> None:
        """Arrays of one kind stack only when they share a shape: name the first row whose array
        differs from the most common shape (e.g. one 32×32 image among 28×28 ones)."""
        shapes = Counter(a.shape for a in items)
        if len(shapes) == 1:
            return
        expected, n = shapes.most_common(1)[0]
        i = next(k for k, a in enumerate(items) if a.shape != expected)
        row = self.df.iloc[i]
        column = self.sources.get(kind)
        path = row[column] if column and column in row.index and row[column] else None
        number = next((int(row[c]) for c in ROW_NUMBER_COLUMNS if c in row.index and pd.notna(row[c])), None)
        where = "" if path is not None or number is not None else f" (sample {row['subject']}/{row['clip']})"
        raise DataError(f"{kind} data is {_size(items[i].shape)}, expected {_size(expected)} "
                        f"like {n} of the {len(items)} samples{where}", path, number)

    def subset(self, mask_or_index) -> "SampleTable":
        """Rows selected by a boolean mask or an index array, loaders and cache kept consistent."""
        idx = np.asarray(mask_or_index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        sub = SampleTable(self.df.iloc[idx].copy(), self.classes, dict(self.loaders), self.name, dict(self.sources))
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


def _size(shape: tuple[int, ...]) -> str:
    """``(3, 28, 28)`` → ``'3×28×28'``."""
    return "×".join(str(d) for d in shape) if shape else "a scalar"
