"""dlib's 68-point facial landmarks (iBUG 300-W layout), found in a face box or, without one, in
the face the detector finds; plus the index groups and the plausibility check.

The fitting itself and the check live in :mod:`.landmark_fitting` (below the detector, whose
fallbacks use the check); this module adds the detector in front when no box is given.
"""
from __future__ import annotations

import numpy as np

from .detection import find_face
from .landmark_fitting import (
    INNER_LIPS,
    JAW,
    LEFT_BROW,
    LEFT_EYE,
    MOUTH_LEFT,
    MOUTH_RIGHT,
    NOSE_BASE,
    NOSE_BRIDGE,
    NOSE_TIP,
    OUTER_LIPS,
    RIGHT_BROW,
    RIGHT_EYE,
    Box,
    eye_centres,
    fit_landmarks,
    landmarks_plausible,
    mouth_centre,
    shape_predictor,
)


def landmarks_68(image: np.ndarray, box: Box | None = None) -> np.ndarray:
    """``(68, 2)`` float32 (x, y) landmarks of the face in ``box`` (found when None).

    ``box`` may reach beyond the image: the image is then padded by border replication for
    the predictor, which gives steadier points on tight crops than zero padding would.
    """
    if box is None:
        box = find_face(image, fallback=True).box
    return fit_landmarks(image, box)


__all__ = [
    "INNER_LIPS", "JAW", "LEFT_BROW", "LEFT_EYE", "MOUTH_LEFT", "MOUTH_RIGHT", "NOSE_BASE", "NOSE_BRIDGE", "NOSE_TIP",
    "OUTER_LIPS", "RIGHT_BROW", "RIGHT_EYE", "Box", "eye_centres", "fit_landmarks", "landmarks_68",
    "landmarks_plausible", "mouth_centre", "shape_predictor",
]
