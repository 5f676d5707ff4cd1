"""The face regions where micro-expressions happen (brows, eyes, mouth), as pixel masks of aligned
face images: weights for a super-resolution loss and the support of region-wise PSNR / SSIM.

A region mask is the union of paper 001's ROI boxes (``microexp.face.rois``) over the brows, the
glabella, the eyes, the mouth and its corners, placed by dlib's 68 landmarks fitted on the
high-resolution face.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..face.landmarks import landmarks_68
from ..face.rois import facial_rois

#: The ROIs (of :data:`microexp.face.rois.ROI_NAMES`) that make up the region mask.
REGION_ROIS = ("left_eyebrow", "right_eyebrow", "glabella", "left_eye", "right_eye",
               "left_mouth_corner", "right_mouth_corner", "mouth")


def region_mask(landmarks: np.ndarray, image_shape) -> np.ndarray:
    """``(H, W)`` bool: True inside the brow, eye and mouth ROIs of one face."""
    h, w = image_shape[:2]
    mask = np.zeros((h, w), bool)
    boxes = facial_rois(landmarks, (h, w))
    for name in REGION_ROIS:
        x0, y0, x1, y1 = boxes[name]
        mask[y0:y1, x0:x1] = True
    return mask


def region_masks(faces: np.ndarray, names=None) -> np.ndarray:
    """``(N, H, W)`` bool region masks of ``(N, H, W[, C])`` uint8 faces (landmarks fitted on each).

    A face whose landmarks cannot be placed is a :class:`DataError` naming it (``names[i]``, or
    its index).
    """
    faces = np.asarray(faces)
    out = np.zeros(faces.shape[:3], bool)
    for i, face in enumerate(faces):
        try:
            out[i] = region_mask(landmarks_68(face), face.shape)
        except DataError as exc:
            label = names[i] if names is not None else f"face {i}"
            raise DataError(f"no landmark regions for {label}: {exc}") from exc
    return out
