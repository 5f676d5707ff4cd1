"""Off-ApexNet: two conv streams on the onset–apex flow components.

Gan, Liong, Yau, Huang, Tan (2019), "OFF-ApexNet on micro-expression recognition system",
Signal Processing: Image Communication 74.

Shapes: (N, C, S, S) flow; the horizontal u (channel 0) and vertical v (channel 1) maps each go
through conv 5×5 (6) → max-pool 2 → conv 5×5 (16) → max-pool 2 (same padding, so 28 → 7); the two
flattened streams are concatenated → FC ``fc_units`` → FC ``fc_units`` → dropout → FC
num_classes. Inputs of another size are resized to ``input_size`` (28 in the paper).
"""
from __future__ import annotations

import torch
from torch import nn

from .layers import resize_to
from .registry import register_model

#: Gan et al. 2019: filters of the two conv layers of each stream and units of the FC layers.
STREAM_FILTERS = (6, 16)
FC_UNITS = 1024


def _stream(filters) -> nn.Sequential:
    f1, f2 = filters
    return nn.Sequential(nn.Conv2d(1, f1, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                         nn.Conv2d(f1, f2, 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(2))


@register_model("offapexnet", input_kind="flow", paper="Gan et al. 2019, OFF-ApexNet (Signal Process. Image Commun.)")
class OffApexNet(nn.Module):
    def __init__(self, num_classes: int = 3, stream_filters=STREAM_FILTERS, fc_units: int = FC_UNITS,
                 input_size: int = 28, dropout: float = 0.5, u_channel: int = 0, v_channel: int = 1):
        super().__init__()
        self.input_size, self.u_channel, self.v_channel = input_size, u_channel, v_channel
        self.u_stream, self.v_stream = _stream(stream_filters), _stream(stream_filters)
        side = input_size // 4
        self.classifier = nn.Sequential(
            nn.Linear(2 * stream_filters[1] * side * side, fc_units), nn.ReLU(inplace=True),
            nn.Linear(fc_units, fc_units), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(fc_units, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = resize_to(x, self.input_size)
        u = self.u_stream(x[:, self.u_channel:self.u_channel + 1])
        v = self.v_stream(x[:, self.v_channel:self.v_channel + 1])
        return self.classifier(torch.cat([torch.flatten(u, 1), torch.flatten(v, 1)], dim=1))
