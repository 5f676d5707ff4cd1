"""Absolute and relative residual sums (ARS, RRS) of paper 003, eqs. (5)-(7).

Both sum, per pixel and channel, the absolute differences between each key frame and the
clip's start frame:

    diff(x, y, z) = sum_{f in F} |Q_f(x, y, z) - Q_start(x, y, z)|          (6)
    ars = diff mod 256                                                       (5)
    rrs = (diff - min diff) / (max diff - min diff) * (g_max - g_min) + g_min  (7)
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import DataError
from ..face.image_input import check_image
from .keyframes import N_KEY_FRAMES, clip_bounds, key_frames

#: Paper 003, sec. 3.1.2: output range of the RRS image.
G_MIN, G_MAX = 0, 255


def residual_sum(frames: Sequence[np.ndarray], key_idx, start_idx: int) -> np.ndarray:
    """Eq. (6): ``diff`` as int64, the shape of one frame."""
    if frames is None or len(frames) == 0:
        raise DataError("frames is empty; expected a sequence of images")
    idx = [int(i) for i in key_idx]
    if not idx:
        raise DataError("key_idx is empty; expected at least one key frame")
    n = len(frames)
    for i in idx + [int(start_idx)]:
        if not 0 <= i < n:
            raise DataError(f"frame index {i} is outside the clip of {n} frames")
    start = check_image(frames[start_idx], name=f"frame {start_idx}").astype(np.int64)
    total = np.zeros_like(start)
    for i in idx:
        frame = check_image(frames[i], name=f"frame {i}")
        if frame.shape != start.shape:
            raise DataError(f"frame {i} has shape {frame.shape}, start frame {start.shape}")
        total += np.abs(frame.astype(np.int64) - start)
    return total


def absolute_residual_sum(frames: Sequence[np.ndarray], key_idx, start_idx: int) -> np.ndarray:
    """Eq. (5): ARS image, uint8, the shape of one frame (``frames`` uint8)."""
    return (residual_sum(frames, key_idx, start_idx) % 256).astype(np.uint8)


def relative_residual_sum(frames: Sequence[np.ndarray], key_idx, start_idx: int, *,
                          g_min: float = G_MIN, g_max: float = G_MAX,
                          as_uint8: bool = True) -> np.ndarray:
    """Eqs. (6)-(7): RRS image scaled to [g_min, g_max] over all pixels and channels.

    uint8 (rounded) by default, float32 with ``as_uint8=False``. A clip without any change
    (max diff == min diff) gives ``g_min`` everywhere.
    """
    diff = residual_sum(frames, key_idx, start_idx).astype(np.float64)
    lo, hi = diff.min(), diff.max()
    if hi > lo:
        out = (diff - lo) / (hi - lo) * (g_max - g_min) + g_min
    else:
        out = np.full_like(diff, float(g_min))
    if as_uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(np.float32)


def residual_sum_images(frames: Sequence[np.ndarray], onset: int, apex: int, offset: int | None = None,
                        *, n_key: int = N_KEY_FRAMES) -> dict[str, np.ndarray]:
    """Paper 003's whole recipe on a clip whose list indices are frame positions.

    Returns ``{"ars", "rrs", "key_frames", "start", "end"}``. Give ``offset`` as the last usable
    index when the annotation has none.
    """
    last = len(frames) - 1
    off = last if offset is None else min(int(offset), last)
    start, end = clip_bounds(onset, apex, off)
    keys = key_frames(start, end, n_key)
    return {
        "ars": absolute_residual_sum(frames, keys, start),
        "rrs": relative_residual_sum(frames, keys, start),
        "key_frames": np.asarray(keys),
        "start": start,
        "end": end,
    }
