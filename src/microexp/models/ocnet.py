"""OC-Net: Optimal Compact Network for micro-expression recognition from optical flow.

Paper 004 of the project's sources ("a complete deep learning-based micro-expression analysis
system": continuous-label apex spotting, conditional DC-GAN flow synthesis, OC-Net), section 3.5.

Five conv units keep large maps early: C1, C2 = conv 3×3 + BN + ReLU (+ dropout p = 0.5), no
pooling; C3–C5 = conv 3×3 + ReLU + 2×2 max-pool; then global average pooling and three FC layers.
The paper fixes the input (75×75), C5's 512 maps and the p = 0.5 dropout but not the other
channel counts or kernel sizes: we use 64, 128, 256, 512, 512 (×``width``) and 3×3 same convs,
so a 75×75 input gives 9×9×512 at C5 (the paper reports 8×8×512).

Shapes: (N, C, H, W) flow → select ``input_channels`` (paper: u, v) → resize to ``input_size``
→ (N, num_classes) logits. ``dropout_units`` names the units followed by dropout: the paper's
variants are () "without dropout", (1,), (1, 2) (its best, the default) and (1, 2, 3).
"""
from __future__ import annotations

import torch
from torch import nn

from .layers import resize_to, scaled, select_channels
from .registry import register_model

#: Paper 004: flow input side, dropout rate and the units with dropout in the best variant.
OCNET_INPUT_SIZE = 75
OCNET_DROPOUT = 0.5
OCNET_DROPOUT_UNITS = (1, 2)
OCNET_CHANNELS = (64, 128, 256, 512, 512)
OCNET_FC_UNITS = (256, 128)


@register_model("ocnet", input_kind="flow", paper="paper 004 (OC-Net), section 3.5")
class OCNet(nn.Module):
    def __init__(self, num_classes: int = 3, input_channels=(0, 1), input_size: int | None = OCNET_INPUT_SIZE,
                 width: float = 1.0, dropout: float = OCNET_DROPOUT, dropout_units=OCNET_DROPOUT_UNITS,
                 channels=OCNET_CHANNELS, fc_units=OCNET_FC_UNITS):
        super().__init__()
        self.input_channels = None if input_channels is None else tuple(input_channels)
        self.input_size = input_size
        cin = 3 if self.input_channels is None else len(self.input_channels)
        chans = [scaled(c, width) for c in channels]
        units = []
        for i, cout in enumerate(chans, start=1):
            layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1)]
            if i <= 2:
                layers += [nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            else:
                layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            if i in tuple(dropout_units):
                layers.append(nn.Dropout(dropout))
            units.append(nn.Sequential(*layers))
            cin = cout
        self.features = nn.Sequential(*units)
        fc = [scaled(u, width) for u in fc_units]
        self.classifier = nn.Sequential(
            nn.Linear(cin, fc[0]), nn.ReLU(inplace=True), nn.Linear(fc[0], fc[1]), nn.ReLU(inplace=True),
            nn.Linear(fc[1], num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = resize_to(select_channels(x, self.input_channels), self.input_size)
        x = self.features(x).mean(dim=(2, 3))  # global average pooling
        return self.classifier(x)
