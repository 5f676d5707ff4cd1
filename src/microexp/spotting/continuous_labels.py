"""Continuous per-frame intensity labels pivoted on onset, apex and offset.

Paper 004 (Fig. 6) trains a regressor on onset→frame optical flow against a continuous label
that is 0 at the onset and offset and 1 at the apex; the label shape is one of
linear, exponential (both from Koo et al., paper 004 ref. [12]), log or impulse (paper 004).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import DataError

#: The label shapes of paper 004, Fig. 6.
LABEL_KINDS: tuple[str, ...] = ("linear", "exponential", "log", "impulse")

#: Growth constant of the exponential and log shapes; with e the two are exact inverses of each
#: other on [0, 1] (the paper draws them mirrored about the linear ramp, Fig. 6).
LABEL_CURVATURE = math.e


def _shape(x: np.ndarray, kind: str) -> np.ndarray:
    """Map the linear ramp position ``x`` in [0, 1] (1 at the apex) to the label value."""
    if kind == "linear":
        return x
    if kind == "exponential":
        return (np.power(LABEL_CURVATURE, x) - 1.0) / (LABEL_CURVATURE - 1.0)
    if kind == "log":
        return np.log1p((LABEL_CURVATURE - 1.0) * x) / math.log(LABEL_CURVATURE)
    if kind == "impulse":
        return (x >= 1.0).astype(float)
    raise DataError(f"unknown label kind {kind!r}; expected one of {LABEL_KINDS}")


def check_key_frames(n_frames: int, onset: int, apex: int, offset: int | None) -> tuple[int, int, int]:
    """Validate ``0 <= onset <= apex <= offset < n_frames`` and return the three as ints."""
    offset = n_frames - 1 if offset is None else int(offset)
    onset, apex = int(onset), int(apex)
    if not 0 <= onset <= apex <= offset < n_frames:
        raise DataError(f"key frames must satisfy 0 <= onset <= apex <= offset < n_frames, got "
                        f"onset={onset}, apex={apex}, offset={offset}, n_frames={n_frames}")
    return onset, apex, offset


def frame_labels(n_frames: int, onset: int, apex: int, offset: int | None, kind: str = "linear") -> np.ndarray:
    """Continuous label of every frame: 0 outside and at the ends of [onset, offset], 1 at the apex.

    Returns a ``(n_frames,)`` float array. The rising side is the shape of the ramp
    ``(t - onset) / (apex - onset)``, the falling side that of ``(offset - t) / (offset - apex)``.
    """
    if kind not in LABEL_KINDS:
        raise DataError(f"unknown label kind {kind!r}; expected one of {LABEL_KINDS}")
    onset, apex, offset = check_key_frames(n_frames, onset, apex, offset)
    t = np.arange(n_frames, dtype=float)
    ramp = np.zeros(n_frames)
    rise = (t >= onset) & (t < apex)
    ramp[rise] = (t[rise] - onset) / (apex - onset)
    fall = (t > apex) & (t <= offset)
    ramp[fall] = (offset - t[fall]) / (offset - apex)
    ramp[apex] = 1.0
    return _shape(ramp, kind)
