"""Low-resolution degradation of paper 000: the LR faces its super-resolution step starts from.

Paper 000 (sec. "Image Degradation", fig. 5): faces resized to 128x128 (HR), Gaussian blur with a
3x3 kernel, down-sampled x4 to 32x32 (LR32), then median blur applied at random. The paper does
not give the median kernel or the probability; 3 and 0.5 are used here.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from .image_input import check_image

#: Paper 000: HR faces are 128x128.
HR_SIZE = 128
#: Paper 000: LR faces are 32x32 (x4 down-sampling).
LR_SIZE = 32
#: Paper 000: "gaussian blur x3 kernel size".
BLUR_KSIZE = 3
#: Not given in paper 000: the smallest median kernel.
MEDIAN_KSIZE = 3
#: Not given in paper 000 ("randomly applied"): a fair coin.
MEDIAN_PROB = 0.5


def degrade(image: np.ndarray, *, seed: int, hr_size: int = HR_SIZE, lr_size: int = LR_SIZE,
            blur_ksize: int = BLUR_KSIZE, median_prob: float = MEDIAN_PROB,
            median_ksize: int = MEDIAN_KSIZE) -> np.ndarray:
    """``(lr_size, lr_size[, 3])`` uint8 low-resolution version of a face image.

    Steps: resize to ``hr_size`` (area), Gaussian blur ``blur_ksize``, bicubic down-sampling to
    ``lr_size``, median blur with probability ``median_prob``. The same ``seed`` always gives
    the same output.
    """
    import cv2

    image = check_image(image)
    for name, k in (("blur_ksize", blur_ksize), ("median_ksize", median_ksize)):
        if k < 1 or k % 2 == 0:
            raise DataError(f"{name} must be a positive odd integer, got {k}")
    if not 0.0 <= median_prob <= 1.0:
        raise DataError(f"median_prob must lie in [0, 1], got {median_prob}")
    if not 1 <= lr_size <= hr_size:
        raise DataError(f"expected 1 <= lr_size <= hr_size, got lr_size={lr_size}, hr_size={hr_size}")
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    interp = cv2.INTER_AREA if min(h, w) > hr_size else cv2.INTER_CUBIC
    hr = cv2.resize(image, (hr_size, hr_size), interpolation=interp)
    blurred = cv2.GaussianBlur(hr, (blur_ksize, blur_ksize), 0)
    lr = cv2.resize(blurred, (lr_size, lr_size), interpolation=cv2.INTER_CUBIC)
    if rng.random() < median_prob:
        lr = cv2.medianBlur(lr, median_ksize)
    return lr
