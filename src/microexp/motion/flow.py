"""Dense optical flow between two frames: TV-L1 (papers 003, 004) and Farneback (paper 003).

Flows are ``(H, W, 2)`` float32 arrays of (u, v) = (horizontal, vertical) displacement in
pixels, taking ``prev`` to ``nxt``. Inputs are ``(H, W)`` grayscale (RGB is converted) uint8,
or float in [0, 1] or [0, 255]. OpenCV's TV-L1 reads float images as [0, 1] (it scales them by
255 internally to match its uint8 tuning), so floats whose maximum exceeds 1 are divided by 255.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from ..errors import DataError
from ..face.image_input import check_image, to_gray

#: OpenCV's TV-L1 defaults (Zach et al. 2007, as used by papers 003/004 via OpenCV).
TVL1_DEFAULTS = dict(tau=0.25, lambda_=0.15, theta=0.3, nscales=5, warps=5, epsilon=0.01)
#: Farneback parameters of OpenCV's tutorial (pyr_scale, levels, winsize, iterations, poly_n, poly_sigma).
FARNEBACK_DEFAULTS = dict(pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2)

_TVL1_CACHE: dict = {}


def _tvl1_solver(params: tuple):
    """One TV-L1 solver per process, thread and parameter set: creating one costs about as much
    as a flow, and a solver object must not be shared by threads or inherited across a fork."""
    key = (os.getpid(), threading.get_ident(), params)
    solver = _TVL1_CACHE.get(key)
    if solver is None:
        import cv2

        tau, lam, theta, nscales, warps, epsilon = params
        solver = cv2.optflow.DualTVL1OpticalFlow_create(
            tau=tau, lambda_=lam, theta=theta, nscales=nscales, warps=warps, epsilon=epsilon)
        _TVL1_CACHE[key] = solver
    return solver


def as_flow_frame(image, *, name: str = "frame") -> np.ndarray:
    """``(H, W)`` grayscale frame for the flow solvers: uint8 kept, float made float32 in [0, 1]."""
    image = check_image(image, name=name, dtypes=(np.uint8, np.float32, np.float64))
    gray = to_gray(image)
    if gray.dtype == np.uint8:
        return gray
    gray = gray.astype(np.float32)
    if gray.max() > 1.0:
        gray = gray / 255.0
    return gray


def _pair(prev, nxt) -> tuple[np.ndarray, np.ndarray]:
    a = as_flow_frame(prev, name="prev frame")
    b = as_flow_frame(nxt, name="next frame")
    if a.shape != b.shape:
        raise DataError(f"frames differ in size: prev {a.shape} vs next {b.shape}")
    if min(a.shape) < 8:
        raise DataError(f"frames of {a.shape} are too small for optical flow (need >= 8x8)")
    if a.dtype != b.dtype:  # one uint8, one float: compare both as floats in [0, 1]
        a, b = (x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x for x in (a, b))
    return a, b


def tvl1_flow(prev, nxt, *, tau: float = 0.25, lambda_: float = 0.15, theta: float = 0.3,
              nscales: int = 5, warps: int = 5, epsilon: float = 0.01) -> np.ndarray:
    """TV-L1 flow ``(H, W, 2)`` float32 from ``prev`` to ``nxt`` (``cv2.optflow`` DualTVL1)."""
    a, b = _pair(prev, nxt)
    solver = _tvl1_solver((tau, lambda_, theta, nscales, warps, epsilon))
    flow = solver.calc(a, b, None)
    return np.asarray(flow, dtype=np.float32)


def farneback_flow(prev, nxt, **params) -> np.ndarray:
    """Farneback flow ``(H, W, 2)`` float32 from ``prev`` to ``nxt`` (:data:`FARNEBACK_DEFAULTS`)."""
    import cv2

    a, b = _pair(prev, nxt)
    if a.dtype != np.uint8:
        a, b = (np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8) for x in (a, b))
    p = {**FARNEBACK_DEFAULTS, **params}
    flow = cv2.calcOpticalFlowFarneback(a, b, None, p["pyr_scale"], p["levels"], p["winsize"],
                                        p["iterations"], p["poly_n"], p["poly_sigma"], 0)
    return flow.astype(np.float32)


def check_flow(flow, *, name: str = "flow") -> np.ndarray:
    """Return ``flow`` as a finite ``(H, W, 2)`` float32 array."""
    if flow is None:
        raise DataError(f"{name} is None; expected an (H, W, 2) array")
    arr = np.asarray(flow)
    if arr.ndim != 3 or arr.shape[2] != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise DataError(f"{name} has shape {arr.shape}; expected (H, W, 2) with (u, v) last")
    if arr.dtype.kind not in "fiu":
        raise DataError(f"{name} has dtype {arr.dtype}; expected a numeric array")
    arr = arr.astype(np.float32, copy=False)
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains NaN or infinite values")
    return arr
