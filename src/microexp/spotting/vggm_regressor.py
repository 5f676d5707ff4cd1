"""Modified VGG-M frame-intensity regressor and its four short-path variants.

Paper 004 (Table 1, Fig. 7): five convolutions (LRN + max-pool after the first two) and three
fully connected layers map one onset→frame optical-flow image to the frame's continuous label.
Variants concatenate a short path around the early layers:

====== =========================================================================
0      plain modified VGG-M (Table 1)
1      skip over one layer at the first convolution's input (input ‖ conv1)
2      skip over one layer at the second convolution's input (pool1 ‖ conv2)
3      skip over two layers at the first convolution's input (input ‖ conv2)
4      variants 1 and 2 together
====== =========================================================================

Shapes: input ``(N, C, S, S)`` with ``S >= 43`` (paper: 75, C = 2); output ``(N,)``.

Departures from the table, each because the table cannot be taken literally: the max-pools use
stride 2 (the listed 1x1 stride contradicts the listed output shapes); pool 5 is a global max
(identical to the 3x3/2 pool at the paper's 75x75 input, and defined at other sizes); Fc3 is
linear (a soft-max over one node is the constant 1). The skip tensor is average-pooled to the
map it joins. ``width`` scales every channel count (1.0 = paper) so the net fits a small CPU.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from ..errors import ConfigError

#: Paper 004, Table 1 channel counts of Conv1..Conv5 and Fc1..Fc2.
VGGM_CONV_CHANNELS = (96, 256, 512, 512, 512)
VGGM_FC_UNITS = (128, 128)

#: Short-path variants of paper 004, Fig. 7 (0 = none).
VGGM_VARIANTS = (0, 1, 2, 3, 4)

#: Smallest input side for which conv2 + pool2 of Table 1 still produce a map.
MIN_INPUT_SIZE = 43


class ChannelLRN(nn.Module):
    """Local response normalisation across channels, as ``nn.LocalResponseNorm`` computes it
    (AlexNet constants), written as shifted sums: about 3x faster on CPU than the pooled form."""

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padded = F.pad(x.pow(2), (0, 0, 0, 0, self.size // 2, (self.size - 1) // 2))
        window_sum = sum(padded[:, i:i + x.shape[1]] for i in range(self.size))
        return x / (self.k + self.alpha / self.size * window_sum).pow(self.beta)


def _pool_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(x, like.shape[-2:])


class ModifiedVGGMRegressor(nn.Module):
    """One flow image → one continuous intensity value (paper 004, Table 1 and Fig. 7)."""

    def __init__(self, in_channels: int = 3, variant: int = 0, width: float = 1.0):
        super().__init__()
        if variant not in VGGM_VARIANTS:
            raise ConfigError(f"VGG-M variant must be one of {VGGM_VARIANTS}, got {variant!r}")
        self.variant = variant
        c1, c2, c3, c4, c5 = (max(4, int(round(c * width))) for c in VGGM_CONV_CHANNELS)
        f1, f2 = (max(4, int(round(u * width))) for u in VGGM_FC_UNITS)
        skip_conv1 = variant in (1, 4)
        skip_conv2 = variant in (2, 4)
        skip_two = variant == 3
        self.conv1 = nn.Conv2d(in_channels, c1, 7, stride=2)
        block1 = c1 + (in_channels if skip_conv1 else 0)
        self.lrn1 = ChannelLRN(5)
        self.pool1 = nn.MaxPool2d(3, stride=2)
        self.conv2 = nn.Conv2d(block1, c2, 5, stride=2)
        block2 = c2 + (block1 if skip_conv2 else 0) + (in_channels if skip_two else 0)
        self.lrn2 = ChannelLRN(5)
        self.pool2 = nn.MaxPool2d(3, stride=2)
        self.conv3 = nn.Conv2d(block2, c3, 3, padding=1)
        self.conv4 = nn.Conv2d(c3, c4, 3, padding=1)
        self.conv5 = nn.Conv2d(c4, c5, 3, padding=1)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c5, f1), nn.ReLU(inplace=True),
                                  nn.Linear(f1, f2), nn.ReLU(inplace=True), nn.Linear(f2, 1))
        self._skip_conv1, self._skip_conv2, self._skip_two = skip_conv1, skip_conv2, skip_two

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] < MIN_INPUT_SIZE or x.shape[-2] < MIN_INPUT_SIZE:
            raise ConfigError(f"modified VGG-M needs inputs of at least {MIN_INPUT_SIZE}x{MIN_INPUT_SIZE}, "
                              f"got {tuple(x.shape[-2:])}")
        h = F.relu(self.conv1(x))
        if self._skip_conv1:
            h = torch.cat([h, _pool_to(x, h)], dim=1)
        h = self.pool1(self.lrn1(h))
        g = F.relu(self.conv2(h))
        parts = [g]
        if self._skip_conv2:
            parts.append(_pool_to(h, g))
        if self._skip_two:
            parts.append(_pool_to(x, g))
        h = self.pool2(self.lrn2(torch.cat(parts, dim=1) if len(parts) > 1 else g))
        h = F.relu(self.conv5(F.relu(self.conv4(F.relu(self.conv3(h))))))
        h = F.adaptive_max_pool2d(h, 1)
        return self.head(h).squeeze(1)
