"""One call from raw clip frames to onset->apex motion: align, flow, strain."""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from ..face.alignment import _as_frame_list, align_clip
from ..face.image_input import to_gray
from .flow import farneback_flow, tvl1_flow
from .strain import optical_strain

FLOW_METHODS = {"tvl1": tvl1_flow, "farneback": farneback_flow}


def clip_motion(frames, *, onset_idx: int = 0, apex_idx: int, size: int = 128, method: str = "tvl1",
                align: bool = True, landmarks: np.ndarray | None = None) -> dict:
    """Onset->apex motion of one clip.

    ``frames``: list or ``(T, H, W[, 3])`` array of uint8 images; only ``onset_idx`` and
    ``apex_idx`` are warped and compared (the others are not touched, so pass the whole clip
    freely). With ``align`` the face is aligned once on the onset frame (landmarks found there
    unless ``landmarks`` gives them) and both frames are warped to ``size x size``; without it
    both frames are just resized.

    Returns ``{"onset", "apex"}`` aligned grayscale ``(size, size)`` uint8 frames,
    ``"flow"`` ``(size, size, 2)`` float32, ``"strain"`` ``(size, size)`` float32,
    ``"landmarks"`` ``(68, 2)`` in crop pixels (None without ``align``), ``"transform"`` 2x3.
    """
    import cv2

    if method not in FLOW_METHODS:
        raise ConfigError(f"unknown flow method {method!r}; expected one of {sorted(FLOW_METHODS)}")
    if frames is None:
        raise DataError("frames is None; expected a list of images or a (T, H, W[, 3]) array")
    n = len(frames)
    for name, idx in (("onset_idx", onset_idx), ("apex_idx", apex_idx)):
        if not -n <= int(idx) < n:
            raise DataError(f"{name} {idx} is outside the clip of {n} frames")
    pair = _as_frame_list([frames[onset_idx], frames[apex_idx]])
    if align:
        aligned = align_clip(pair, ref_index=0, size=size, landmarks=landmarks)
        onset, apex = (to_gray(f) for f in aligned.frames)
        crop_landmarks, transform = aligned.landmarks, aligned.transform
    else:
        h, w = pair[0].shape[:2]
        interp = cv2.INTER_AREA if min(h, w) > size else cv2.INTER_LINEAR
        onset, apex = (cv2.resize(to_gray(f), (size, size), interpolation=interp) for f in pair)
        crop_landmarks = None
        transform = np.array([[size / w, 0, 0], [0, size / h, 0]], dtype=np.float64)
    flow = FLOW_METHODS[method](onset, apex)
    return {
        "onset": onset,
        "apex": apex,
        "flow": flow,
        "strain": optical_strain(flow),
        "landmarks": crop_landmarks,
        "transform": transform,
    }
