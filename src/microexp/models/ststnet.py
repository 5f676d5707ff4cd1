"""STSTNet: Shallow Triple Stream Three-dimensional CNN.

Liong, Gan, See, Khor, Huang (2019), "Shallow Triple Stream Three-dimensional CNN (STSTNet) for
micro-expression recognition", FG 2019 / MEGC2019. The reference network of the composite benchmark.

Shapes: (N, 3, S, S) flow (u, v, optical strain; S = 28 in the composite) → three parallel
3×3 conv streams with 3, 5 and 8 filters (padding 2, ReLU, BN, 3×3/3 max-pool, dropout) →
concatenation (16 maps) → 2×2 average pool → FC → (N, num_classes) logits.
At S = 28 the pooled maps are 5×5 (400 features, as in the paper); other sizes work because the
FC size is computed from ``input_size`` (inputs of another size are resized to it).
"""
from __future__ import annotations

import torch
from torch import nn

from .layers import resize_to
from .registry import register_model

#: Liong et al. 2019: filters of the three streams.
STREAM_FILTERS = (3, 5, 8)
#: Liong et al. 2019: flow maps are 28×28.
STSTNET_INPUT_SIZE = 28


@register_model("ststnet", input_kind="flow", paper="Liong et al. 2019, STSTNet (FG/MEGC2019)")
class STSTNet(nn.Module):
    def __init__(self, num_classes: int = 3, in_channels: int = 3, stream_filters=STREAM_FILTERS,
                 input_size: int = STSTNET_INPUT_SIZE, dropout: float = 0.5, width: float = 1.0):
        super().__init__()
        filters = [max(1, int(round(f * width))) for f in stream_filters]
        self.input_size = input_size
        self.streams = nn.ModuleList(
            nn.Sequential(nn.Conv2d(in_channels, f, 3, padding=2), nn.ReLU(inplace=True), nn.BatchNorm2d(f),
                          nn.MaxPool2d(3, stride=3, padding=1), nn.Dropout(dropout))
            for f in filters)
        self.pool = nn.AvgPool2d(2, stride=2)
        side = ((input_size + 2) + 2 - 3) // 3 + 1  # conv pad 2 grows by 2; max-pool 3/3 with pad 1
        side //= 2
        self.fc = nn.Linear(sum(filters) * side * side, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled maps of the three streams, flattened: what the FC layer reads (400 at S = 28)."""
        x = resize_to(x, self.input_size)
        x = torch.cat([s(x) for s in self.streams], dim=1)
        return torch.flatten(self.pool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))
