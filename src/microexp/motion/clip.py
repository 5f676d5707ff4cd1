"""One call from raw clip frames to onset->apex motion: align, flow, strain."""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from ..face.alignment import _as_frame_list, align_clip
from ..face.image_input import to_gray
from .composite import COMPOSITE_SIZE, encode_composite
from .flow import farneback_flow, tvl1_flow
from .strain import optical_strain

FLOW_METHODS = {"tvl1": tvl1_flow, "farneback": farneback_flow}
#: Pixels trimmed off the in-image area of an aligned crop before flow is trusted.
BORDER_MARGIN = 3


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
    ``"landmarks"`` ``(68, 2)`` in crop pixels (None without ``align``), ``"transform"`` 2x3,
    ``"valid"`` ``(size, size)`` bool. Where the aligned crop reaches past the source image
    (tight database crops), its replicated border moves with the face and would fake strong
    motion, so flow and strain are set to 0 outside ``valid`` (the in-image area shrunk by
    ``BORDER_MARGIN`` pixels).
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
        valid = aligned.valid
    else:
        h, w = pair[0].shape[:2]
        interp = cv2.INTER_AREA if min(h, w) > size else cv2.INTER_LINEAR
        onset, apex = (cv2.resize(to_gray(f), (size, size), interpolation=interp) for f in pair)
        crop_landmarks = None
        transform = np.array([[size / w, 0, 0], [0, size / h, 0]], dtype=np.float64)
        valid = np.ones((size, size), dtype=bool)
    flow = FLOW_METHODS[method](onset, apex)
    strain = optical_strain(flow)
    valid = zero_outside_valid(flow, strain, valid)
    return {
        "onset": onset,
        "apex": apex,
        "flow": flow,
        "strain": strain,
        "landmarks": crop_landmarks,
        "transform": transform,
        "valid": valid,
    }


def zero_outside_valid(flow: np.ndarray, strain: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Set flow and strain to 0 (in place) outside ``valid`` shrunk by ``BORDER_MARGIN`` pixels.

    The replicated border of an aligned crop that reaches past the image moves with the face and
    would fake strong motion. Returns the shrunk mask.
    """
    import cv2

    if valid.all():
        return valid
    valid = cv2.erode(valid.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=BORDER_MARGIN) > 0
    flow[~valid] = 0.0
    strain[~valid] = 0.0
    return valid


def onset_apex_composite(frames, *, apex_idx: int, onset_idx: int = 0, face_size: int = 128, method: str = "tvl1",
                         size: int = COMPOSITE_SIZE, landmarks: np.ndarray | None = None) -> dict:
    """The onset→apex encoding every recogniser of flows is trained on and ``analyse`` feeds it:
    :func:`clip_motion` (face aligned on the onset, ``face_size`` crop, TV-L1 or Farneback flow,
    optical strain, border zeroed) then the MEGC2019 u/v/strain composite of side ``size``.
    Preprocessing for training and the analysis of a new clip both call this one function.

    Returns :func:`clip_motion`'s dict plus ``"composite"`` ``(size, size, 3)`` uint8.
    """
    motion = clip_motion(frames, onset_idx=onset_idx, apex_idx=apex_idx, size=face_size, method=method,
                         landmarks=landmarks)
    motion["composite"] = np.asarray(encode_composite(motion["flow"], motion["strain"], size=size), dtype=np.uint8)
    return motion
