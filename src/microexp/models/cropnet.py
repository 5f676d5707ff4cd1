"""CropNet: cropped Gaussian pyramid with overlap (CGPO) + MB6 feature extractor + position embeddings.

Paper 003 of the project's sources ("absolute/relative residual sums + CropNet", Frontiers),
section 3.2 and Figure 3.

CGPO: the input is resized to ``input_size`` (paper: 320) and down-sampled once (paper: 160 =
``patch_size``). The small level is kept whole (crop 0); the large level is cut into a
``grid``×``grid`` grid of overlapping crops (crops 1–9). Crops of side c overlap by α·c, so
``grid`` crops cover the side S when c = S / (grid − (grid − 1)·α); each crop is resized to
``patch_size``. α = 0.3 and 10 crops as in the paper.
Extractor (shared by all crops): stem conv 3×3/2 → MobileNetV2 inverted bottlenecks with expansion
6 (MB6) whose channels grow stage by stage (ReXNet's idea) → conv 1×1 + BN → adaptive average pool
→ FC → z_i ∈ R^d. Crops 1–9 add trainable position embeddings p_i ~ N(0, 0.2) (variance, as in
the paper); the 10 vectors are concatenated and classified by one FC layer.

Shapes: (N, C, H, W) → 10 × (N, C, patch, patch) → 10 × (N, d) → (N, 10·d) → (N, num_classes).
The paper pre-trains the extractor on ImageNet; nothing is downloaded here (trained from scratch).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .layers import resize_to, scaled
from .registry import register_model

#: Paper 003: overlap factor α, input side, patch side, grid of the large level (9 + 1 = 10 crops).
CGPO_OVERLAP = 0.3
CGPO_INPUT_SIZE = 320
CGPO_PATCH_SIZE = 160
CGPO_GRID = 3
#: Paper 003: MB6 = MobileNetV2 inverted bottleneck with expansion ratio 6.
MB_EXPANSION = 6
#: Paper 003: position embeddings drawn from N(0, variance 0.2).
POSITION_EMBEDDING_VARIANCE = 0.2
CROPNET_STAGE_CHANNELS = (16, 24, 32, 48, 64)


def crop_boxes(side: float, grid: int, overlap: float) -> list[tuple[int, int, int]]:
    """(top, left, size) of a grid×grid set of square crops of a side×side image overlapping by α."""
    size = side / (grid - (grid - 1) * overlap)
    stride = size * (1 - overlap)
    starts = [int(round(i * stride)) for i in range(grid)]
    c = int(math.ceil(size))
    starts = [min(s, int(side) - c) for s in starts]
    return [(top, left, c) for top in starts for left in starts]


def cropped_gaussian_pyramid(x: torch.Tensor, input_size: int, patch_size: int, grid: int = CGPO_GRID,
                             overlap: float = CGPO_OVERLAP) -> list[torch.Tensor]:
    """The 1 + grid² crops of CGPO, each (N, C, patch_size, patch_size)."""
    big = resize_to(x, input_size)
    crops = [resize_to(F.avg_pool2d(big, 2) if input_size == 2 * patch_size else big, patch_size)]
    for top, left, size in crop_boxes(input_size, grid, overlap):
        crops.append(resize_to(big[:, :, top:top + size, left:left + size], patch_size))
    return crops


class InvertedBottleneck(nn.Module):
    """MobileNetV2 block (Sandler et al. 2018): 1×1 expand → 3×3 depthwise → 1×1 project."""

    def __init__(self, cin: int, cout: int, stride: int, expansion: int = MB_EXPANSION):
        super().__init__()
        mid = cin * expansion
        self.block = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(inplace=True),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(inplace=True),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


@register_model("cropnet", input_kind="flow", paper="paper 003 (ARS/RRS + CropNet), section 3.2")
class CropNet(nn.Module):
    def __init__(self, num_classes: int = 3, in_channels: int = 3, input_size: int = CGPO_INPUT_SIZE,
                 patch_size: int = CGPO_PATCH_SIZE, grid: int = CGPO_GRID, overlap: float = CGPO_OVERLAP,
                 width: float = 1.0, stage_channels=CROPNET_STAGE_CHANNELS, feature_dim: int = 64,
                 dropout: float = 0.2):
        super().__init__()
        self.input_size, self.patch_size, self.grid, self.overlap = input_size, patch_size, grid, overlap
        chans = [scaled(c, width) for c in stage_channels]
        layers: list[nn.Module] = [nn.Conv2d(in_channels, chans[0], 3, 2, 1, bias=False), nn.BatchNorm2d(chans[0]),
                                   nn.ReLU6(inplace=True)]
        for i, (cin, cout) in enumerate(zip(chans[:-1], chans[1:])):
            layers.append(InvertedBottleneck(cin, cout, stride=2 if i % 2 == 0 else 1))
        head = scaled(chans[-1] * 2, 1.0)
        layers += [nn.Conv2d(chans[-1], head, 1, bias=False), nn.BatchNorm2d(head), nn.ReLU6(inplace=True),
                   nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(head, feature_dim)]
        self.extractor = nn.Sequential(*layers)
        n_crops = 1 + grid * grid
        self.position = nn.Parameter(torch.randn(n_crops - 1, feature_dim) * math.sqrt(POSITION_EMBEDDING_VARIANCE))
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(n_crops * feature_dim, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        crops = cropped_gaussian_pyramid(x, self.input_size, self.patch_size, self.grid, self.overlap)
        n = x.shape[0]
        z = self.extractor(torch.cat(crops, dim=0)).view(len(crops), n, -1)  # one batched pass over all crops
        z = torch.cat([z[:1], z[1:] + self.position[:, None, :]], dim=0)
        return self.classifier(z.permute(1, 0, 2).reshape(n, -1))
