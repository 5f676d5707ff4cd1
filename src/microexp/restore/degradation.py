"""Paper 000's low-resolution simulation, and the HR/LR training pairs built from it.

Paper 000 (sec. "Image Degradation", fig. 5): faces resized to 128×128 (HR), Gaussian blur with a
3×3 kernel, down-sampled ×4 to 32×32 (LR32), then median blur applied at random. The paper does
not give the median kernel or the probability; 3 and 0.5 are used here.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..face.image_input import check_image

#: Paper 000: HR faces are 128×128.
HR_SIZE = 128
#: Paper 000: ×4 down-sampling.
SCALE = 4
#: Paper 000: LR faces are 32×32 ("LR32").
LR_SIZE = HR_SIZE // SCALE
#: Paper 000: "gaussian blur x3 kernel size".
BLUR_KSIZE = 3
#: Not given in paper 000: the smallest median kernel.
MEDIAN_KSIZE = 3
#: Not given in paper 000 ("randomly applied"): a fair coin.
MEDIAN_PROB = 0.5


def resize_face(image: np.ndarray, size: int = HR_SIZE) -> np.ndarray:
    """Square resize with area averaging when shrinking and bicubic when enlarging (as
    :func:`degrade` makes its HR face)."""
    import cv2

    h, w = image.shape[:2]
    if (h, w) == (size, size):
        return image
    interp = cv2.INTER_AREA if min(h, w) > size else cv2.INTER_CUBIC
    return cv2.resize(image, (size, size), interpolation=interp)


def median_chance(median_prob: float | None) -> float:
    """The chance of the median blur a setting stands for (``None``: paper 000's default, 0.5)."""
    return MEDIAN_PROB if median_prob is None else float(median_prob)


def degrade(image: np.ndarray, seed: int, median_prob: float | None = None, *, hr_size: int = HR_SIZE,
            lr_size: int = LR_SIZE, blur_ksize: int = BLUR_KSIZE, median_ksize: int = MEDIAN_KSIZE) -> np.ndarray:
    """``(lr_size, lr_size[, 3])`` uint8 low-resolution version of a face image.

    Steps: resize to ``hr_size`` (area when shrinking, bicubic when enlarging), Gaussian blur
    ``blur_ksize``, bicubic down-sampling to ``lr_size``, median blur with probability
    ``median_prob`` (``None``: :data:`MEDIAN_PROB`; 0: never, the deterministic path; 1: always).
    The same ``seed`` always gives the same output; RGB input keeps three channels.
    """
    import cv2

    checked = check_image(image)
    median_prob = median_chance(median_prob)
    for name, k in (("blur_ksize", blur_ksize), ("median_ksize", median_ksize)):
        if k < 1 or k % 2 == 0:
            raise DataError(f"{name} must be a positive odd integer, got {k}")
    if not 0.0 <= median_prob <= 1.0:
        raise DataError(f"median_prob must lie in [0, 1], got {median_prob}")
    if not 1 <= lr_size <= hr_size:
        raise DataError(f"expected 1 <= lr_size <= hr_size, got lr_size={lr_size}, hr_size={hr_size}")
    rng = np.random.default_rng(int(seed))
    hr = resize_face(checked, hr_size)
    blurred = cv2.GaussianBlur(hr, (blur_ksize, blur_ksize), 0)
    lr = cv2.resize(blurred, (lr_size, lr_size), interpolation=cv2.INTER_CUBIC)
    if rng.random() < median_prob:
        lr = cv2.medianBlur(lr, median_ksize)
    if lr.ndim == 2 and np.ndim(image) == 3:  # (H, W, 1) input: channels back for the SR networks
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
