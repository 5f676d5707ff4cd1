"""On-the-fly training augmentations in plain torch, applied to training batches only.

Face images (paper 003, section 3.2.1, applied in this order; paper 001 uses rotations, flips and
contrast changes): brightness, contrast and saturation factors in [0.2, 1.8], hue shift in
[−0.5, 0.5] of the colour circle, grayscale with p = 0.2, horizontal flip with p = 0.5, rotation in
[−15°, 15°].
Optical flow (u, v, strain each min–max scaled to [0, 1]): a horizontal flip mirrors the motion, so
the horizontal component changes sign — for min–max scaled u that is u → 1 − u; v and strain only
move. Photometric changes make no sense for flow and are not applied.

Every function takes and returns (N, C, H, W) float tensors in [0, 1] and draws from ``generator``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..errors import ConfigError

#: Paper 003, section 3.2.1.
COLOUR_JITTER_RANGE = (0.2, 1.8)
HUE_SHIFT = 0.5
GRAYSCALE_P = 0.2
HFLIP_P = 0.5
ROTATION_DEGREES = 15.0
#: ``flow_shift``: the largest whole-pixel translation, each axis (face-alignment differences).
SHIFT_PIXELS = 2
AUGMENT_KINDS = ("none", "face", "flow", "flow_rotate", "flow_shift")


def _uniform(n: int, lo: float, hi: float, g: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def _bcast(t: torch.Tensor) -> torch.Tensor:
    return t.view(-1, 1, 1, 1)


def flip_flow_horizontally(x: torch.Tensor, u_channel: int = 0) -> torch.Tensor:
    """Mirror flow maps left–right; the min–max scaled horizontal component becomes 1 − u."""
    x = x.flip(-1).clone()
    x[:, u_channel] = 1.0 - x[:, u_channel]
    return x


def rotate(x: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate each image by its angle (bilinear, border values replicated)."""
    a = degrees * math.pi / 180
    cos, sin = torch.cos(a), torch.sin(a)
    zeros = torch.zeros_like(a)
    theta = torch.stack([torch.stack([cos, -sin, zeros], 1), torch.stack([sin, cos, zeros], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def translate(x: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Shift each image by whole pixels (``dx`` right, ``dy`` down), border values replicated."""
    n, _, h, w = x.shape
    ones, zeros = torch.ones(n), torch.zeros(n)
    theta = torch.stack([torch.stack([ones, zeros, -2 * dx.float() / w], 1),
                         torch.stack([zeros, ones, -2 * dy.float() / h], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=False)


def _gray(x: torch.Tensor) -> torch.Tensor:
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).expand_as(x)


def rgb_to_hsv(x: torch.Tensor) -> torch.Tensor:
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    maxc, _ = x.max(1)
    minc, _ = x.min(1)
    delta = maxc - minc
    s = torch.where(maxc > 0, delta / maxc.clamp_min(1e-8), torch.zeros_like(maxc))
    d = delta.clamp_min(1e-8)
    h = torch.where(maxc == r, ((g - b) / d) % 6, torch.where(maxc == g, (b - r) / d + 2, (r - g) / d + 4))
    h = torch.where(delta > 0, h / 6, torch.zeros_like(h))
    return torch.stack([h, s, maxc], 1)


def hsv_to_rgb(x: torch.Tensor) -> torch.Tensor:
    h, s, v = x[:, 0], x[:, 1], x[:, 2]
    k = lambda n: (n + h * 6) % 6  # noqa: E731 - the standard closed form of HSV → RGB
    f = lambda n: v - v * s * torch.clamp(torch.minimum(k(n), 4 - k(n)), 0, 1)  # noqa: E731
    return torch.stack([f(5), f(3), f(1)], 1)


def colour_jitter(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    lo, hi = COLOUR_JITTER_RANGE
    x = (x * _bcast(_uniform(n, lo, hi, g))).clamp(0, 1)  # brightness
    mean = _gray(x).mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - mean) * _bcast(_uniform(n, lo, hi, g)) + mean).clamp(0, 1)  # contrast
    gray = _gray(x)
    x = ((x - gray) * _bcast(_uniform(n, lo, hi, g)) + gray).clamp(0, 1)  # saturation
    hsv = rgb_to_hsv(x)
    hsv[:, 0] = (hsv[:, 0] + _uniform(n, -HUE_SHIFT, HUE_SHIFT, g).view(-1, 1, 1)) % 1.0
    return hsv_to_rgb(hsv).clamp(0, 1)


def augment_face(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    if x.shape[1] == 3:
        x = colour_jitter(x, g)
        to_gray = _bcast(torch.rand(n, generator=g) < GRAYSCALE_P).to(x.dtype)
        x = to_gray * _gray(x) + (1 - to_gray) * x
    flip = _bcast(torch.rand(n, generator=g) < HFLIP_P).to(x.dtype)
    x = flip * x.flip(-1) + (1 - flip) * x
    return rotate(x, _uniform(n, -ROTATION_DEGREES, ROTATION_DEGREES, g))


def augment_flow(x: torch.Tensor, g: torch.Generator, rotation_degrees: float = 0.0) -> torch.Tensor:
    n = x.shape[0]
    flip = _bcast(torch.rand(n, generator=g) < HFLIP_P).to(x.dtype)
    x = flip * flip_flow_horizontally(x) + (1 - flip) * x
    if rotation_degrees > 0:
        x = rotate(x, _uniform(n, -rotation_degrees, rotation_degrees, g))
    return x


def augment_flow_shift(x: torch.Tensor, g: torch.Generator, pixels: int = SHIFT_PIXELS) -> torch.Tensor:
    """The flow flip, then a translation of up to ``pixels`` whole pixels on each axis."""
    x = augment_flow(x, g)
    n = x.shape[0]
    dx = torch.randint(-pixels, pixels + 1, (n,), generator=g)
    dy = torch.randint(-pixels, pixels + 1, (n,), generator=g)
    return translate(x, dx, dy)


def make_augmentation(kind: str):
    """``kind`` → function (x, generator) → x, or None for no augmentation."""
    if kind in (None, "none"):
        return None
    if kind == "face":
        return augment_face
    if kind == "flow":
        return augment_flow
    if kind == "flow_rotate":
        return lambda x, g: augment_flow(x, g, rotation_degrees=ROTATION_DEGREES)
    if kind == "flow_shift":
        return augment_flow_shift
    raise ConfigError(f"unknown augmentation {kind!r}; choose one of {AUGMENT_KINDS}")


def horizontal_flip_for(input_kind: str):
    """The test-time flip of an input kind (flow needs the sign change of u), or None."""
    if input_kind in ("flow", "flow_rois"):  # the ROI mosaics are mirror-consistent
        return flip_flow_horizontally
    if input_kind in ("face", "frames3", "face_rois"):
        return lambda x: x.flip(-1)
    return None
