"""Small building blocks shared by the recognisers (no architecture of its own)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def scaled(channels: int, width: float, minimum: int = 4) -> int:
    """Channel count of a paper layer scaled by a width multiplier (CPU budgets)."""
    return max(minimum, int(round(channels * width)))


def resize_to(x: torch.Tensor, size: int | None) -> torch.Tensor:
    """Bilinear resize of (N, C, H, W) to ``size``×``size`` (no-op when ``size`` is None or equal)."""
    if size is None or (x.shape[-2] == size and x.shape[-1] == size):
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def select_channels(x: torch.Tensor, channels: Sequence[int] | None) -> torch.Tensor:
    """Keep the listed input channels, e.g. (0, 1) = flow u, v without strain."""
    return x if channels is None else x[:, list(channels)]


def conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1, padding: int | None = None) -> nn.Sequential:
    if padding is None:
        padding = k // 2
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
