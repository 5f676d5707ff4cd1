"""An efficient super-resolution generator: residual local feature blocks with enhanced spatial
attention (after RLFN, Kong et al., "Residual Local Feature Network for Efficient
Super-Resolution", CVPR workshops 2022, the winner of NTIRE 2022's runtime track; ESA from RFANet /
RFDN, Liu et al. 2020).

Shapes: ``(B, C, h, w)`` low-resolution in [0, 1] → ``(B, C, scale*h, scale*w)``.

What makes it cheap: every block is three plain 3×3 convs (no dense concatenation as in RRDB, whose
convs see up to ``n_features + 4·growth`` input channels), one 1×1 fusion and a spatial attention
computed on a ×6 smaller map; everything runs at low resolution and a single sub-pixel conv
up-samples. Knobs: ``n_features`` (RLFN: 52), ``n_blocks`` (RLFN: 6), ``esa_channels`` (RLFN: 16),
``unshuffle`` (a pixel-unshuffle front end: the body runs at half the low resolution on 4× the
channels, about 4× fewer multiply-adds per block; the up-sampler then shuffles by ``2·scale``).

``global_residual=True`` adds the bicubic up-sampling of the input to the output (the network
learns the missing detail; it starts as plain bicubic), as microexp's RRDBNet does.

``position_channels=2`` gives the network each low-resolution pixel's place in the face, ``(x, y)``
in [-1, 1] (:func:`position_grid`), as two extra input planes: the faces are aligned crops, so a
place in the image is nearly a place in the face (an eye corner, the philtrum), and the network can
learn what each place usually looks like. Training patches carry the positions they were cut from
(flipped with them); a whole face given without them gets the full grid.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def position_grid(height: int, width: int, batch: int = 1) -> torch.Tensor:
    """``(batch, 2, height, width)``: every pixel centre's ``(x, y)`` in [-1, 1] across the image."""
    ys = (torch.arange(height, dtype=torch.float32) + 0.5) / height * 2 - 1
    xs = (torch.arange(width, dtype=torch.float32) + 0.5) / width * 2 - 1
    grid = torch.stack([xs[None, :].expand(height, width), ys[:, None].expand(height, width)])
    return grid[None].expand(batch, -1, -1, -1)


class ESA(nn.Module):
    """Enhanced spatial attention: a sigmoid mask computed on a strided, max-pooled map."""

    def __init__(self, n_features: int, esa_channels: int = 16):
        super().__init__()
        f = esa_channels
        self.reduce = nn.Conv2d(n_features, f, 1)
        self.down = nn.Conv2d(f, f, 3, stride=2, padding=0)
        self.conv = nn.Conv2d(f, f, 3, padding=1)
        self.skip = nn.Conv2d(f, f, 1)
        self.expand = nn.Conv2d(f, n_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c1 = self.reduce(x)
        c = self.down(c1)
        c = F.max_pool2d(c, kernel_size=min(7, c.shape[-1], c.shape[-2]), stride=3)
        c = self.conv(c)
        c = F.interpolate(c, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return x * torch.sigmoid(self.expand(c + self.skip(c1)))


class RLFB(nn.Module):
    """Residual local feature block: three 3×3 conv + ReLU, 1×1 fusion, ESA, and a skip around it all.

    RLFN puts the skip before the fusion and the attention (``esa(fuse(convs(x) + x))``), so every
    block multiplies its whole input by a sigmoid mask (about 0.5 at initialisation): after six
    blocks the signal is ~1/64 of its size, which a million-iteration schedule recovers from but a
    CPU budget of a few thousand does not. Here the skip goes around the whole block
    (``x + esa(fuse(convs(x)))``), as in RFDN's residual blocks.
    """

    def __init__(self, n_features: int, esa_channels: int = 16):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(n_features, n_features, 3, padding=1) for _ in range(3))
        self.fuse = nn.Conv2d(n_features, n_features, 1)
        self.esa = ESA(n_features, esa_channels)
        self.act = nn.LeakyReLU(0.05, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for conv in self.convs:
            out = self.act(conv(out))
        return x + self.esa(self.fuse(out))


class RLFNet(nn.Module):
    """RLFN-style generator with an optional pixel-unshuffle front end."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, n_features: int = 52, n_blocks: int = 6,
                 esa_channels: int = 16, scale: int = 4, global_residual: bool = True, unshuffle: bool = False,
                 position_channels: int = 0):
        super().__init__()
        if scale not in (2, 3, 4, 8):
            raise ValueError(f"scale must be 2, 3, 4 or 8, got {scale}")
        if global_residual and in_channels != out_channels:
            raise ValueError("global_residual needs in_channels == out_channels")
        if n_blocks < 1 or n_features < 4:
            raise ValueError("n_blocks must be ≥ 1 and n_features ≥ 4")
        if position_channels not in (0, 2):
            raise ValueError(f"position_channels must be 0 or 2, got {position_channels}")
        self.scale, self.global_residual, self.unshuffle = scale, global_residual, unshuffle
        self.in_channels, self.position_channels = in_channels, position_channels
        self.front = nn.PixelUnshuffle(2) if unshuffle else nn.Identity()
        self.conv_first = nn.Conv2d((in_channels + position_channels) * (4 if unshuffle else 1), n_features, 3,
                                    padding=1)
        self.body = nn.Sequential(*(RLFB(n_features, esa_channels) for _ in range(n_blocks)))
        self.conv_body = nn.Conv2d(n_features, n_features, 3, padding=1)
        up = scale * (2 if unshuffle else 1)
        self.conv_last = nn.Conv2d(n_features, out_channels * up * up, 3, padding=1)
        self.shuffle = nn.PixelShuffle(up)
        if global_residual:
            # Start as plain bicubic: the learnt correction begins at zero.
            nn.init.zeros_(self.conv_last.weight)
            nn.init.zeros_(self.conv_last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.unshuffle and (x.shape[-1] % 2 or x.shape[-2] % 2):
            raise ValueError(f"unshuffle needs an even input size, got {tuple(x.shape[-2:])}")
        if self.position_channels and x.shape[1] == self.in_channels:
            x = torch.cat([x, position_grid(x.shape[-2], x.shape[-1], x.shape[0]).to(x)], dim=1)
        feat = self.conv_first(self.front(x))
        feat = feat + self.conv_body(self.body(feat))
        out = self.shuffle(self.conv_last(feat))
        if self.global_residual:
            image = x[:, :self.in_channels]
            out = out + F.interpolate(image, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return out
