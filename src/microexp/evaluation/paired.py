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
from ..metrics import uf1_uar_from_confusion


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

    k = int(num_classes)
    for name, values in (("y_true", y), *((f"run {i} of {n}", r) for n, rr in (("preds_a", a), ("preds_b", b))
                                          for i, r in enumerate(rr))):
        if len(values) and (values.min() < 0 or values.max() >= k):
            raise DataError(f"{name}: class indices must lie in 0 .. {k - 1}")
    uniq, subject_of = np.unique(subjects, return_inverse=True)
    # one confusion matrix per run and subject: a resample's matrix is a weighted sum of them
    cells = np.stack([np.stack([np.bincount(subject_of * k * k + y * k + p, minlength=len(uniq) * k * k)
                                for p in runs]) for runs in (a, b)]).reshape(2, len(a), len(uniq), k * k)

    def scores(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean over seeds of (a − b) UF1 and UAR for each row of subject ``weights`` (R, S)."""
        cm = np.einsum("rs,cnsq->rcnq", weights, cells).reshape(len(weights), 2, len(a), k, k)
        uf1, uar = uf1_uar_from_confusion(cm)
        return (uf1[:, 0] - uf1[:, 1]).mean(axis=1), (uar[:, 0] - uar[:, 1]).mean(axis=1)

    rng = np.random.default_rng(seed)
    picks = np.array([rng.choice(len(uniq), size=len(uniq), replace=True) for _ in range(n_resamples)], dtype=int)
    weights = np.stack([np.bincount(p, minlength=len(uniq)) for p in picks]) if n_resamples else None
    full_f1, full_ar = scores(np.ones((1, len(uniq))))
    uf1, uar = float(full_f1[0]), float(full_ar[0])
    if weights is not None:
        draw_f1, draw_ar = scores(weights.astype(float))
        lo, hi = np.percentile(np.stack([draw_f1, draw_ar], axis=1), [2.5, 97.5], axis=0)
    else:
        lo = hi = np.full(2, np.nan)
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
