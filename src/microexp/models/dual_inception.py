"""Dual-Inception: two Inception streams, one on the horizontal and one on the vertical flow.

Zhou, Mao, Xue (2019), "Dual-Inception network for cross-database micro-expression recognition",
FG 2019 / MEGC2019. The paper's flow is TV-L1 between the onset and the middle frame; here the
composite's onset→apex flow is used, u = channel 0 and v = channel 1 (strain is not used).

Inception block with ``f`` filters per branch (ReLU after every conv, "same" padding):
1×1 ‖ 1×1 → 3×3 ‖ 1×1 → 5×5 ‖ 3×3/1 max-pool → 1×1, concatenated (4f maps), then 2×2 max-pool.

Shapes: (N, C, S, S) flow → resized to ``input_size`` (28) → u (N, 1, 28, 28) and v (N, 1, 28, 28),
each through its own stream: Inception (f = 6) → (N, 24, 14, 14) → Inception (f = 16) →
(N, 64, 7, 7) → flatten (3136); the two streams are concatenated (6272) → FC ``fc_units`` (1024)
→ ReLU → FC num_classes (the softmax is in the loss / ``predict_proba``).

Guessed: no batch norm and no dropout (none described; ``dropout`` > 0 adds one before the last FC).
"""
from __future__ import annotations

import torch
from torch import nn

from .layers import resize_to, scaled
from .registry import register_model

#: Zhou et al. 2019: filters per branch of the first and second Inception block; hidden FC units.
INCEPTION_FILTERS = (6, 16)
FC_UNITS = 1024
#: Zhou et al. 2019: the flow maps are 28×28.
DUAL_INCEPTION_INPUT_SIZE = 28


def _conv_relu(cin: int, cout: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2), nn.ReLU(inplace=True))


class InceptionBlock(nn.Module):
    """Four parallel branches (1×1; 1×1→3×3; 1×1→5×5; max-pool→1×1) concatenated, then 2×2 max-pool."""

    def __init__(self, cin: int, filters: int):
        super().__init__()
        self.branches = nn.ModuleList([
            _conv_relu(cin, filters, 1),
            nn.Sequential(_conv_relu(cin, filters, 1), _conv_relu(filters, filters, 3)),
            nn.Sequential(_conv_relu(cin, filters, 1), _conv_relu(filters, filters, 5)),
            nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), _conv_relu(cin, filters, 1)),
        ])
        self.pool = nn.MaxPool2d(2)
        self.out_channels = 4 * filters

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(torch.cat([b(x) for b in self.branches], dim=1))


def inception_stream(filters) -> nn.Sequential:
    """One flow component (1 channel) through one Inception block per entry of ``filters``."""
    blocks, cin = [], 1
    for f in filters:
        blocks.append(InceptionBlock(cin, f))
        cin = blocks[-1].out_channels
    return nn.Sequential(*blocks)


@register_model("dual_inception", input_kind="flow", paper="Zhou, Mao, Xue 2019, Dual-Inception (FG/MEGC2019)")
class DualInception(nn.Module):
    def __init__(self, num_classes: int = 3, input_size: int = DUAL_INCEPTION_INPUT_SIZE,
                 filters=INCEPTION_FILTERS, fc_units: int = FC_UNITS, dropout: float = 0.0,
                 width: float = 1.0, u_channel: int = 0, v_channel: int = 1):
        super().__init__()
        self.input_size, self.u_channel, self.v_channel = input_size, u_channel, v_channel
        filters = [scaled(f, width, minimum=1) for f in filters]
        self.u_stream, self.v_stream = inception_stream(filters), inception_stream(filters)
        side = input_size
        for _ in filters:
            side //= 2
        features = 2 * 4 * filters[-1] * side * side
        self.classifier = nn.Sequential(nn.Linear(features, fc_units), nn.ReLU(inplace=True), nn.Dropout(dropout),
                                        nn.Linear(fc_units, num_classes))

    def stream_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Flattened features of the u stream and of the v stream."""
        x = resize_to(x, self.input_size)
        u = self.u_stream(x[:, self.u_channel:self.u_channel + 1])
        v = self.v_stream(x[:, self.v_channel:self.v_channel + 1])
        return torch.flatten(u, 1), torch.flatten(v, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.cat(self.stream_features(x), dim=1))
