"""Training-free apex spotting: the frame where onset→frame motion peaks.

The motion of frame t is the mean optical-flow magnitude (or optical-strain magnitude) from the
onset to t over the face, optionally without the eyes (blinks) and after subtracting the nose's
median flow (head motion); the curve is smoothed before its peak is taken.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..errors import DataError
from .flow_features import strain_magnitude

#: Temporal smoothing of the motion curve (frames); one-frame flow glitches should not win.
BASELINE_SMOOTHING_SIGMA = 1.0

MOTION_SIGNALS: tuple[str, ...] = ("magnitude", "strain")


def compensate_head_motion(flows: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """Subtract each frame's median flow over ``reference`` (a boolean (H, W) mask) or the whole
    frame when ``reference`` is None: a translation of the head moves every pixel alike."""
    region = flows[:, reference] if reference is not None else flows.reshape(len(flows), -1, 2)
    return flows - np.median(region, axis=1)[:, None, None, :]


def motion_curve(flows: np.ndarray, signal: str = "magnitude", exclude: np.ndarray | None = None,
                 head_reference: np.ndarray | None = None, compensate_head: bool = False) -> np.ndarray:
    """``(T, H, W, 2)`` flows → ``(T,)`` mean motion over the face minus ``exclude``."""
    if signal not in MOTION_SIGNALS:
        raise DataError(f"unknown motion signal {signal!r}; expected one of {MOTION_SIGNALS}")
    flows = np.asarray(flows, np.float32)
    if compensate_head:
        flows = compensate_head_motion(flows, head_reference)
    if signal == "magnitude":
        maps = np.linalg.norm(flows, axis=-1)
    else:
        maps = np.stack([strain_magnitude(f) for f in flows])
    keep = np.ones(maps.shape[1:], bool) if exclude is None else ~np.asarray(exclude, bool)
    if not keep.any():
        raise DataError("the excluded region covers the whole frame")
    return maps[:, keep].mean(axis=1)


def baseline_curve(flows: np.ndarray, signal: str = "magnitude", exclude: np.ndarray | None = None,
                   head_reference: np.ndarray | None = None, compensate_head: bool = False,
                   sigma: float = BASELINE_SMOOTHING_SIGMA) -> np.ndarray:
    """Smoothed motion curve scaled to [0, 1], comparable with the regressors' intensity curves."""
    curve = motion_curve(flows, signal, exclude, head_reference, compensate_head)
    if sigma > 0 and curve.size > 1:
        curve = gaussian_filter1d(curve, sigma, mode="nearest")
    peak = curve.max()
    return curve / peak if peak > 0 else curve
