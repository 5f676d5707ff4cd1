"""Inner validation splits made of training subjects only (for early stopping)."""
from __future__ import annotations

import numpy as np

from ..errors import ProtocolError


def inner_subject_split(groups, y, fraction: float, seed: int):
    """Hold out about ``fraction`` of the training subjects (≥ 1) for validation.

    Returns (train_idx, val_idx, val_subjects). Every subject goes wholly to one side, so a
    validation score measures generalisation to unseen people, as the outer protocol does. The
    draw is repeated (seeded) until the remaining training samples hold every class they held.
    """
    groups, y = np.asarray(groups), np.asarray(y)
    subjects = np.array(sorted(set(groups.tolist())), dtype=object)
    if len(subjects) < 2:
        raise ProtocolError("early stopping needs at least two training subjects for an inner validation split")
    n_val = min(len(subjects) - 1, max(1, int(round(fraction * len(subjects)))))
    rng = np.random.default_rng(seed)
    all_classes = set(np.unique(y).tolist())
    for _ in range(100):
        val_subjects = set(rng.choice(subjects, size=n_val, replace=False).tolist())
        is_val = np.array([g in val_subjects for g in groups.tolist()])
        if set(np.unique(y[~is_val]).tolist()) == all_classes:
            break
    return np.flatnonzero(~is_val), np.flatnonzero(is_val), sorted(val_subjects)
