"""Paper 000's low-resolution simulation, and HR/LR training pairs built from it.

The degradation itself lives in :func:`microexp.face.degrade` (resize to 128, 3×3 Gaussian blur,
×4 down-sampling to 32, random median blur); this module turns it into training pairs.
"""
from __future__ import annotations

import numpy as np

#: Paper 000: HR faces are standardised to 128×128 and degraded ×4 to 32×32 ("LR32").
HR_SIZE = 128
SCALE = 4
LR_SIZE = HR_SIZE // SCALE


def resize_face(image: np.ndarray, size: int = HR_SIZE) -> np.ndarray:
    """Square resize with area averaging when shrinking and bicubic when enlarging (as
    :func:`microexp.face.degrade` makes its HR face)."""
    import cv2

    h, w = image.shape[:2]
    if (h, w) == (size, size):
        return image
    interp = cv2.INTER_AREA if min(h, w) > size else cv2.INTER_CUBIC
    return cv2.resize(image, (size, size), interpolation=interp)


def median_chance(median_prob: float | None) -> float:
    """The chance of the median blur a setting stands for (``None``: the front-end's default)."""
    from ...face.degradation import MEDIAN_PROB

    return MEDIAN_PROB if median_prob is None else float(median_prob)


def degrade(image: np.ndarray, seed: int, median_prob: float | None = None) -> np.ndarray:
    """:func:`microexp.face.degrade` to ``(32, 32, C)`` uint8, keeping three channels for RGB input.

    ``median_prob`` is the chance of the final median blur (``None``: the front-end's default,
    paper 000's "randomly applied"; 0: never, the deterministic blur + down-sampling path; 1: always).
    """
    from ...face import degrade as face_degrade

    lr = np.asarray(face_degrade(image, seed=int(seed), hr_size=HR_SIZE, lr_size=LR_SIZE,
                                 median_prob=median_chance(median_prob)))
    if lr.ndim == 2 and np.asarray(image).ndim == 3:
        lr = np.repeat(lr[..., None], 3, axis=2)
    return lr.astype(np.uint8)


def bicubic_upscale(lr: np.ndarray, scale: int = SCALE) -> np.ndarray:
    """Bicubic baseline: ``(h, w[, C])`` uint8 → ``(scale*h, scale*w[, C])`` uint8 (OpenCV)."""
    import cv2

    h, w = lr.shape[:2]
    return cv2.resize(lr, (w * scale, h * scale), interpolation=cv2.INTER_CUBIC)


def make_pairs(hr_faces: np.ndarray, variants: int = 1, seed: int = 0,
               median_prob: float | None = None) -> np.ndarray:
    """Degrade every HR face ``variants`` times (different median-blur draws; ``median_prob`` as
    in :func:`degrade`).

    ``hr_faces``: ``(N, 128, 128, C)`` uint8 → LR ``(N, variants, 32, 32, C)`` uint8. The seed of
    face ``i``, variant ``v`` is ``seed + i * variants + v`` so the LR set is reproducible.
    """
    hr_faces = np.asarray(hr_faces)
    out = np.empty((len(hr_faces), variants, LR_SIZE, LR_SIZE) + hr_faces.shape[3:], dtype=np.uint8)
    for i, face in enumerate(hr_faces):
        for v in range(variants):
            out[i, v] = degrade(face, seed=seed + i * variants + v, median_prob=median_prob).reshape(out.shape[2:])
    return out
