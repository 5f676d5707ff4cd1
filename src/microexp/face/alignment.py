"""Face alignment and cropping from the 68 landmarks.

A clip is aligned with ONE similarity transform, estimated on its reference (onset) frame and
applied to every frame: re-estimating it per frame would add landmark jitter, which optical flow
then reports as motion larger than the micro-expression itself.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .image_input import check_image, check_landmarks
from .landmarks import LEFT_EYE, OUTER_LIPS, RIGHT_EYE, landmarks_68

#: Where the image-left eye centre, image-right eye centre and mouth centre land in the aligned
#: crop, as fractions of its side. Matches the databases' own tight crops (CASME II 280x340,
#: MEGC2019 224x224: eyes about half the width apart, brows to chin), so aligning those crops
#: needs little of the replicated border.
TEMPLATE_FRACTIONS = np.array([[0.25, 0.32], [0.75, 0.32], [0.50, 0.80]], dtype=np.float64)


def _anchor_points(landmarks: np.ndarray) -> np.ndarray:
    pts = landmarks.astype(np.float64)
    return np.stack([pts[LEFT_EYE].mean(0), pts[RIGHT_EYE].mean(0), pts[OUTER_LIPS].mean(0)])


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares ``2x3`` similarity (rotation, uniform scale, shift) taking ``src`` to ``dst``.

    Umeyama's closed form on ``(N, 2)`` point sets, N >= 2; reflections are excluded.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s_c, d_c = src - mu_s, dst - mu_d
    var_s = (s_c ** 2).sum() / len(src)
    if var_s <= 1e-12:
        raise DataError("cannot align: the anchor landmarks coincide")
    cov = d_c.T @ s_c / len(src)
    u, sing, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1
    rot = u @ np.diag(d) @ vt
    scale = (sing * d).sum() / var_s
    shift = mu_d - scale * rot @ mu_s
    return np.hstack([scale * rot, shift[:, None]]).astype(np.float64)


def apply_transform(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """``(N, 2)`` points mapped by a ``2x3`` affine transform, as float32."""
    pts = np.asarray(points, dtype=np.float64)
    return (pts @ transform[:, :2].T + transform[:, 2]).astype(np.float32)


@dataclass
class AlignedClip:
    """Frames warped by one transform.

    frames: ``(T, size, size)`` or ``(T, size, size, 3)`` uint8.
    landmarks: ``(68, 2)`` float32, the reference frame's landmarks in crop pixels.
    transform: ``2x3`` float64, original pixels -> crop pixels.
    valid: ``(size, size)`` bool, True where the crop shows the image rather than its
    replicated border (replicated stripes move with the face and fake motion).
    """

    frames: np.ndarray
    landmarks: np.ndarray
    transform: np.ndarray
    ref_index: int = 0
    valid: np.ndarray | None = None


class FaceAligner:
    """Estimates a similarity transform from a reference face and applies it to other frames.

    >>> aligner = FaceAligner(size=128).fit(onset)      # doctest: +SKIP
    >>> crop = aligner.warp(apex)                       # doctest: +SKIP
    """

    def __init__(self, size: int = 128, template: np.ndarray = TEMPLATE_FRACTIONS):
        if int(size) < 8:
            raise DataError(f"aligned crop size must be >= 8 pixels, got {size}")
        self.size = int(size)
        self.template = np.asarray(template, dtype=np.float64) * self.size
        self.transform_: np.ndarray | None = None
        self.landmarks_: np.ndarray | None = None

    def fit(self, reference: np.ndarray, landmarks: np.ndarray | None = None) -> "FaceAligner":
        """Estimate the transform on ``reference`` (landmarks found there when not given)."""
        reference = check_image(reference, name="reference frame")
        pts = landmarks_68(reference) if landmarks is None else check_landmarks(landmarks)
        self.transform_ = similarity_transform(_anchor_points(pts), self.template)
        self.landmarks_ = apply_transform(pts, self.transform_)
        return self

    def warp(self, image: np.ndarray) -> np.ndarray:
        """``image`` warped into the ``size x size`` aligned crop (border replicated)."""
        import cv2

        if self.transform_ is None:
            raise DataError("FaceAligner.warp called before fit")
        image = check_image(image)
        transform = self.transform_.copy()
        # Bilinear warping aliases when shrinking by more than 2x: halve with pyrDown first.
        while np.sqrt(abs(np.linalg.det(transform[:, :2]))) < 0.5 and min(image.shape[:2]) >= 16:
            image = cv2.pyrDown(image)
            transform[:, :2] *= 2.0
        return cv2.warpAffine(image, transform, (self.size, self.size),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def valid_mask(self, image_shape) -> np.ndarray:
        """``(size, size)`` bool: crop pixels that come from inside an image of ``image_shape``."""
        import cv2

        if self.transform_ is None:
            raise DataError("FaceAligner.valid_mask called before fit")
        h, w = image_shape[:2]
        ones = np.full((h, w), 255, np.uint8)
        warped = cv2.warpAffine(ones, self.transform_, (self.size, self.size), flags=cv2.INTER_NEAREST,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return warped > 0


def _as_frame_list(frames) -> list[np.ndarray]:
    if frames is None:
        raise DataError("frames is None; expected a list of images or a (T, H, W[, 3]) array")
    if isinstance(frames, np.ndarray):
        if frames.ndim not in (3, 4):
            raise DataError(f"frames array has shape {frames.shape}; expected (T, H, W) or (T, H, W, 3)")
        frames = list(frames)
    frames = list(frames)
    if not frames:
        raise DataError("frames is empty; expected at least one image")
    checked = [check_image(f, name=f"frame {i}") for i, f in enumerate(frames)]
    if len({f.shape for f in checked}) != 1:
        raise DataError(f"frames differ in shape: {sorted({f.shape for f in checked})}")
    return checked


def align_clip(frames, *, ref_index: int = 0, size: int = 128,
               landmarks: np.ndarray | None = None) -> AlignedClip:
    """Align every frame with the transform estimated on ``frames[ref_index]``.

    ``landmarks`` are the reference frame's 68 points in original pixels (found when None).
    """
    frame_list = _as_frame_list(frames)
    if not -len(frame_list) <= ref_index < len(frame_list):
        raise DataError(f"ref_index {ref_index} is outside the clip of {len(frame_list)} frames")
    aligner = FaceAligner(size=size).fit(frame_list[ref_index], landmarks)
    warped = np.stack([aligner.warp(f) for f in frame_list])
    return AlignedClip(warped, aligner.landmarks_, aligner.transform_, ref_index % len(frame_list),
                       aligner.valid_mask(frame_list[0].shape))


def crop_face(image: np.ndarray, landmarks: np.ndarray, size: int, *, margin: float = 0.1) -> np.ndarray:
    """Axis-aligned square crop around the landmarks, resized to ``size x size``.

    The square spans the landmarks' bounding box plus ``margin`` of its side on each side; the
    top is raised by a fifth of the side because dlib's points stop at the brows.
    Pixels beyond the image are filled by border replication. No rotation: use
    :func:`align_clip` for that.
    """
    import cv2

    image = check_image(image)
    pts = check_landmarks(landmarks)
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    y0 -= 0.2 * (y1 - y0)
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    if side < 2:
        raise DataError("landmarks span less than two pixels; cannot crop a face")
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bx0, by0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    bside = max(2, int(round(side)))
    h, w = image.shape[:2]
    pad_l, pad_t = max(0, -bx0), max(0, -by0)
    pad_r, pad_b = max(0, bx0 + bside - w), max(0, by0 + bside - h)
    if pad_l or pad_t or pad_r or pad_b:
        image = cv2.copyMakeBorder(image, pad_t, pad_b, pad_l, pad_r, cv2.BORDER_REPLICATE)
    region = image[by0 + pad_t:by0 + pad_t + bside, bx0 + pad_l:bx0 + pad_l + bside]
    interp = cv2.INTER_AREA if bside > size else cv2.INTER_LINEAR
    return cv2.resize(region, (int(size), int(size)), interpolation=interp)
