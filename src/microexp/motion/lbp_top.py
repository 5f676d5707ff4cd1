"""LBP-TOP: local binary patterns on three orthogonal planes (Zhao & Pietikainen 2007).

The baseline hand-crafted feature of papers 000 and 003. For every pixel of a ``(T, H, W)``
volume (away from the borders) an 8-neighbour LBP code is taken in the XY, XT and YT planes;
codes are mapped to the 59 rotation-variant uniform patterns (58 uniform + 1 for all others,
numbered as skimage's ``local_binary_pattern(..., method='nri_uniform')``);
the face is split into ``blocks`` and each block's three 59-bin histograms, each normalised to
sum 1, are concatenated: ``rows * cols * 3 * 59`` values, block-major (row, col), then plane
XY, XT, YT.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import DataError

PLANES = ("XY", "XT", "YT")


@lru_cache(maxsize=8)
def uniform_lut(points: int = 8) -> np.ndarray:
    """``2**points`` int64 table: LBP code -> uniform label, numbered as skimage's 'nri_uniform'.

    Uniform codes (at most two 0/1 transitions round the circle) get labels 0..P(P-1)+1 by
    (number of ones, rotation); every other code gets P(P-1)+2. P = 8 gives 59 labels.
    """
    lut = np.empty(2 ** points, dtype=np.int64)
    for code in range(2 ** points):
        bits = [(code >> i) & 1 for i in range(points)]
        transitions = sum(bits[i] != bits[(i + 1) % points] for i in range(points))
        ones = sum(bits)
        if transitions > 2:
            lut[code] = points * (points - 1) + 2
        elif ones == 0:
            lut[code] = 0
        elif ones == points:
            lut[code] = points * (points - 1) + 1
        else:
            first_one, first_zero = bits.index(1), bits.index(0)
            rotation = ones - first_zero if first_one == 0 else points - first_one
            lut[code] = 1 + (ones - 1) * points + rotation
    return lut


def _sample(volume: np.ndarray, axis_a: int, axis_b: int, da: float, db: float,
            core: tuple[slice, ...]) -> np.ndarray:
    """Bilinear sample of ``volume`` shifted by (da, db) along (axis_a, axis_b), over ``core``."""
    fa, fb = int(np.floor(da)), int(np.floor(db))
    wa, wb = da - fa, db - fb
    out = 0.0
    for oa, ka in ((fa, 1 - wa), (fa + 1, wa)):
        for ob, kb in ((fb, 1 - wb), (fb + 1, wb)):
            weight = ka * kb
            if weight < 1e-9:
                continue
            sl = list(core)
            sl[axis_a] = slice(core[axis_a].start + oa, core[axis_a].stop + oa)
            sl[axis_b] = slice(core[axis_b].start + ob, core[axis_b].stop + ob)
            out = out + weight * volume[tuple(sl)]
    return out


def plane_codes(volume: np.ndarray, plane: str, radius: int = 1, points: int = 8,
                time_radius: int | None = None) -> np.ndarray:
    """Raw LBP codes (int64) in one plane for the interior voxels of a ``(T, H, W)`` volume.

    Interior: ``rt <= t < T - rt``, ``r <= y < H - r``, ``r <= x < W - r`` for every plane, so
    the three planes' code arrays have the same shape and align voxel by voxel. Neighbour p
    sits at angle 2 pi p / P; bit p is set when the neighbour >= the centre (skimage's order).
    """
    rt = radius if time_radius is None else time_radius
    vol = volume.astype(np.float64)
    t, h, w = vol.shape
    core = (slice(rt, t - rt), slice(radius, h - radius), slice(radius, w - radius))
    centre = vol[core]
    # (axis playing "row", its radius, axis playing "column", its radius)
    axes = {"XY": (1, radius, 2, radius), "XT": (0, rt, 2, radius), "YT": (0, rt, 1, radius)}[plane]
    axis_a, r_a, axis_b, r_b = axes
    codes = np.zeros(centre.shape, dtype=np.int64)
    for p in range(points):
        angle = 2 * np.pi * p / points
        # rounding as skimage does, so that axis-aligned neighbours hit pixels exactly
        da = round(-r_a * np.sin(angle), 5)
        db = round(r_b * np.cos(angle), 5)
        neighbour = _sample(vol, axis_a, axis_b, da, db, core)
        codes |= (neighbour >= centre).astype(np.int64) << p
    return codes


def lbp_top(volume: np.ndarray, blocks: tuple[int, int] = (4, 4), radius: int = 1, points: int = 8,
            *, time_radius: int | None = None) -> np.ndarray:
    """LBP-TOP feature of a ``(T, H, W)`` uint8 volume: ``rows*cols*3*59`` float32 (P = 8).

    ``blocks`` = (rows, cols) of the spatial grid; each voxel's three codes count towards the
    block holding its (y, x). Needs T >= 2 rt + 1 and H, W >= 2 r + rows/cols.
    """
    vol = _check_volume(volume)
    rows, cols = (int(b) for b in blocks)
    if rows < 1 or cols < 1:
        raise DataError(f"blocks must be positive (rows, cols), got {blocks}")
    if radius < 1 or points < 1 or points > 16:
        raise DataError(f"need radius >= 1 and 1 <= points <= 16, got radius={radius}, points={points}")
    rt = radius if time_radius is None else int(time_radius)
    t, h, w = vol.shape
    if t < 2 * rt + 1:
        raise DataError(f"LBP-TOP needs at least {2 * rt + 1} frames for time radius {rt}, got {t}")
    ih, iw = h - 2 * radius, w - 2 * radius
    if ih < rows or iw < cols:
        raise DataError(f"volume {vol.shape} is too small for {rows}x{cols} blocks at radius {radius}")
    lut = uniform_lut(points)
    n_bins = int(lut.max()) + 1
    # block index of every interior (y, x); linspace edges split remainders evenly
    y_block = np.minimum((np.arange(ih) * rows) // ih, rows - 1)
    x_block = np.minimum((np.arange(iw) * cols) // iw, cols - 1)
    block_of = (y_block[:, None] * cols + x_block[None, :])  # (ih, iw)
    n_blocks = rows * cols
    hist = np.zeros((n_blocks, len(PLANES), n_bins), dtype=np.float64)
    for k, plane in enumerate(PLANES):
        labels = lut[plane_codes(vol, plane, radius, points, rt)]  # (t', ih, iw)
        flat = (block_of[None, :, :] * n_bins + labels).ravel()
        hist[:, k, :] = np.bincount(flat, minlength=n_blocks * n_bins).reshape(n_blocks, n_bins)
    hist /= hist.sum(axis=2, keepdims=True)
    return hist.reshape(-1).astype(np.float32)


def _check_volume(volume) -> np.ndarray:
    if volume is None:
        raise DataError("volume is None; expected a (T, H, W) uint8 array")
    vol = np.asarray(volume)
    if vol.ndim != 3 or vol.size == 0:
        raise DataError(f"volume has shape {vol.shape}; expected (T, H, W) grayscale frames")
    if vol.dtype != np.uint8:
        raise DataError(f"volume has dtype {vol.dtype}; expected uint8")
    return vol
