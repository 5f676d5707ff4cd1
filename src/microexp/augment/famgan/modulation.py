"""Fine-grained AU modulation of paper 002 (FAMGAN, §2.2): cleaner AU sequences to drive a generator.

AU sequences are arrays ``(T, A)``: T frames, A action units (intensities, 0 = neutral).

- eq. 1, :func:`multi_size_average`: estimate AUs on copies of a frame resized by
  Δ ∈ {−10, −5, 0, 5, 10} pixels and average, so one unlucky image size does not swing the values;
- eq. 2, :func:`temporal_mean_filter`: centred moving mean over ``2n + 1`` frames;
- eq. 3, :func:`neutral_correction`: target face's AUs damped by α plus the source's change since
  its onset, which removes the identity-specific offset of the AU detector;
- asymmetry: :func:`mirrored_half_faces` builds two symmetric faces from the left and the right half
  (paper 002 fig. 2), so a symmetric AU detector reports each side; :func:`join_half_faces` joins the
  two generated results again along the midline.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ...errors import DataError

#: Size offsets in pixels of eq. 1 (paper 002 §2.2: "Δ ∈ {−10, −5, 0, 5, 10}").
SIZE_DELTAS = (-10, -5, 0, 5, 10)
#: Half-width n of the temporal mean filter of eq. 2 (paper 002 does not state n; 1 → 3-frame window).
DEFAULT_FILTER_HALF_WIDTH = 1
#: Damping α of the target face's own AUs in eq. 3 (paper 002: "a small coefficient α"; value not given).
DEFAULT_NEUTRAL_ALPHA = 0.1


def _as_sequence(seq, name: str = "AU sequence") -> np.ndarray:
    arr = np.asarray(seq, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or len(arr) == 0:
        raise DataError(f"{name} must be (T, A) with T >= 1; got shape {np.shape(seq)}")
    return arr


def multi_size_average(image: np.ndarray, estimate: Callable[[np.ndarray], np.ndarray],
                       deltas=SIZE_DELTAS) -> np.ndarray:
    """Eq. 1: mean of ``estimate(resized image)`` over height and width changed by each Δ.

    ``estimate`` maps one image to an AU vector ``(A,)`` (or any array of fixed shape).
    """
    import cv2

    h, w = image.shape[:2]
    values = []
    for d in deltas:
        size = (max(8, w + d), max(8, h + d))
        resized = image if d == 0 else cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        values.append(np.asarray(estimate(resized), dtype=np.float64))
    return np.mean(values, axis=0)


def temporal_mean_filter(seq, half_width: int = DEFAULT_FILTER_HALF_WIDTH) -> np.ndarray:
    """Eq. 2: ``x_i = mean(y_{i-n} … y_{i+n})`` per AU.

    Eq. 2 is defined only where the whole window fits; at the ends the window is cut to the frames
    that exist (so the output keeps all T frames and a constant sequence stays constant).
    """
    y = _as_sequence(seq)
    n = int(half_width)
    if n < 0:
        raise DataError(f"filter half-width must be >= 0, got {n}")
    if n == 0:
        return y.copy()
    csum = np.vstack([np.zeros((1, y.shape[1])), np.cumsum(y, axis=0)])
    idx = np.arange(len(y))
    lo = np.clip(idx - n, 0, len(y))
    hi = np.clip(idx + n + 1, 0, len(y))
    return (csum[hi] - csum[lo]) / (hi - lo)[:, None]


def neutral_correction(source_seq, target_aus, alpha: float = DEFAULT_NEUTRAL_ALPHA,
                       reference: str = "onset", clip_negative: bool = True) -> np.ndarray:
    """Eq. 3: ``y'_{s,i} = α·y_t + (y_{s,i} − y_{s,ref})``.

    ``reference="onset"`` subtracts the source's first (onset, taken as neutral) frame, as the text
    of paper 002 describes ("relative AU changes from frame_1 to frame_i"); ``"previous"`` follows
    eq. 3 as printed (``y_{s,i−1}``, frame-to-frame change; the first frame gets a zero change).
    Negative results are clipped to 0 (AU intensities are non-negative) unless ``clip_negative``
    is False.
    """
    src = _as_sequence(source_seq, "source AU sequence")
    tgt = np.asarray(target_aus, dtype=np.float64).reshape(-1)
    if tgt.shape[0] != src.shape[1]:
        raise DataError(f"target has {tgt.shape[0]} AUs but the source sequence has {src.shape[1]}")
    if reference == "onset":
        change = src - src[0]
    elif reference == "previous":
        change = np.vstack([np.zeros((1, src.shape[1])), np.diff(src, axis=0)])
    else:
        raise DataError(f"reference must be 'onset' or 'previous', got {reference!r}")
    out = alpha * tgt[None, :] + change
    return np.clip(out, 0.0, None) if clip_negative else out


def modulate_au_sequence(raw_seq, target_aus, half_width: int = DEFAULT_FILTER_HALF_WIDTH,
                         alpha: float = DEFAULT_NEUTRAL_ALPHA, reference: str = "onset") -> np.ndarray:
    """Eq. 2 then eq. 3 on an (already eq.-1-averaged) source sequence."""
    return neutral_correction(temporal_mean_filter(raw_seq, half_width), target_aus, alpha, reference)


def face_midline_x(landmarks: np.ndarray) -> float:
    """x of the face's vertical midline: mean of the nose bridge and nose tip landmarks (27–30, 33)."""
    pts = np.asarray(landmarks, dtype=np.float64)
    return float(pts[[27, 28, 29, 30, 33], 0].mean())


def mirrored_half_faces(image: np.ndarray, midline_x: float) -> tuple[np.ndarray, np.ndarray]:
    """Two symmetric faces (paper 002 fig. 2): (image-left half + its mirror, image-right half + its mirror).

    The mirror is taken about the vertical line ``x = midline_x``; pixels whose mirror falls outside
    the image keep their value.
    """
    h, w = image.shape[:2]
    xs = np.arange(w)
    mirror = np.clip(np.rint(2 * midline_x - xs).astype(int), 0, w - 1)
    left_side, right_side = xs <= midline_x, xs > midline_x
    left_face, right_face = image.copy(), image.copy()
    left_face[:, right_side] = image[:, mirror[right_side]]
    right_face[:, left_side] = image[:, mirror[left_side]]
    return left_face, right_face


def join_half_faces(image_left_result: np.ndarray, image_right_result: np.ndarray, midline_x: float,
                    feather: int = 3) -> np.ndarray:
    """Image-left half from ``image_left_result``, image-right half from ``image_right_result``,
    blended over ±``feather`` px around ``midline_x``."""
    left_result, right_result = image_left_result, image_right_result
    if left_result.shape != right_result.shape:
        raise DataError(f"half-face results differ in shape: {left_result.shape} vs {right_result.shape}")
    w = left_result.shape[1]
    xs = np.arange(w, dtype=np.float64)
    weight = np.clip((xs - midline_x) / max(2 * feather, 1) + 0.5, 0.0, 1.0)  # 0 left of midline, 1 right
    shape = (1, w) + (1,) * (left_result.ndim - 2)
    wgt = weight.reshape(shape)
    out = left_result.astype(np.float64) * (1 - wgt) + right_result.astype(np.float64) * wgt
    return out.round().astype(left_result.dtype) if np.issubdtype(left_result.dtype, np.integer) else out
