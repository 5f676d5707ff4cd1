"""Apex spotting evaluation: MAE in frames under 5-fold (by samples) or leave-one-subject-out CV.

Paper 004 (Sec. 3.6, Eq. 1): spotting is scored by the mean absolute frame error between the
predicted and annotated apex, with 5-fold cross-validation that splits samples (not subjects).
LOSO (by subject) is offered too: it is the stricter test of generalisation to new faces.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, ProtocolError
from .continuous_labels import frame_labels
from .decoders import SW_MAX_WINDOW, decode_apex

#: Paper 004, Sec. 3.6: 5-fold cross-validation split by samples (ratio 4:1).
PAPER_SPOTTING_FOLDS = 5


def mean_absolute_error(predicted, true) -> float:
    """Mean |predicted - true| apex frame error (paper 004, Eq. 1)."""
    p, t = np.asarray(predicted, float).ravel(), np.asarray(true, float).ravel()
    if p.shape != t.shape or p.size == 0:
        raise DataError(f"MAE needs two equal, non-empty vectors, got {p.shape} and {t.shape}")
    return float(np.mean(np.abs(p - t)))


def sample_folds(n_samples: int, n_folds: int = PAPER_SPOTTING_FOLDS, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs of a shuffled k-fold split by samples (paper 004)."""
    if n_samples < n_folds:
        raise ProtocolError(f"{n_folds}-fold cross-validation needs at least {n_folds} samples, got {n_samples}")
    order = np.random.default_rng(seed).permutation(n_samples)
    for test in np.array_split(order, n_folds):
        yield np.setdiff1d(order, test), np.sort(test)


def subject_folds(subjects: Sequence) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index pairs of leave-one-subject-out."""
    subjects = np.asarray(subjects)
    unique = pd.unique(subjects)
    if len(unique) < 2:
        raise ProtocolError(f"leave-one-subject-out needs at least 2 subjects, got {len(unique)}")
    for s in unique:
        yield np.flatnonzero(subjects != s), np.flatnonzero(subjects == s)


@dataclass
class SpottingClip:
    """Regressor input of one annotated clip: flow images of frames onset..offset."""

    inputs: np.ndarray  # (offset - onset + 1, C, S, S)
    onset: int
    apex: int
    offset: int
    subject: str = ""
    clip: str = ""


def _training_frames(clip: SpottingClip, stride: int) -> np.ndarray:
    """Every ``stride``-th frame, and always the apex (the impulse label lives there only)."""
    n = clip.offset - clip.onset + 1
    return np.union1d(np.arange(0, n, max(1, stride)), [clip.apex - clip.onset])


def cross_validate_spotter(clips: list[SpottingClip], make_regressor: Callable[[], object], label_kind: str,
                           folds: Iterator[tuple[np.ndarray, np.ndarray]], window: int = SW_MAX_WINDOW,
                           train_frame_stride: int = 1) -> tuple[pd.DataFrame, dict[int, np.ndarray]]:
    """Train on each fold's training clips, predict every test clip's intensity curve.

    ``train_frame_stride`` > 1 trains on every n-th frame of each training clip (neighbouring
    frames are nearly duplicates; this saves CPU time); test clips are always predicted whole.

    Returns per-clip predictions (columns clip, subject, fold, true_apex, apex_max, apex_sw_max)
    and the predicted curves by clip index (curves cover onset..offset).
    """
    rows, curves = [], {}
    for fold, (train, test) in enumerate(folds):
        if len(train) == 0 or len(test) == 0:
            raise ProtocolError(f"fold {fold} has an empty training or test part")
        keep = [_training_frames(clips[i], train_frame_stride) for i in train]
        X = np.concatenate([clips[i].inputs[k] for i, k in zip(train, keep)])
        y = np.concatenate([frame_labels(c.offset - c.onset + 1, 0, c.apex - c.onset, c.offset - c.onset,
                                         label_kind)[k] for c, k in zip((clips[i] for i in train), keep)])
        reg = make_regressor().fit(X, y)
        for i in test:
            c = clips[i]
            curve = reg.predict(c.inputs)
            curves[int(i)] = curve
            rows.append({"index": int(i), "clip": c.clip, "subject": c.subject, "fold": fold,
                         "onset": c.onset, "offset": c.offset, "true_apex": c.apex,
                         "apex_max": c.onset + decode_apex(curve, "max"),
                         "apex_sw_max": c.onset + decode_apex(curve, "sw_max", window)})
    return pd.DataFrame(rows).sort_values("index").reset_index(drop=True), curves


def spotting_mae(predictions: pd.DataFrame) -> dict[str, float]:
    """MAE of every ``apex_*`` column against ``true_apex``."""
    return {col[len("apex_"):]: mean_absolute_error(predictions[col], predictions["true_apex"])
            for col in predictions.columns if col.startswith("apex_")}
