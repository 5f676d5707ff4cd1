"""SSSNet: the shallow single-stream CNN of the micro-expression benchmark (MEB).

Varanka, Li, Peng, Zhao, "Data leakage and evaluation issues in micro-expression analysis",
IEEE Transactions on Affective Computing (2023/2024; arXiv 2211.11425). A single-stream
counterpart of STSTNet with wider layers, evaluated there on 64×64 optical flow.

Shapes: (N, 3, S, S) flow → resized to ``input_size`` (64) →
conv 5×5 (32, no padding) → ReLU → max-pool 3/3 → BN → spatial dropout →
conv 3×3 (64, no padding) → ReLU → max-pool 2/2 → BN → spatial dropout →
flatten (64 × 9 × 9 = 5184 at 64×64) → FC 256 → ReLU → dropout → FC num_classes.
The FC size is computed from ``input_size``; ``width`` scales the filters (1 = the paper's).
"""
from __future__ import annotations

import torch
from torch import nn

from ..errors import ConfigError
from .layers import resize_to, scaled
from .registry import register_model

#: Varanka et al.: filters of the two conv layers, their kernel sizes and the hidden FC units.
SSSNET_FILTERS = (32, 64)
SSSNET_KERNELS = (5, 3)
SSSNET_HIDDEN = 256
#: Varanka et al.: the flow networks are evaluated on 64×64 flow.
SSSNET_INPUT_SIZE = 64


def _side_after(input_size: int) -> int:
    side = (input_size - SSSNET_KERNELS[0] + 1) // 3  # conv 5×5 valid, max-pool 3/3
    return (side - SSSNET_KERNELS[1] + 1) // 2  # conv 3×3 valid, max-pool 2/2


@register_model("sssnet", input_kind="flow",
                paper="Varanka, Li, Peng, Zhao 2023, SSSNet in 'Data leakage and evaluation issues in "
                      "micro-expression analysis' (IEEE TAC)")
class SSSNet(nn.Module):
    def __init__(self, num_classes: int = 3, in_channels: int = 3, input_size: int = SSSNET_INPUT_SIZE,
                 filters=SSSNET_FILTERS, hidden: int = SSSNET_HIDDEN, dropout: float = 0.5, width: float = 1.0):
        super().__init__()
        if _side_after(input_size) < 1:
            raise ConfigError(f"sssnet: input_size {input_size} is too small for its two conv/pool stages")
        self.input_size = input_size
        f1, f2 = (scaled(f, width) for f in filters)
        h = scaled(hidden, width)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, f1, SSSNET_KERNELS[0]), nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=3),
            nn.BatchNorm2d(f1), nn.Dropout2d(dropout),
            nn.Conv2d(f1, f2, SSSNET_KERNELS[1]), nn.ReLU(inplace=True), nn.MaxPool2d(2, stride=2),
            nn.BatchNorm2d(f2), nn.Dropout2d(dropout))
        side = _side_after(input_size)
        self.classifier = nn.Sequential(
            nn.Linear(f2 * side * side, h), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(h, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(resize_to(x, self.input_size))
        return self.classifier(torch.flatten(x, 1))
