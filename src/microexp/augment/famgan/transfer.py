"""AU transfer (paper 002, fig. 1): a source clip's AU sequence animates a target face.

1. landmarks of every source frame (dlib 68 points in one face box found on the onset frame);
2. AU intensities per side from landmark geometry, averaged over size-jittered copies (eq. 1);
3. temporal mean filter (eq. 2) and neutral correction against the target face (eq. 3);
4. one generated frame per source frame: an AU-conditioned generator animates the target face,
   the two sides either in one pass or as two faces joined at the midline (fig. 2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import DataError
from .au_estimation import LandmarkAUEstimator
from .modulation import (DEFAULT_FILTER_HALF_WIDTH, DEFAULT_NEUTRAL_ALPHA, SIZE_DELTAS, face_midline_x,
                         join_half_faces, mirrored_half_faces, neutral_correction, temporal_mean_filter)


def track_landmarks(frames: np.ndarray, box=None) -> np.ndarray:
    """(T, 68, 2) landmarks of ``frames`` (T, H, W[, 3]) uint8, in one face box (found on frame 0)."""
    from ...face.detection import find_face
    from ...face.landmarks import landmarks_68

    frames = np.asarray(frames)
    if frames.ndim not in (3, 4) or len(frames) == 0:
        raise DataError(f"frames must be (T, H, W[, 3]) with T >= 1; got {frames.shape}")
    if box is None:
        box = find_face(frames[0], fallback=True).box
    return np.stack([landmarks_68(f, box) for f in frames]).astype(np.float64)


def estimate_au_sides(frames: np.ndarray, estimator: LandmarkAUEstimator, deltas=SIZE_DELTAS,
                      landmarks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-side AU sequences (left, right), each (T, A), of a clip whose first frame is neutral.

    With ``landmarks`` given (e.g. ground truth) they are used as they are; otherwise landmarks are
    detected on copies of every frame resized by each Δ of ``deltas`` and the AU values averaged
    (eq. 1, paper 002); ``deltas=(0,)`` switches the averaging off.
    """
    import cv2

    from ...face.detection import find_face

    if landmarks is not None:
        return estimator.predict_sides(landmarks)
    frames = np.asarray(frames)
    h, w = frames.shape[1:3]
    box = find_face(frames[0], fallback=True).box
    lefts, rights = [], []
    for d in deltas:
        sx, sy = (w + d) / w, (h + d) / h
        if d == 0:
            resized = frames
        else:
            resized = np.stack([cv2.resize(f, (w + d, h + d), interpolation=cv2.INTER_LINEAR) for f in frames])
        scaled_box = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
        lms = track_landmarks(resized, scaled_box) / np.array([sx, sy])
        left, right = estimator.predict_sides(lms)
        lefts.append(left)
        rights.append(right)
    return np.mean(lefts, axis=0), np.mean(rights, axis=0)


def modulate_sides(left, right, target_left=None, target_right=None, half_width: int = DEFAULT_FILTER_HALF_WIDTH,
                   alpha: float = DEFAULT_NEUTRAL_ALPHA, reference: str = "onset") -> tuple[np.ndarray, np.ndarray]:
    """Eq. 2 then eq. 3 on each side; target AUs default to zero (the target face taken as neutral)."""
    out = []
    for seq, tgt in ((left, target_left), (right, target_right)):
        seq = np.asarray(seq, dtype=np.float64)
        tgt = np.zeros(seq.shape[1]) if tgt is None else tgt
        out.append(neutral_correction(temporal_mean_filter(seq, half_width), tgt, alpha, reference))
    return out[0], out[1]


def animate_face(image: np.ndarray, landmarks: np.ndarray, left: np.ndarray, right: np.ndarray,
                 aus: tuple[str, ...], generator) -> np.ndarray:
    """Frames (T, H, W[, C]) of the target face showing the per-side AU sequences (T, A)."""
    left, right = np.asarray(left), np.asarray(right)
    if left.shape != right.shape or left.shape[1] != len(aus):
        raise DataError(f"side sequences {left.shape} / {right.shape} do not match {len(aus)} AUs")
    midline = face_midline_x(landmarks)
    frames = []
    for t in range(len(left)):
        au_l, au_r = dict(zip(aus, left[t])), dict(zip(aus, right[t]))
        if getattr(generator, "supports_sides", False):
            frames.append(generator(image, landmarks, au_l, au_r))
            continue
        # paper 002 fig. 2: one face per side's AUs, joined at the midline; the subject's right
        # half is the image's left half
        face_r = generator(image, landmarks, au_r, au_r)
        face_l = generator(image, landmarks, au_l, au_l)
        frames.append(join_half_faces(face_r, face_l, midline))
    return np.stack(frames)


@dataclass
class TransferResult:
    """A generated clip and the AU sequences behind it (subject's left / right, (T, A) each)."""

    frames: np.ndarray
    aus: tuple[str, ...]
    raw_left: np.ndarray
    raw_right: np.ndarray
    left: np.ndarray
    right: np.ndarray


def transfer_clip(source_frames: np.ndarray, target_image: np.ndarray, estimator: LandmarkAUEstimator,
                  generator=None, *, target_landmarks: np.ndarray | None = None,
                  source_landmarks: np.ndarray | None = None, deltas=SIZE_DELTAS,
                  half_width: int = DEFAULT_FILTER_HALF_WIDTH, alpha: float = DEFAULT_NEUTRAL_ALPHA,
                  reference: str = "onset", target_aus: tuple[np.ndarray, np.ndarray] | None = None) -> TransferResult:
    """Animate ``target_image`` with the AU sequence of ``source_frames`` (first frame = onset)."""
    from .warp_generator import WarpAUGenerator

    generator = generator or WarpAUGenerator()
    if target_landmarks is None:
        target_landmarks = track_landmarks(np.asarray(target_image)[None])[0]
    raw_l, raw_r = estimate_au_sides(source_frames, estimator, deltas, source_landmarks)
    tl, tr = target_aus if target_aus is not None else (None, None)
    left, right = modulate_sides(raw_l, raw_r, tl, tr, half_width, alpha, reference)
    frames = animate_face(target_image, target_landmarks, left, right, estimator.aus, generator)
    return TransferResult(frames, estimator.aus, raw_l, raw_r, left, right)


def half_face_images(image: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paper 002 fig. 2 for image-based AU detectors: symmetric faces of the subject's (left, right) half."""
    image_left_face, image_right_face = mirrored_half_faces(image, face_midline_x(landmarks))
    return image_right_face, image_left_face
