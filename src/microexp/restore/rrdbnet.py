"""RRDBNet, the ESRGAN generator (Wang et al., "ESRGAN: Enhanced Super-Resolution Generative
Adversarial Networks", ECCV workshops 2018).

Shapes: ``(B, C, h, w)`` low-resolution in [0, 1] → ``(B, C, scale*h, scale*w)``.
Residual-in-residual dense blocks (no batch norm) at low resolution, then ×2 nearest-neighbour
up-sampling + conv steps, as in the paper. ``n_blocks``, ``n_features`` and ``growth`` shrink the
network so it trains on a CPU (paper: 23 / 64 / 32); ``upsampler="pixelshuffle"`` replaces the
high-resolution convs by one sub-pixel conv at low resolution (ESPCN-style), several times cheaper.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Residual scaling β of ESRGAN (section 3.2): dense-block outputs are scaled before the skip sum.
RESIDUAL_SCALE = 0.2
#: ESRGAN initialises the dense-block convs with MSRA init × 0.1 ("smaller initialisation").
INIT_SCALE = 0.1


def _scaled_kaiming_(module: nn.Module, scale: float) -> None:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, a=0.0, mode="fan_in")
            m.weight.data.mul_(scale)
            if m.bias is not None:
                m.bias.data.zero_()


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3×3 convs; ``(B, nf, h, w)`` → same shape."""

    def __init__(self, n_features: int = 64, growth: int = 32):
        super().__init__()
        nf, gc = n_features, growth
        self.convs = nn.ModuleList(nn.Conv2d(nf + i * gc, gc, 3, padding=1) for i in range(4))
        self.conv_out = nn.Conv2d(nf + 4 * gc, nf, 3, padding=1)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        _scaled_kaiming_(self, INIT_SCALE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for conv in self.convs:
            feats.append(self.act(conv(torch.cat(feats, 1))))
        return x + RESIDUAL_SCALE * self.conv_out(torch.cat(feats, 1))


class RRDB(nn.Module):
    """Residual-in-residual dense block: three dense blocks and an outer scaled skip."""

    def __init__(self, n_features: int = 64, growth: int = 32):
        super().__init__()
        self.blocks = nn.Sequential(*(ResidualDenseBlock(n_features, growth) for _ in range(3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + RESIDUAL_SCALE * self.blocks(x)


class RRDBNet(nn.Module):
    """ESRGAN generator.

    ``global_residual=True`` adds the bicubic up-sampling of the input to the output, so the
    network only learns the missing detail; this is not in ESRGAN but makes small networks
    converge in far fewer iterations (a CPU budget), without changing what the network can express.
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3, n_features: int = 64, n_blocks: int = 23,
                 growth: int = 32, scale: int = 4, global_residual: bool = False,
                 upsampler: str = "nearest"):
        super().__init__()
        if upsampler not in ("nearest", "pixelshuffle"):
            raise ValueError(f"upsampler must be 'nearest' or 'pixelshuffle', got {upsampler!r}")
        if scale not in (2, 4, 8):
            raise ValueError(f"scale must be 2, 4 or 8, got {scale}")
        if global_residual and in_channels != out_channels:
            raise ValueError("global_residual needs in_channels == out_channels")
        self.scale = scale
        self.global_residual = global_residual
        nf = n_features
        self.conv_first = nn.Conv2d(in_channels, nf, 3, padding=1)
        self.body = nn.Sequential(*(RRDB(nf, growth) for _ in range(n_blocks)))
        self.conv_body = nn.Conv2d(nf, nf, 3, padding=1)
        self.upsampler = upsampler
        if upsampler == "nearest":
            self.up_convs = nn.ModuleList(nn.Conv2d(nf, nf, 3, padding=1) for _ in range(int(math.log2(scale))))
            self.conv_hr = nn.Conv2d(nf, nf, 3, padding=1)
            self.conv_last = nn.Conv2d(nf, out_channels, 3, padding=1)
        else:
            self.conv_last = nn.Conv2d(nf, out_channels * scale * scale, 3, padding=1)
            self.shuffle = nn.PixelShuffle(scale)
        self.act = nn.LeakyReLU(0.2, inplace=True)
        if global_residual:
            # Start as plain bicubic: the learnt correction begins at zero.
            nn.init.zeros_(self.conv_last.weight)
            nn.init.zeros_(self.conv_last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        if self.upsampler == "nearest":
            for conv in self.up_convs:
                feat = self.act(conv(F.interpolate(feat, scale_factor=2, mode="nearest")))
            out = self.conv_last(self.act(self.conv_hr(feat)))
        else:
            out = self.shuffle(self.conv_last(feat))
        if self.global_residual:
            out = out + F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return out
