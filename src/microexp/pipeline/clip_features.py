"""The features of one clip, from its frames: aligned face, onset→apex flow and strain, the
composite-style flow image, ARS/RRS and LBP-TOP.

Everything here works on arrays; reading frames, caching and writing files is
:mod:`microexp.pipeline.preprocess`'s job.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError

#: Feature names ``preprocess`` understands.
FEATURES: tuple[str, ...] = ("flow", "strain", "ars", "rrs", "lbptop")
FLOW_METHODS: tuple[str, ...] = ("tvl1", "farneback")
#: Side of the MEGC2019 composite's flow images (STSTNet input, Liong et al. 2019).
COMPOSITE_SIZE = 28


def check_features(features: str | Sequence[str]) -> tuple[str, ...]:
    """``'flow,strain'`` or a sequence → validated tuple in :data:`FEATURES` order."""
    names = [f.strip().lower() for f in (features.split(",") if isinstance(features, str) else features) if f.strip()]
    unknown = sorted(set(names) - set(FEATURES))
    if unknown or not names:
        raise ConfigError(f"unknown features {unknown or names}; choose from {', '.join(FEATURES)}")
    return tuple(f for f in FEATURES if f in names)


def frames_needed(features: Sequence[str], n_frames: int, apex_index: int) -> list[int]:
    """Indices (into onset..offset) of the frames the features read: flow needs onset and apex;
    ARS/RRS the frames up to max(apex, onset + MIN_CLIP_SPAN) (paper 003, eqs. 1-2); LBP-TOP all."""
    from ..motion import MIN_CLIP_SPAN

    if "lbptop" in features:
        return list(range(n_frames))
    if {"ars", "rrs"} & set(features):
        return list(range(min(n_frames, max(apex_index, MIN_CLIP_SPAN) + 1)))
    return sorted({0, apex_index})


def _gray(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image


def _rgb(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image


def compute_clip_features(frames: Sequence[np.ndarray], apex_index: int, *, features: Sequence[str] = FEATURES,
                          size: int = 128, method: str = "tvl1", composite_size: int = COMPOSITE_SIZE) -> dict:
    """Arrays of one clip.

    ``frames``: (H, W, 3) or (H, W) uint8 images, onset first; ``apex_index`` indexes them.
    Returns a dict with ``apex_face`` (S, S, 3) uint8, ``landmarks`` (68, 2) float32 of the onset
    frame in aligned coordinates, and per feature: ``flow`` (S, S, 2) float32 + ``strain`` (S, S)
    float32 + ``flow_image`` (C, C, 3) uint8 u/v/strain min-max scaled like the MEGC2019 composite
    (C = ``composite_size``); ``ars``/``rrs`` (S, S[, 3]) uint8 (paper 003, key frames of
    onset..max(apex, onset + 10)); ``lbptop`` (4*4*3*59,) float32 on the aligned grayscale clip.
    Raises :class:`~microexp.errors.FaceNotFoundError` when no face.
    """
    from ..face import align_clip
    from .. import motion

    features = check_features(features)
    if method not in FLOW_METHODS:
        raise ConfigError(f"unknown flow method {method!r}; choose from {FLOW_METHODS}")
    if not 0 <= apex_index < len(frames):
        raise ConfigError(f"apex index {apex_index} outside the clip's {len(frames)} frames")
    aligned = align_clip(list(frames), ref_index=0, size=size)
    faces = [np.asarray(f) for f in aligned.frames]
    gray = np.stack([_gray(f) for f in faces])
    out: dict[str, np.ndarray] = {
        "apex_face": _rgb(faces[apex_index]).astype(np.uint8),
        "landmarks": np.asarray(aligned.landmarks, dtype=np.float32).reshape(-1, 68, 2)[0],
    }
    if {"flow", "strain"} & set(features):
        # the one onset→apex encoding, exactly as `microexp analyse` computes it for a new clip
        m = motion.onset_apex_composite(list(frames), apex_idx=apex_index, face_size=size, method=method,
                                        size=composite_size)
        out["strain"] = np.asarray(m["strain"], dtype=np.float32)
        if "flow" in features:
            out["flow"] = np.asarray(m["flow"], dtype=np.float32)
            out["flow_image"] = m["composite"]
    if {"ars", "rrs"} & set(features):
        # paper 003 sums residuals over the colour frames; list positions are the frame numbers here
        sums = motion.residual_sum_images(faces, 0, apex_index, len(faces) - 1)
        for kind in ("ars", "rrs"):
            if kind in features:
                out[kind] = np.asarray(sums[kind], dtype=np.uint8)
    if "lbptop" in features:
        out["lbptop"] = np.asarray(motion.lbp_top(gray), dtype=np.float32).ravel()
    return out
