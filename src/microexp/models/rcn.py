"""RCN: a shallow recurrent convolutional network for composite-database recognition.

Xia, Peng, Khor, Feng, Zhao (2020), "Revealing the invisible with model and data shrinking for
composite-database micro-expression recognition", IEEE Transactions on Image Processing 29.
The paper's point is shrinking both the model (few layers, shared recurrent weights) and the input
(low resolution); its variants add parameter-free modules to the basic RCN. This module is the basic
RCN (no wide expansion, shortcut or attention unit).

Recurrent convolutional layer (RCL): a feed-forward 1×1 conv gives ``y₀ = f(x)``; one 3×3 conv ``g``
(with BN and ReLU) is unrolled ``steps`` times over the layer's input plus its own previous output,
``yₜ = g(x + yₜ₋₁)``, the same weights at every step; then 2×2 max-pool and dropout.

Shapes: (N, 3, S, S) flow → resized to ``input_size`` (28) → conv 5×5 (F = 32, no padding) → BN →
ReLU → max-pool 2 → dropout → (N, F, 12, 12) → ``layers`` × RCL (2 steps) → (N, F, 6, 6) →
adaptive average pool to 5×5 → FC (F·25 → num_classes).

Guessed: the input side (the paper argues for low resolution; 28 = the composite's own size), dropout
0.5. F = 32 and pool 5 are the settings the authors give for the composite.
"""
from __future__ import annotations

import torch
from torch import nn

from .layers import resize_to, scaled
from .registry import register_model

#: Xia et al. 2020: feature maps of the network and the side of the final average pooling.
RCN_FEATURE_MAPS = 32
RCN_POOL_SIZE = 5
#: Xia et al. 2020: the recurrent conv is unrolled twice after the feed-forward step.
RCN_STEPS = 2
RCN_INPUT_SIZE = 28


def _conv_bn_relu(cin: int, cout: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class RecurrentConvLayer(nn.Module):
    """``y₀ = f(x)``, ``yₜ = g(x + yₜ₋₁)`` for t = 1..steps with one shared ``g``; then pool + dropout."""

    def __init__(self, channels: int, steps: int = RCN_STEPS, dropout: float = 0.5):
        super().__init__()
        self.steps = steps
        self.feedforward = _conv_bn_relu(channels, channels, 1)
        self.recurrent = _conv_bn_relu(channels, channels, 3)
        self.downsample = nn.Sequential(nn.MaxPool2d(2), nn.Dropout(dropout))

    def unroll(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The outputs of every step, the feed-forward one first."""
        outputs = [self.feedforward(x)]
        for _ in range(self.steps):
            outputs.append(self.recurrent(x + outputs[-1]))
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(self.unroll(x)[-1])


@register_model("rcn", input_kind="flow",
                paper="Xia, Peng, Khor, Feng, Zhao 2020, RCN (IEEE TIP), the basic recurrent convolutional network")
class RCN(nn.Module):
    def __init__(self, num_classes: int = 3, in_channels: int = 3, input_size: int = RCN_INPUT_SIZE,
                 feature_maps: int = RCN_FEATURE_MAPS, layers: int = 1, steps: int = RCN_STEPS,
                 pool_size: int = RCN_POOL_SIZE, dropout: float = 0.5, width: float = 1.0):
        super().__init__()
        self.input_size = input_size
        f = scaled(feature_maps, width)
        self.stem = nn.Sequential(nn.Conv2d(in_channels, f, 5), nn.BatchNorm2d(f), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(2), nn.Dropout(dropout))
        self.rcls = nn.Sequential(*[RecurrentConvLayer(f, steps, dropout) for _ in range(layers)])
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.fc = nn.Linear(f * pool_size * pool_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.rcls(self.stem(resize_to(x, self.input_size)))
        return self.fc(torch.flatten(self.pool(x), 1))
