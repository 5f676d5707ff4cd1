"""Turn a per-frame intensity curve into one apex frame: Max and SW-Max (paper 004, Sec. 4)."""
from __future__ import annotations

import numpy as np

from ..errors import DataError

#: Paper 004, Sec. 4: "the SW-Max scheme locates the sliding window (window size = 9)".
SW_MAX_WINDOW = 9

DECODERS: tuple[str, ...] = ("max", "sw_max")


def _as_curve(curve) -> np.ndarray:
    c = np.asarray(curve, dtype=float).ravel()
    if c.size == 0:
        raise DataError("cannot decode an apex from an empty intensity curve")
    return np.nan_to_num(c, nan=-np.inf)


def max_apex(curve) -> int:
    """Index of the frame with the highest predicted intensity (the Max scheme)."""
    return int(np.argmax(_as_curve(curve)))


def sliding_window_max_apex(curve, window: int = SW_MAX_WINDOW) -> int:
    """Centre of the ``window``-frame window with the highest summed intensity (SW-Max).

    Summing neighbours smooths out single-frame errors (paper 004, Table 3). A curve shorter
    than the window is one window; ties go to the earliest window.
    """
    c = _as_curve(curve)
    if window < 1:
        raise DataError(f"SW-Max window must be >= 1, got {window}")
    w = min(int(window), c.size)
    finite = np.where(np.isfinite(c), c, 0.0)
    sums = np.convolve(finite, np.ones(w), mode="valid")
    start = int(np.argmax(sums))
    return start + (w - 1) // 2


def decode_apex(curve, decoder: str = "sw_max", window: int = SW_MAX_WINDOW) -> int:
    """Apex index by name: ``"max"`` or ``"sw_max"``."""
    if decoder == "max":
        return max_apex(curve)
    if decoder == "sw_max":
        return sliding_window_max_apex(curve, window)
    raise DataError(f"unknown apex decoder {decoder!r}; expected one of {DECODERS}")
