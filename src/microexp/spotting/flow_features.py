"""Per-frame optical flow of a clip, relative to its onset, as regressor input and motion curves.

Flow comes from :mod:`microexp.motion` (``tvl1_flow``, ``farneback_flow``, ``optical_strain``);
when that module is not importable (a partial install) the same computation is done with OpenCV
behind :func:`pair_flow`, so this module keeps working.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError

FLOW_METHODS: tuple[str, ...] = ("farneback", "tvl1")

#: Farneback averaging window for the small frames spotting uses: OpenCV's tutorial value (15)
#: is a quarter of a 64-pixel face and smears a blink over the brows and cheeks.
SPOTTING_FARNEBACK_WINSIZE = 7

#: Side of the square grey frames flow is computed on: small, because spotting only needs the
#: coarse motion and CPU time is scarce.
DEFAULT_FLOW_SIZE = 64

#: Side of the regressor input (u, v, strain) images; 48 is the smallest even side on which the
#: paper-004 VGG-M layer stack (Table 1) still leaves a spatial map after the second pooling.
DEFAULT_INPUT_SIZE = 48


def to_gray_frames(frames, size: int | None = DEFAULT_FLOW_SIZE) -> np.ndarray:
    """``(T, H, W[, 3])`` uint8/float frames → ``(T, size, size)`` float32 grey in [0, 255]."""
    import cv2

    arr = np.asarray(frames)
    if arr.ndim == 4 and arr.shape[-1] == 3:
        arr = np.stack([cv2.cvtColor(np.ascontiguousarray(f).astype(np.uint8), cv2.COLOR_RGB2GRAY) for f in arr])
    elif arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 3 or arr.shape[0] < 1:
        raise DataError(f"expected frames shaped (T, H, W) or (T, H, W, 3), got {arr.shape}")
    arr = arr.astype(np.float32)
    if size is not None and arr.shape[1:] != (size, size):
        arr = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in arr])
    return arr


def _cv2_flow(prev: np.ndarray, nxt: np.ndarray, method: str) -> np.ndarray:
    import cv2

    a = np.clip(prev, 0, 255).astype(np.uint8)
    b = np.clip(nxt, 0, 255).astype(np.uint8)
    if method == "farneback":
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, SPOTTING_FARNEBACK_WINSIZE, 3, 5, 1.1, 0)
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    return tvl1.calc(a, b, None)


def pair_flow(prev: np.ndarray, nxt: np.ndarray, method: str = "farneback") -> np.ndarray:
    """Dense flow ``(H, W, 2)`` (u, v) from grey ``prev`` to grey ``nxt``."""
    if method not in FLOW_METHODS:
        raise DataError(f"unknown flow method {method!r}; expected one of {FLOW_METHODS}")
    try:
        from .. import motion

        fn = getattr(motion, f"{method}_flow")
    except (ImportError, AttributeError):
        fn = None
    if fn is not None:
        a, b = (np.clip(np.rint(x), 0, 255).astype(np.uint8) for x in (prev, nxt))
        kw = {"winsize": SPOTTING_FARNEBACK_WINSIZE} if method == "farneback" else {}
        flow = np.asarray(fn(a, b, **kw), dtype=np.float32)
        if flow.shape == prev.shape[:2] + (2,):
            return flow
    return _cv2_flow(prev, nxt, method).astype(np.float32)


def strain_magnitude(flow: np.ndarray) -> np.ndarray:
    """Optical strain magnitude ``(H, W)`` of a flow field (STSTNet's third channel)."""
    try:
        from ..motion import optical_strain

        out = np.asarray(optical_strain(flow), dtype=np.float32)
        if out.shape == flow.shape[:2]:
            return out
    except (ImportError, AttributeError):
        pass
    u, v = flow[..., 0], flow[..., 1]
    du_dy, du_dx = np.gradient(u)
    dv_dy, dv_dx = np.gradient(v)
    shear = 0.5 * (du_dy + dv_dx)
    return np.sqrt(du_dx ** 2 + dv_dy ** 2 + 2 * shear ** 2).astype(np.float32)


def onset_flows(gray: np.ndarray, onset: int = 0, offset: int | None = None,
                method: str = "farneback") -> np.ndarray:
    """Flow from the onset frame to every frame of [onset, offset]: ``(offset-onset+1, H, W, 2)``."""
    offset = gray.shape[0] - 1 if offset is None else int(offset)
    if not 0 <= onset <= offset < gray.shape[0]:
        raise DataError(f"onset/offset {onset}/{offset} outside a clip of {gray.shape[0]} frames")
    ref = gray[onset]
    return np.stack([np.zeros(ref.shape + (2,), np.float32) if t == onset else pair_flow(ref, gray[t], method)
                     for t in range(onset, offset + 1)])


def flow_images(flows: np.ndarray, input_size: int = DEFAULT_INPUT_SIZE,
                exclude: np.ndarray | None = None) -> np.ndarray:
    """``(T, H, W, 2)`` flows → ``(T, 3, S, S)`` float32 (u, v, strain), scaled per clip.

    Pixels where the boolean ``(H, W)`` mask ``exclude`` is True (the eyes, say) are zeroed.

    Scaling by the clip's own 99th-percentile magnitude keeps the relative intensity of frames
    (what the apex is about) and removes the clip-to-clip amplitude spread; it reads no label.
    """
    import cv2

    imgs = []
    for f in flows:
        chans = [f[..., 0], f[..., 1], strain_magnitude(f)]
        if exclude is not None:
            chans = [np.where(exclude, 0.0, c).astype(np.float32) for c in chans]
        imgs.append(np.stack([cv2.resize(c, (input_size, input_size), interpolation=cv2.INTER_AREA) for c in chans]))
    out = np.stack(imgs).astype(np.float32)
    scale = np.percentile(np.abs(out), 99)
    return out / scale if scale > 1e-6 else out


def clip_flow_images(frames, onset: int = 0, offset: int | None = None, method: str = "farneback",
                     flow_size: int = DEFAULT_FLOW_SIZE, input_size: int = DEFAULT_INPUT_SIZE) -> np.ndarray:
    """Frames of one clip → regressor input ``(offset-onset+1, 3, input_size, input_size)``."""
    gray = to_gray_frames(frames, flow_size)
    return flow_images(onset_flows(gray, onset, offset, method), input_size)
