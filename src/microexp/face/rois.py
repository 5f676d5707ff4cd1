"""The 15 facial regions of interest of paper 001 (Kato's segmentation), and eye masking.

Paper 001 (sec. 3.2, fig. 3) splits the face into 15 expression-related regions but gives no
coordinates, so they are defined here from dlib's landmark groups, sized in units of the
inter-ocular distance ``iod`` (distance between the eye centres) so that they scale with the face.
"left"/"right" mean image-left/image-right (the subject's right/left).

=====================  ====================================================  ===========
name                   box                                                   action units
=====================  ====================================================  ===========
forehead               between the brow peaks, 0.6-0.1 iod above the brows    AU1, AU2
left/right_eyebrow     brow points 17-21 / 22-26, +0.12 iod                   AU1, AU2, AU4
glabella               between the inner brow ends 21-22, down to point 27    AU4
left/right_eye         eye points 36-41 / 42-47, +0.15 iod                    AU5, AU7, AU43
nose                   nose wings 31-35 from point 28 down to 33              AU9
left/right_cheek       under the eye, beside the nose (36..31 / 35..45)       AU6
left/right_nasolabial  from nose wing 31/35 out past mouth corner 48/54       AU10, AU11
left/right_mouth_corner square of 0.4 iod around point 48 / 54                AU12, AU14, AU15
mouth                  lip points 49-53, 55-59, +0.1 iod                      AU16-AU25
chin                   from the lower lip (57) to the chin (8), 7..9 wide     AU17
=====================  ====================================================  ===========
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from .image_input import check_image, check_landmarks
from .landmarks import LEFT_EYE, RIGHT_EYE

#: The 15 ROI names of paper 001, in a fixed order (used for channel/crop order).
ROI_NAMES = (
    "forehead", "left_eyebrow", "right_eyebrow", "glabella", "left_eye", "right_eye", "nose",
    "left_cheek", "right_cheek", "left_nasolabial", "right_nasolabial",
    "left_mouth_corner", "right_mouth_corner", "mouth", "chin",
)

#: How far the eye mask reaches beyond the eye contour (scale about the eye centre).
EYE_MASK_SCALE = 1.6


def _box(x0, y0, x1, y1, pad: float = 0.0) -> tuple[float, float, float, float]:
    return (min(x0, x1) - pad, min(y0, y1) - pad, max(x0, x1) + pad, max(y0, y1) + pad)


def _int_box(box, image_shape=None) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(np.floor(box[0])), int(np.floor(box[1])),
                      int(np.ceil(box[2])), int(np.ceil(box[3])))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    if image_shape is not None:
        h, w = image_shape[:2]
        x0, x1 = min(max(0, x0), w - 1), min(max(1, x1), w)
        y0, y1 = min(max(0, y0), h - 1), min(max(1, y1), h)
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    return x0, y0, x1, y1


def facial_rois(landmarks: np.ndarray, image_shape=None) -> dict[str, tuple[int, int, int, int]]:
    """The 15 ROI boxes ``name -> (x0, y0, x1, y1)`` (x1/y1 exclusive) in landmark pixels.

    With ``image_shape`` given the boxes are clipped to the image (each keeps >= 1 pixel).
    """
    p = check_landmarks(landmarks).astype(np.float64)
    x, y = p[:, 0], p[:, 1]
    iod = float(np.linalg.norm(p[RIGHT_EYE].mean(0) - p[LEFT_EYE].mean(0)))
    if iod < 1.0:
        raise DataError(f"eye centres are {iod:.2f} px apart; landmarks do not describe a face")
    brow_top = p[17:27, 1].min()
    boxes = {
        "forehead": _box(x[19], brow_top - 0.6 * iod, x[24], brow_top - 0.1 * iod),
        "left_eyebrow": _box(*p[17:22].min(0), *p[17:22].max(0), pad=0.12 * iod),
        "right_eyebrow": _box(*p[22:27].min(0), *p[22:27].max(0), pad=0.12 * iod),
        "glabella": _box(x[21], min(y[21], y[22]) - 0.2 * iod, x[22], y[27] + 0.05 * iod),
        "left_eye": _box(*p[LEFT_EYE].min(0), *p[LEFT_EYE].max(0), pad=0.15 * iod),
        "right_eye": _box(*p[RIGHT_EYE].min(0), *p[RIGHT_EYE].max(0), pad=0.15 * iod),
        "nose": _box(x[31] - 0.05 * iod, y[28], x[35] + 0.05 * iod, y[33] + 0.05 * iod),
        "left_cheek": _box(x[36] - 0.05 * iod, max(y[40], y[41]) + 0.1 * iod, x[31] - 0.05 * iod, y[31]),
        "right_cheek": _box(x[35] + 0.05 * iod, max(y[46], y[47]) + 0.1 * iod, x[45] + 0.05 * iod, y[35]),
        "left_nasolabial": _box(min(x[48], x[31]) - 0.2 * iod, y[31] - 0.15 * iod, x[31], y[48]),
        "right_nasolabial": _box(x[35], y[35] - 0.15 * iod, max(x[54], x[35]) + 0.2 * iod, y[54]),
        "left_mouth_corner": _box(x[48], y[48], x[48], y[48], pad=0.2 * iod),
        "right_mouth_corner": _box(x[54], y[54], x[54], y[54], pad=0.2 * iod),
        "mouth": _box(x[49], min(y[49:54].min(), y[55:60].min()) - 0.1 * iod,
                      x[53], max(y[49:54].max(), y[55:60].max()) + 0.1 * iod),
        "chin": _box(x[7], y[57] + 0.05 * iod, x[9], y[8]),
    }
    return {name: _int_box(boxes[name], image_shape) for name in ROI_NAMES}


def roi_mask(image_shape, landmarks: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool mask, True inside any of the 15 ROIs (to keep only expression regions)."""
    h, w = image_shape[:2]
    mask = np.zeros((h, w), dtype=bool)
    for x0, y0, x1, y1 in facial_rois(landmarks, (h, w)).values():
        mask[y0:y1, x0:x1] = True
    return mask


def crop_rois(image: np.ndarray, landmarks: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Each ROI cut out and resized to ``size x size`` (dict in :data:`ROI_NAMES` order)."""
    import cv2

    image = check_image(image)
    out = {}
    for name, (x0, y0, x1, y1) in facial_rois(landmarks, image.shape).items():
        out[name] = cv2.resize(image[y0:y1, x0:x1], (int(size), int(size)), interpolation=cv2.INTER_LINEAR)
    return out


def mask_eyes(image: np.ndarray, landmarks: np.ndarray, *, fill: int = 0,
              scale: float = EYE_MASK_SCALE) -> np.ndarray:
    """Copy of ``image`` with both eyes painted ``fill``.

    Blinks and gaze shifts move the eyes far more than a micro-expression moves the face, so
    flow-based features often mask them. The mask is each eye's contour scaled by ``scale``
    about its centre.
    """
    import cv2

    image = check_image(image)
    pts = check_landmarks(landmarks).astype(np.float64)
    out = image.copy()
    colour = fill if image.ndim == 2 else (fill, fill, fill)
    for group in (LEFT_EYE, RIGHT_EYE):
        eye = pts[group]
        centre = eye.mean(0)
        poly = np.round(centre + (eye - centre) * scale).astype(np.int32)
        cv2.fillConvexPoly(out, cv2.convexHull(poly), colour, lineType=cv2.LINE_8)
    return out
