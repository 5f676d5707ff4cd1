"""Face regions spotting needs: eyes (masked out, blinks are not micro-expressions) and the
nose (a rigid reference whose motion is head motion, subtracted from the rest).

With 68-point landmarks (dlib / iBUG order) the regions follow the landmarks; without them the
frame is assumed to be an aligned face crop and fixed fractions of its height/width are used.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError

#: 68-point landmark indices (iBUG 300-W order): eyes 36-47, nose bridge and base 27-35.
EYE_LANDMARKS = tuple(range(36, 48))
NOSE_LANDMARKS = tuple(range(27, 36))

#: Rows (fractions of the height) covering brows-to-lower-lids on an aligned face crop; the band
#: spans the whole width so both eyes fall inside whatever the crop margin.
EYE_BAND_ROWS = (0.22, 0.50)
#: Nose box on an aligned face crop (rows, cols as fractions).
NOSE_BOX = ((0.45, 0.65), (0.40, 0.60))


def _box_mask(shape, rows, cols) -> np.ndarray:
    h, w = shape
    m = np.zeros((h, w), bool)
    m[int(rows[0] * h):max(int(rows[1] * h), int(rows[0] * h) + 1),
      int(cols[0] * w):max(int(cols[1] * w), int(cols[0] * w) + 1)] = True
    return m


def _landmark_box(landmarks: np.ndarray, idx, shape, margin: float) -> np.ndarray:
    pts = np.asarray(landmarks, float)
    if pts.ndim != 2 or pts.shape[0] < 68 or pts.shape[1] != 2:
        raise DataError(f"expected (68, 2) landmarks in pixel coordinates of the frame, got {pts.shape}")
    sel = pts[list(idx)]
    lo, hi = sel.min(0), sel.max(0)
    pad = margin * (hi - lo).max()
    h, w = shape
    m = np.zeros((h, w), bool)
    x0, y0 = np.maximum(np.floor(lo - pad).astype(int), 0)
    x1, y1 = np.ceil(hi + pad).astype(int) + 1
    m[y0:min(y1, h), x0:min(x1, w)] = True
    return m


def eye_mask(shape: tuple[int, int], landmarks: np.ndarray | None = None, margin: float = 0.35) -> np.ndarray:
    """Boolean ``(H, W)`` mask, True on the eyes (and brows, for the fixed band)."""
    if landmarks is None:
        return _box_mask(shape, EYE_BAND_ROWS, (0.0, 1.0))
    left = _landmark_box(landmarks, EYE_LANDMARKS[:6], shape, margin)
    right = _landmark_box(landmarks, EYE_LANDMARKS[6:], shape, margin)
    return left | right


def nose_mask(shape: tuple[int, int], landmarks: np.ndarray | None = None) -> np.ndarray:
    """Boolean ``(H, W)`` mask, True on the nose: rigid, so its flow is head motion."""
    if landmarks is None:
        return _box_mask(shape, *NOSE_BOX)
    return _landmark_box(landmarks, NOSE_LANDMARKS, shape, margin=0.0)


def scale_landmarks(landmarks: np.ndarray, from_shape: tuple[int, int], to_shape: tuple[int, int]) -> np.ndarray:
    """Landmarks of a ``from_shape`` (H, W) frame in the pixel grid of a resized ``to_shape`` frame."""
    pts = np.asarray(landmarks, float)
    return pts * np.array([to_shape[1] / from_shape[1], to_shape[0] / from_shape[0]])


#: Margin (fraction of the side) around the landmarks' box, and how far the box is raised above
#: the brows (fraction of its height): dlib's points stop at the brows, the forehead moves too.
FACE_CROP_MARGIN = 0.05
FOREHEAD_FRACTION = 0.15


def crop_clip_to_landmarks(frames: np.ndarray, landmarks: np.ndarray, size: int,
                           margin: float = FACE_CROP_MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """Crop every frame of a clip to one square around ``landmarks`` (those of the onset frame),
    resized to ``size``; head motion within the clip stays visible, as it would to a tracker that
    crops once. Returns ``(frames (T, size, size[, 3]), landmarks in the crop's pixels)``."""
    import cv2

    pts = np.asarray(landmarks, float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise DataError(f"expected (N, 2) landmarks, got {pts.shape}")
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    y0 -= FOREHEAD_FRACTION * (y1 - y0)
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    if side < 4:
        raise DataError(f"landmarks span {side:.1f} pixels: too small to crop a face")
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    scale = size / side
    m = np.float32([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]])
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    out = np.stack([cv2.warpAffine(np.ascontiguousarray(f), m, (size, size), flags=interp,
                                   borderMode=cv2.BORDER_REPLICATE) for f in np.asarray(frames)])
    return out, pts * scale + m[:, 2]
