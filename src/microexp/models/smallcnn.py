"""Small CNN of paper 000: three conv layers and two hidden fully connected layers.

Mariyathas et al. (2025), "Micro facial expression recognition using generative adversarial
network generated super resolution images", JMTR 10(1) — Figure 4 ("three convolution layers and
two hidden layers"). Filter counts are not given in the paper; we use 32, 64, 128 (×``width``)
and hidden layers of 128 and 64 units.

Shapes: (N, C, H, W) float image (apex face or flow) → resize to ``input_size`` (the paper works on
128×128 super-resolved or 32×32 low-resolution faces; None keeps the input size) →
3 × [conv 3×3 + BN + ReLU + max-pool 2] → global average pool → FC 128 → FC 64 → num_classes.
"""
from __future__ import annotations

import torch
from torch import nn

from .layers import conv_bn_relu, resize_to, scaled
from .registry import register_model

SMALLCNN_CHANNELS = (32, 64, 128)
SMALLCNN_HIDDEN = (128, 64)
#: Paper 000: the low-resolution faces are 32×32 (128×128 after ×4 super-resolution).
SMALLCNN_INPUT_SIZE = 32


@register_model("smallcnn", input_kind="face", paper="paper 000 (Mariyathas et al. 2025), Figure 4")
class SmallCNN(nn.Module):
    def __init__(self, num_classes: int = 3, in_channels: int = 3, input_size: int | None = SMALLCNN_INPUT_SIZE,
                 width: float = 1.0, dropout: float = 0.5, channels=SMALLCNN_CHANNELS, hidden=SMALLCNN_HIDDEN):
        super().__init__()
        self.input_size = input_size
        layers, cin = [], in_channels
        for c in channels:
            cout = scaled(c, width)
            layers += [conv_bn_relu(cin, cout), nn.MaxPool2d(2)]
            cin = cout
        self.features = nn.Sequential(*layers)
        h1, h2 = (scaled(h, width) for h in hidden)
        self.classifier = nn.Sequential(
            nn.Linear(cin, h1), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(h1, h2), nn.ReLU(inplace=True), nn.Linear(h2, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(resize_to(x, self.input_size)).mean(dim=(2, 3))
        return self.classifier(x)


@register_model("smallcnn_flow", input_kind="flow",
                paper="paper 000 (Mariyathas et al. 2025), Figure 4, on onset→apex flows")
class SmallCNNFlow(SmallCNN):
    """Paper 000's small CNN on the composite's onset→apex flows (u, v, strain) at their own size.

    An apex face alone carries identity more than expression; the flow carries the motion, so this
    is the input the small CNN can learn a micro-expression from under LOSO.
    """

    def __init__(self, num_classes: int = 3, in_channels: int = 3, input_size: int | None = None,
                 width: float = 1.0, dropout: float = 0.5, channels=SMALLCNN_CHANNELS, hidden=SMALLCNN_HIDDEN):
        super().__init__(num_classes=num_classes, in_channels=in_channels, input_size=input_size, width=width,
                         dropout=dropout, channels=channels, hidden=hidden)
