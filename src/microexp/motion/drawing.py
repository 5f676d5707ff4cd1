"""Pictures of motion for checking by eye."""
from __future__ import annotations

import numpy as np

from .flow import check_flow


def flow_to_hsv_image(flow: np.ndarray, *, max_magnitude: float | None = None) -> np.ndarray:
    """RGB uint8 ``(H, W, 3)`` picture of a flow: hue = direction, value = magnitude.

    Magnitudes are scaled by ``max_magnitude`` (default: this flow's largest), so a still
    region is black whatever its direction.
    """
    import cv2

    flow = check_flow(flow)
    u, v = flow[:, :, 0], flow[:, :, 1]
    magnitude = np.hypot(u, v)
    angle = (np.degrees(np.arctan2(v, u)) + 360.0) % 360.0
    top = float(magnitude.max()) if max_magnitude is None else float(max_magnitude)
    value = np.clip(magnitude / top, 0, 1) if top > 0 else np.zeros_like(magnitude)
    hsv = np.empty(flow.shape[:2] + (3,), dtype=np.uint8)
    hsv[:, :, 0] = np.rint(angle / 2.0).astype(np.uint8) % 180  # OpenCV hue is 0-179
    hsv[:, :, 1] = 255
    hsv[:, :, 2] = np.rint(value * 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def scalar_to_image(values: np.ndarray) -> np.ndarray:
    """``(H, W)`` uint8 min-max view of a scalar map (e.g. optical strain)."""
    arr = np.asarray(values, dtype=np.float64)
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        return np.zeros(arr.shape, dtype=np.uint8)
    return np.rint((arr - lo) / (hi - lo) * 255).astype(np.uint8)
