"""Modified VGG-M with optional short paths (paper 004, Table 1 and Figure 7).

Chatfield et al. (2014) VGG-M, as modified in paper 004 for apex spotting and used there as the
recognition benchmark (single output node replaced by ``num_classes``).

Shapes (paper, 75×75×2 input): conv1 96 7×7/2 valid → 35×35 → LRN → max-pool 3×3/2 → 17×17;
conv2 256 5×5/2 valid → 7×7 → LRN → max-pool 3×3/2 → 3×3; conv3–5 512 3×3 same → 3×3;
max-pool 3×3/2 → 1×1×512 → FC 128 → FC 128 → FC num_classes.
Inputs are resized to ``input_size`` (the layer arithmetic needs ≥ 75); ``width`` scales channels.

``short_path`` adds the paper's feed-forward short paths by concatenation (maps average-pooled to
the target size): 1 = over conv1 (input joins conv1's output), 2 = over conv2 (pool1's output joins
conv2's output), 3 = over two layers (input joins conv2's output), 4 = paths 1 and 2.
``dropout`` (p) is inserted before each of the first two FC layers (0 = the paper's network).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import resize_to, scaled, select_channels
from .registry import register_model

#: Paper 004 Table 1: conv channels, FC units, input side.
VGGM_CHANNELS = (96, 256, 512, 512, 512)
VGGM_FC_UNITS = 128
VGGM_INPUT_SIZE = 75
SHORT_PATH_VARIANTS = (0, 1, 2, 3, 4)


def _pool_to(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(x, ref.shape[-2:])


@register_model("vggm", input_kind="flow", paper="paper 004, modified VGG-M (Table 1, Figure 7)")
class ModifiedVGGM(nn.Module):
    def __init__(self, num_classes: int = 3, input_channels=(0, 1), input_size: int = VGGM_INPUT_SIZE,
                 width: float = 1.0, short_path: int = 0, dropout: float = 0.0, fc_units: int = VGGM_FC_UNITS):
        super().__init__()
        if short_path not in SHORT_PATH_VARIANTS:
            raise ValueError(f"short_path must be one of {SHORT_PATH_VARIANTS}, got {short_path}")
        if input_size < VGGM_INPUT_SIZE:
            raise ValueError(f"VGG-M's layer arithmetic needs input_size >= {VGGM_INPUT_SIZE}")
        self.input_channels = None if input_channels is None else tuple(input_channels)
        self.input_size, self.short_path = input_size, short_path
        cin = 3 if self.input_channels is None else len(self.input_channels)
        c1, c2, c3, c4, c5 = (scaled(c, width) for c in VGGM_CHANNELS)
        self.conv1 = nn.Sequential(nn.Conv2d(cin, c1, 7, 2), nn.ReLU(inplace=True))
        self.pool1 = nn.Sequential(nn.LocalResponseNorm(5), nn.MaxPool2d(3, 2))
        c1_out = c1 + (cin if short_path in (1, 4) else 0)
        self.conv2 = nn.Sequential(nn.Conv2d(c1_out, c2, 5, 2), nn.ReLU(inplace=True))
        c2_out = c2 + (c1_out if short_path in (2, 4) else 0) + (cin if short_path == 3 else 0)
        self.pool2 = nn.Sequential(nn.LocalResponseNorm(5), nn.MaxPool2d(3, 2))
        self.conv345 = nn.Sequential(
            nn.Conv2d(c2_out, c3, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(inplace=True),
            nn.AdaptiveMaxPool2d(1))  # the paper's 3×3/2 pool of a 3×3 map; adaptive for larger inputs
        fc = scaled(fc_units, width)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(c5, fc), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(fc, fc), nn.ReLU(inplace=True), nn.Linear(fc, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x0 = resize_to(select_channels(x, self.input_channels), self.input_size)
        x1 = self.conv1(x0)
        if self.short_path in (1, 4):
            x1 = torch.cat([x1, _pool_to(x0, x1)], dim=1)
        p1 = self.pool1(x1)
        x2 = self.conv2(p1)
        if self.short_path in (2, 4):
            x2 = torch.cat([x2, _pool_to(p1, x2)], dim=1)
        if self.short_path == 3:
            x2 = torch.cat([x2, _pool_to(x0, x2)], dim=1)
        x = self.conv345(self.pool2(x2))
        return self.classifier(torch.flatten(x, 1))
