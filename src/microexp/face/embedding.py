"""Who a face is: dlib's face-recognition embedding (128 numbers), shipped offline by
``face_recognition_models`` (a ResNet trained by D. King; Euclidean distances under 0.6 mean "the
same person" in dlib's own benchmark). Used to check that an animated face keeps its identity.
The model's licence, like the landmark model's, allows non-commercial use only.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

from ..errors import DataError
from .image_input import check_image

#: dlib's threshold: embeddings closer than this are taken as the same person.
SAME_PERSON_DISTANCE = 0.6


@lru_cache(maxsize=1)
def recognition_model():
    """dlib's face-recognition ResNet from ``face_recognition_models``, loaded once per process."""
    import dlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # face_recognition_models imports pkg_resources, which warns
        import face_recognition_models

    return dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())


def face_embedding(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """``(128,)`` float64 embedding of the face whose 68 landmarks are given (RGB or grey image)."""
    import dlib

    image = check_image(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape != (68, 2) or not np.isfinite(pts).all():
        raise DataError(f"face_embedding needs (68, 2) finite landmarks; got {pts.shape}")
    (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
    rect = dlib.rectangle(int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1)))
    shape = dlib.full_object_detection(rect, [dlib.point(int(round(x)), int(round(y))) for x, y in pts])
    return np.asarray(recognition_model().compute_face_descriptor(np.ascontiguousarray(image), shape), np.float64)


def embedding_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings (below :data:`SAME_PERSON_DISTANCE`: same person)."""
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))
