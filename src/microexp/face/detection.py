"""Face detection with dlib's HOG frontal detector, plus fallbacks for tightly cropped faces.

Database crops (CASME II 280x340, MEGC2019 224x224) cut the face at the forehead and chin; the
HOG window then has no background around the face and misses about one face in six. The
fallbacks, tried in order until one finds a face, are:

1. ``hog``           the detector as is (no up-sampling);
2. ``pad``           the image padded on every side by border replication (``PAD_FRACTION``);
3. ``low_threshold`` the padded image with a lowered detection threshold (``FALLBACK_THRESHOLD``);
4. ``upsample``      the padded image up-sampled once (finds smaller faces);
5. ``whole_frame``   the whole frame taken as the face box: a tight crop *is* the face.

Passes 2-4 are accepted only when the 68 landmarks fitted in their box have a face-like layout.
The whole frame is accepted only with some face evidence: the best HOG window of the padded image
scores at least ``WHOLE_FRAME_MIN_SCORE`` (the four MEGC2019 apex faces that need this pass score
-0.34 to -0.64; grey, noise and gradient images score below -1.8). Otherwise no face is found.

Boxes are ``(x0, y0, x1, y1)`` integers, x1/y1 exclusive, in the input image's pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import FaceNotFoundError
from .image_input import check_image
from .landmark_fitting import Box, fit_landmarks, landmarks_plausible

#: Border added on each side before re-running the detector, as a fraction of the image side.
PAD_FRACTION = 0.25
#: Detector score threshold of the ``low_threshold`` pass (dlib's default is 0.0).
FALLBACK_THRESHOLD = -0.6
#: Larger images are shrunk to this longest side before detection (SAMM frames are 2040x1088;
#: their faces stay far above HOG's 80-pixel minimum, and detection gets ~10x cheaper).
MAX_DETECTION_SIDE = 640
#: Weakest HOG window score (padded image) that still counts as evidence of a tightly cropped face.
WHOLE_FRAME_MIN_SCORE = -1.2


@dataclass(frozen=True)
class FaceDetection:
    """Where the face is and how it was found.

    ``box`` may reach beyond the image border (dlib boxes often do on tight crops);
    ``clipped_box`` is the same box cut to the image.
    """

    box: Box
    strategy: str
    score: float
    image_shape: tuple[int, int]

    @property
    def clipped_box(self) -> Box:
        return clip_box(self.box, self.image_shape)


@lru_cache(maxsize=1)
def frontal_face_detector():
    """dlib's HOG + linear SVM detector, built once per process."""
    import dlib

    return dlib.get_frontal_face_detector()


def clip_box(box: Box, image_shape) -> Box:
    """Cut ``box`` to an image of ``image_shape`` ``(H, W[, C])``."""
    h, w = image_shape[:2]
    x0, y0, x1, y1 = box
    return (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))


def _pad(image: np.ndarray, fraction: float) -> tuple[np.ndarray, int, int]:
    import cv2

    h, w = image.shape[:2]
    py, px = int(round(h * fraction)), int(round(w * fraction))
    padded = cv2.copyMakeBorder(image, py, py, px, px, cv2.BORDER_REPLICATE)
    return padded, px, py


def _best(rects, scores, dx: int, dy: int, scale: float, image_shape) -> tuple[Box, float] | None:
    """Largest detection whose centre lies inside the original image, in original pixels."""
    h, w = image_shape[:2]
    best = None
    for rect, score in zip(rects, scores):
        x0 = rect.left() / scale - dx
        y0 = rect.top() / scale - dy
        x1 = (rect.right() + 1) / scale - dx
        y1 = (rect.bottom() + 1) / scale - dy
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if not (0 <= cx < w and 0 <= cy < h):
            continue  # a "face" found in the replicated border
        area = (x1 - x0) * (y1 - y0)
        if best is None or area > best[0]:
            best = (area, (int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))), float(score))
    return None if best is None else (best[1], best[2])


def _scale_box(box: Box, factor: float) -> Box:
    return tuple(int(round(v * factor)) for v in box)  # type: ignore[return-value]


def _detection_image(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The image the detector sees and its scale relative to ``image``."""
    import cv2

    h, w = image.shape[:2]
    if max(h, w) <= MAX_DETECTION_SIDE:
        return image, 1.0
    factor = MAX_DETECTION_SIDE / max(h, w)
    small = cv2.resize(image, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    return small, factor


def _detector_passes(image: np.ndarray):
    """Yield ``(strategy, box, score)`` for each fallback pass that finds a face."""
    detector = frontal_face_detector()
    shape = image.shape[:2]
    padded, px, py = _pad(image, PAD_FRACTION)
    passes = (
        ("pad", padded, 0, 1.0, 0.0),
        ("low_threshold", padded, 0, 1.0, FALLBACK_THRESHOLD),
        ("upsample", padded, 1, 2.0, 0.0),
    )
    for strategy, img, upsample, scale, threshold in passes:
        rects, scores, _ = detector.run(img, upsample, threshold)
        found = _best(rects, scores, px, py, scale, shape)
        if found:
            yield strategy, found[0], found[1]


def find_face(image: np.ndarray, *, fallback: bool = True) -> FaceDetection:
    """Run the detector cascade on an ``(H, W)`` or ``(H, W, 3)`` uint8 image.

    A fallback box is accepted only when the landmarks fitted in it have a face-like layout
    (:func:`~microexp.face.landmark_fitting.landmarks_plausible`), so a stray low-score window on
    hair or background does not win over the whole-frame box.
    Raises :class:`FaceNotFoundError` when ``fallback`` is False and plain HOG finds nothing, or
    when even the whole-frame pass has no face evidence.
    """
    image = check_image(image)
    shape = image.shape[:2]
    small, factor = _detection_image(image)
    rects, scores, _ = frontal_face_detector().run(small, 0, 0.0)
    found = _best(rects, scores, 0, 0, 1.0, small.shape)
    if found:
        return FaceDetection(_scale_box(found[0], 1 / factor), "hog", found[1], shape)
    if not fallback:
        raise FaceNotFoundError("no face found by the HOG frontal face detector")
    for strategy, box, score in _detector_passes(small):
        box = _scale_box(box, 1 / factor)
        if landmarks_plausible(fit_landmarks(image, box), shape):
            return FaceDetection(box, strategy, score, shape)
    padded, _, _ = _pad(small, PAD_FRACTION)
    _, scores, _ = frontal_face_detector().run(padded, 0, WHOLE_FRAME_MIN_SCORE)
    if not len(scores):
        raise FaceNotFoundError("no face found: no detector pass and no face-like HOG window "
                                f"(score >= {WHOLE_FRAME_MIN_SCORE}) anywhere in the image")
    h, w = shape
    return FaceDetection((0, 0, w, h), "whole_frame", float(max(scores)), shape)


def detect_face(image_rgb_or_gray: np.ndarray, *, fallback: bool = True, clip: bool = True) -> Box:
    """Face box ``(x0, y0, x1, y1)`` of the most prominent face (see the module docstring).

    ``clip=True`` cuts the box to the image so that ``image[y0:y1, x0:x1]`` is safe; landmark
    fitting uses the unclipped box (:func:`find_face`) because dlib's boxes on tight crops
    legitimately reach past the border.
    """
    found = find_face(image_rgb_or_gray, fallback=fallback)
    return found.clipped_box if clip else found.box
