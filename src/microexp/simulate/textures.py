"""Photographs of real faces that ship with the installed libraries, with their 68 landmarks.

No face data may be downloaded at run time, so the simulator starts from the portraits bundled
with scikit-image (astronaut Eileen Collins) and Matplotlib (Grace Hopper); both are in the public
domain. Their landmarks are found once per process with the project's dlib-based face pipeline.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import FaceNotFoundError
from .action_units import FLIP_68


@dataclass(frozen=True)
class BaseFace:
    """A portrait (H, W, 3) uint8 RGB and its (68, 2) float64 landmarks."""

    name: str
    image: np.ndarray
    landmarks: np.ndarray


def _astronaut() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.astronaut())


def _grace_hopper() -> np.ndarray:
    import matplotlib.cbook as cbook
    import matplotlib.image as mpimg

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        img = mpimg.imread(fh, format="jpg")
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


#: Bundled portraits: name → loader of an (H, W, 3) uint8 RGB array.
PORTRAITS = {"astronaut": _astronaut, "grace_hopper": _grace_hopper}


def _largest_face_landmarks(image: np.ndarray, name: str) -> np.ndarray:
    from ..face.detection import frontal_face_detector
    from ..face.landmarks import landmarks_68

    # the portraits' faces are 90-190 px wide; one up-sampling finds the smaller one
    rects = frontal_face_detector()(image, 1)
    if not rects:
        raise FaceNotFoundError(f"no face found in the bundled portrait {name!r}")
    r = max(rects, key=lambda r: r.area())
    box = (r.left(), r.top(), r.right() + 1, r.bottom() + 1)
    return landmarks_68(image, box).astype(np.float64)


@lru_cache(maxsize=None)
def base_face(name: str, mirrored: bool = False) -> BaseFace:
    """The portrait ``name`` (see :data:`PORTRAITS`), optionally mirrored left–right.

    Mirroring flips the image and re-indexes the landmarks (:data:`FLIP_68`), so index 36 is still
    the image-left eye corner.
    """
    image = PORTRAITS[name]()
    if not mirrored:
        return BaseFace(name, image, _largest_face_landmarks(image, name))
    plain = base_face(name, False)
    w = plain.image.shape[1]
    flipped = np.ascontiguousarray(plain.image[:, ::-1])
    pts = plain.landmarks[list(FLIP_68)].copy()
    pts[:, 0] = (w - 1) - pts[:, 0]
    return BaseFace(name + "_mirrored", flipped, pts)
