"""Checks on in-memory images: every face and motion function accepts the same kinds of arrays.

Accepted: ``(H, W)`` grayscale or ``(H, W, 3)`` RGB ``uint8`` arrays (``(H, W, 1)`` and RGBA are
reduced to those). Anything else raises :class:`~microexp.errors.DataError` saying what was
expected, so that a loader can re-raise it naming the file and row.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError


def check_image(image, *, name: str = "image", dtypes: tuple = (np.uint8,)) -> np.ndarray:
    """Return ``image`` as a C-contiguous ``(H, W)`` or ``(H, W, 3)`` array of an allowed dtype."""
    if image is None:
        raise DataError(f"{name} is None (was the file read?); expected an (H, W) or (H, W, 3) array")
    if not isinstance(image, np.ndarray):
        try:
            image = np.asarray(image)
        except Exception as exc:  # ragged lists and the like
            raise DataError(f"{name} is not convertible to an array: {exc}") from None
    if image.size == 0:
        raise DataError(f"{name} is empty (shape {image.shape}); expected an (H, W) or (H, W, 3) array")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    elif image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise DataError(f"{name} has shape {image.shape}; expected (H, W) grayscale or (H, W, 3) RGB")
    if not any(image.dtype == np.dtype(d) for d in dtypes):
        allowed = ", ".join(np.dtype(d).name for d in dtypes)
        raise DataError(f"{name} has dtype {image.dtype}; expected {allowed}")
    if image.dtype.kind == "f" and not np.all(np.isfinite(image)):
        raise DataError(f"{name} contains NaN or infinite values")
    return np.ascontiguousarray(image)


def to_gray(image: np.ndarray) -> np.ndarray:
    """``(H, W)`` view of a checked image (RGB is converted with ITU-R 601 weights, as OpenCV does)."""
    if image.ndim == 2:
        return image
    import cv2

    if image.dtype == np.uint8 or image.dtype == np.float32:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2GRAY)


def check_landmarks(landmarks, *, name: str = "landmarks") -> np.ndarray:
    """Return ``landmarks`` as a finite ``(68, 2)`` float32 array of (x, y) points."""
    if landmarks is None:
        raise DataError(f"{name} is None; expected a (68, 2) array of (x, y) points")
    pts = np.asarray(landmarks, dtype=np.float32)
    if pts.shape != (68, 2):
        raise DataError(f"{name} has shape {pts.shape}; expected (68, 2) (dlib's 68-point layout)")
    if not np.all(np.isfinite(pts)):
        raise DataError(f"{name} contain NaN or infinite values")
    return pts
