"""Optical strain and flow magnitude/orientation.

Optical strain (used with u, v by STSTNet, the MEGC2019 composite) is the magnitude of the
infinitesimal strain tensor  eps = 1/2 (grad w + grad w^T)  of the flow w = (u, v):

    |eps| = sqrt(eps_xx^2 + eps_yy^2 + 2 eps_xy^2)
          = sqrt(u_x^2 + v_y^2 + 1/2 (u_y + v_x)^2)

so u = a x, v = b y gives |eps| = sqrt(a^2 + b^2) everywhere, and a rigid shift gives 0.
"""
from __future__ import annotations

import numpy as np

from .flow import check_flow


def optical_strain(flow: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32 strain magnitude of an ``(H, W, 2)`` flow (central differences)."""
    flow = check_flow(flow)
    if min(flow.shape[:2]) < 2:
        from ..errors import DataError

        raise DataError(f"flow of shape {flow.shape} is too small for spatial derivatives (need >= 2x2)")
    u = flow[:, :, 0].astype(np.float64)
    v = flow[:, :, 1].astype(np.float64)
    u_y, u_x = np.gradient(u)
    v_y, v_x = np.gradient(v)
    strain = np.sqrt(u_x ** 2 + v_y ** 2 + 0.5 * (u_y + v_x) ** 2)
    return strain.astype(np.float32)


def flow_magnitude_orientation(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(magnitude, orientation)``, each ``(H, W)`` float32; orientation in radians in [-pi, pi]
    measured from +x towards +y (image y points down)."""
    flow = check_flow(flow)
    u, v = flow[:, :, 0], flow[:, :, 1]
    return np.hypot(u, v).astype(np.float32), np.arctan2(v, u).astype(np.float32)
