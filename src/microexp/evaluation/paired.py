"""Paired comparison of two recognisers on the same test samples, with an interval over subjects.

Two conditions (say, trained with and without synthetic flows) are scored on the same LOSO
predictions. The difference of their pooled UF1 / UAR is taken per seed and averaged over seeds;
its 95 % interval comes from resampling test subjects with replacement, the same subjects for both
conditions and every seed, so what varies is which people were tested, not which samples were
paired.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import DataError
from ..metrics import unweighted_average_recall, unweighted_f1


def _as_runs(preds, n: int, name: str) -> list[np.ndarray]:
    runs = [np.asarray(p, dtype=int) for p in (preds if isinstance(preds, (list, tuple)) else [preds])]
    if not runs or any(r.shape != (n,) for r in runs):
        raise DataError(f"{name}: every run needs one prediction per test sample ({n})")
    return runs


def paired_subject_bootstrap(preds_a, preds_b, y_true, subjects, num_classes: int, n_resamples: int = 2000,
                             seed: int = 0) -> dict:
    """Mean over seeds of (a − b) in pooled UF1 and UAR, with 95 % subject-bootstrap intervals.

    ``preds_a`` / ``preds_b``: one array of predicted class indices per seed (or a single array),
    row-aligned with ``y_true`` and ``subjects``; seed ``i`` of ``a`` is paired with seed ``i`` of
    ``b``. Also reports how many samples only one condition got right (pooled over seeds).
    """
    y = np.asarray(y_true, dtype=int)
    subjects = np.asarray(subjects)
    a, b = _as_runs(preds_a, len(y), "preds_a"), _as_runs(preds_b, len(y), "preds_b")
    if len(a) != len(b):
        raise DataError(f"{len(a)} runs of the first condition but {len(b)} of the second: seeds must pair up")
    if len(subjects) != len(y):
        raise DataError(f"{len(subjects)} subjects for {len(y)} samples")

    def diff(rows: np.ndarray) -> tuple[float, float]:
        f = [unweighted_f1(y[rows], pa[rows], num_classes) - unweighted_f1(y[rows], pb[rows], num_classes)
             for pa, pb in zip(a, b)]
        r = [unweighted_average_recall(y[rows], pa[rows], num_classes)
             - unweighted_average_recall(y[rows], pb[rows], num_classes) for pa, pb in zip(a, b)]
        return float(np.mean(f)), float(np.mean(r))

    uniq = np.unique(subjects)
    index = {s: np.flatnonzero(subjects == s) for s in uniq}
    rng = np.random.default_rng(seed)
    draws = np.array([diff(np.concatenate([index[s] for s in rng.choice(uniq, size=len(uniq), replace=True)]))
                      for _ in range(n_resamples)]) if n_resamples else np.full((1, 2), np.nan)
    uf1, uar = diff(np.arange(len(y)))
    lo, hi = np.percentile(draws, [2.5, 97.5], axis=0)
    return {"uf1_difference": uf1, "uf1_ci95": [float(lo[0]), float(hi[0])],
            "uar_difference": uar, "uar_ci95": [float(lo[1]), float(hi[1])],
            "seeds": len(a), "subjects": int(len(uniq)), "resamples": int(n_resamples),
            "only_first_correct": int(sum(((pa == y) & (pb != y)).sum() for pa, pb in zip(a, b))),
            "only_second_correct": int(sum(((pa != y) & (pb == y)).sum() for pa, pb in zip(a, b)))}


def mean_and_std(values: Sequence[float]) -> dict:
    """``{"mean", "std", "values"}`` of per-seed figures (sample standard deviation, 0 for one seed)."""
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "values": [float(x) for x in v]}
