"""dlib's 68-point landmarks fitted in a given face box, and the check that they look like a face.

Index groups (0-based, iBUG 300-W layout, image-left = the subject's right side):
jaw 0-16, brows 17-21 (image-left) / 22-26, nose bridge 27-30, nose base 31-35,
eyes 36-41 (image-left) / 42-47, outer lips 48-59, inner lips 60-67.

This module sits below both :mod:`.detection` (whose fallback passes keep a box only when the
points fitted in it are plausible) and :mod:`.landmarks` (which finds the box when none is given),
so neither of those needs the other's internals.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

from ..errors import FaceNotFoundError
from .image_input import check_image, check_landmarks

#: A face box ``(x0, y0, x1, y1)`` in image pixels, x1/y1 exclusive; it may reach past the border.
Box = tuple[int, int, int, int]

JAW = slice(0, 17)
LEFT_BROW = slice(17, 22)
RIGHT_BROW = slice(22, 27)
NOSE_BRIDGE = slice(27, 31)
NOSE_BASE = slice(31, 36)
LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)
OUTER_LIPS = slice(48, 60)
INNER_LIPS = slice(60, 68)
NOSE_TIP = 30
MOUTH_LEFT, MOUTH_RIGHT = 48, 54


@lru_cache(maxsize=1)
def shape_predictor():
    """dlib's 68-point shape predictor from ``face_recognition_models``, loaded once per process."""
    import dlib

    with warnings.catch_warnings():
        # face_recognition_models imports pkg_resources, which warns on import.
        warnings.simplefilter("ignore")
        import face_recognition_models

    return dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())


def fit_landmarks(image: np.ndarray, box: Box) -> np.ndarray:
    """``(68, 2)`` float32 (x, y) landmarks of the face in ``box``.

    ``box`` may reach beyond the image: the image is then padded by border replication for
    the predictor, which gives steadier points on tight crops than zero padding would.
    """
    import cv2
    import dlib

    image = check_image(image)
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    if x1 - x0 < 8 or y1 - y0 < 8:
        raise FaceNotFoundError(f"face box {tuple(box)} is too small for landmarks")
    h, w = image.shape[:2]
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = max(0, x1 - w), max(0, y1 - h)
    if left or top or right or bottom:
        image = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_REPLICATE)
    rect = dlib.rectangle(x0 + left, y0 + top, x1 + left - 1, y1 + top - 1)
    shape = shape_predictor()(image, rect)
    pts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
    pts -= np.array([left, top], dtype=np.float32)
    return pts


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the image-left and image-right eyes, each ``(2,)`` float32."""
    pts = check_landmarks(landmarks)
    return pts[LEFT_EYE].mean(axis=0), pts[RIGHT_EYE].mean(axis=0)


def mouth_centre(landmarks: np.ndarray) -> np.ndarray:
    pts = check_landmarks(landmarks)
    return pts[OUTER_LIPS].mean(axis=0)


def landmarks_plausible(landmarks: np.ndarray, image_shape=None, *, min_spread: float = 0.0) -> bool:
    """True when the 68 points look like a frontal face.

    Checks the layout (eyes above the nose tip above the mouth, image-left eye left of the
    other, eye distance 0.25-0.65 of the jaw width) and, with ``image_shape`` given, that the
    points span at least ``min_spread`` of the image width and height and stay near the image.
    """
    pts = check_landmarks(landmarks)
    left_eye, right_eye = pts[LEFT_EYE].mean(axis=0), pts[RIGHT_EYE].mean(axis=0)
    nose, mouth = pts[NOSE_TIP], pts[OUTER_LIPS].mean(axis=0)
    if not (left_eye[0] < nose[0] < right_eye[0] and left_eye[0] < right_eye[0]):
        return False
    if not (max(left_eye[1], right_eye[1]) < nose[1] < mouth[1]):
        return False
    jaw_width = float(np.ptp(pts[JAW, 0]))
    eye_distance = float(np.linalg.norm(right_eye - left_eye))
    if jaw_width <= 0 or not 0.25 <= eye_distance / jaw_width <= 0.65:
        return False
    if image_shape is not None:
        h, w = image_shape[:2]
        span_x, span_y = float(np.ptp(pts[:, 0])), float(np.ptp(pts[:, 1]))
        if span_x < min_spread * w or span_y < min_spread * h:
            return False
        margin = 0.25
        if pts[:, 0].min() < -margin * w or pts[:, 0].max() > (1 + margin) * w:
            return False
        if pts[:, 1].min() < -margin * h or pts[:, 1].max() > (1 + margin) * h:
            return False
    return True
