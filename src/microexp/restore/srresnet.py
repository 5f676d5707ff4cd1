"""SRResNet, the SRGAN generator (Ledig et al., "Photo-Realistic Single Image Super-Resolution
Using a Generative Adversarial Network", CVPR 2017).

Shapes: ``(B, C, h, w)`` in [0, 1] → ``(B, C, scale*h, scale*w)``. Residual blocks
(conv-BN-PReLU-conv-BN) at low resolution, a long skip, then ×2 sub-pixel (pixel-shuffle) steps.
Paper: 16 blocks of 64 features.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, n_features: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(n_features, n_features, 3, padding=1), nn.BatchNorm2d(n_features), nn.PReLU(n_features),
            nn.Conv2d(n_features, n_features, 3, padding=1), nn.BatchNorm2d(n_features),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """SRGAN generator; ``global_residual`` adds the bicubic up-sampling of the input (see RRDBNet)."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, n_features: int = 64, n_blocks: int = 16,
                 scale: int = 4, global_residual: bool = False):
        super().__init__()
        if scale not in (2, 4, 8):
            raise ValueError(f"scale must be 2, 4 or 8, got {scale}")
        nf = n_features
        self.scale = scale
        self.global_residual = global_residual
        self.head = nn.Sequential(nn.Conv2d(in_channels, nf, 9, padding=4), nn.PReLU(nf))
        self.body = nn.Sequential(*(ResidualBlock(nf) for _ in range(n_blocks)))
        self.body_tail = nn.Sequential(nn.Conv2d(nf, nf, 3, padding=1), nn.BatchNorm2d(nf))
        ups = []
        for _ in range(int(math.log2(scale))):
            ups += [nn.Conv2d(nf, nf * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(nf)]
        self.upsample = nn.Sequential(*ups)
        self.tail = nn.Conv2d(nf, out_channels, 9, padding=4)
        if global_residual:
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        head = self.head(x)
        out = self.tail(self.upsample(head + self.body_tail(self.body(head))))
        if self.global_residual:
            out = out + F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return out
