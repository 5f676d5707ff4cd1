"""HTNet: a hierarchical transformer over four landmark-centred facial areas.

Wang, Zhang, Luo, Sankaranarayana (2024), "HTNet for micro-expression recognition",
Neurocomputing (arXiv 2307.14637).

The face's onset→apex motion (u, v, optical strain) is cut into four areas around facial landmarks
(left eye and brow, right eye and brow, left and right mouth corner); the areas are tiled into one
image and split into patches. Transformer layers attend only inside local blocks of patches (at the
first level one block per facial area: fine local muscle movement); between levels an aggregation
block (3×3 conv, layer norm, 3×3/2 max-pool, as in NesT) merges neighbouring blocks, so the last
level attends across eye and mouth areas. Layer norm, global average pooling and a linear head give
the logits.

Shapes (defaults): (N, 3, S, S) flow → resized to 28×28 → four 16×16 crops centred on
:data:`REGION_CENTRES` (zero-padded where they reach past the border) → tiled 2×2 to
(N, 3, 32, 32) [eyes above, mouth corners below] → patches 4×4 → (N, 32, 8, 8) tokens + learned
position embedding → level 1: 4 blocks of 4×4 tokens (one per area), ``depths[0]`` transformer
layers → aggregation → (N, 32, 4, 4) → level 2: one block of 16 tokens, ``depths[1]`` layers → LN →
mean over tokens → FC → (N, num_classes).

Approximation: the paper crops around each sample's landmarks found on the apex face. The composite's
flows are already aligned face crops, so fixed canonical positions on the 28×28 grid are used
(:data:`REGION_CENTRES`; eyes read off where the composite's mean optical strain peaks — eye blinks —
and mouth corners in the lower third, a label-free choice).

Size: the published configuration is 14×14 areas, patch 7, dim 256, 3 heads, 3 levels of
(2, 2, 10) layers (:data:`PAPER_CONFIG`, reachable through the keyword arguments). At patch 7 the
28×28 tiled image has 4×4 tokens, so 3 levels leave one token per block at every level. The
defaults are shrunk for a 2-core CPU and keep attention inside each area meaningful: 16×16 areas
(so that 4×4 patches tile each into 4×4 tokens), dim 32, 2 heads, 2 levels of (1, 1) layers.
Guessed: the MLP ratio 4, dropout 0.1, one full-grid learned position embedding, a constant width
across levels. The tiling (eyes above mouth corners, image-left first) is the published one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError
from .layers import resize_to
from .registry import register_model

#: Side of the composite flow the canonical positions refer to.
CANONICAL_SIDE = 28
#: Canonical (x, y) pixel centres of the four facial areas on a 28×28 aligned face, image-left first
#: ("left" = image-left, the subject's right), in tiling order: row 1 eyes, row 2 mouth corners.
REGION_CENTRES = (
    ("left_eye_brow", (7, 7)),
    ("right_eye_brow", (21, 7)),
    ("left_mouth", (9, 20)),
    ("right_mouth", (19, 20)),
)
#: Side of each facial area on the 28×28 grid (the paper's is 14: four areas tile back into 28×28).
REGION_SIZE = 16
#: Wang et al. 2024, the published setting (area side, patch, width, heads, layers per level).
PAPER_CONFIG = {"region_size": 14, "patch_size": 7, "dim": 256, "heads": 3, "depths": (2, 2, 10)}
#: CPU-sized defaults (see the module docstring).
HTNET_PATCH_SIZE = 4
HTNET_DIM = 32
HTNET_HEADS = 2
HTNET_DEPTHS = (1, 1)
#: Hidden width of each transformer layer's MLP, as a multiple of ``dim`` (guessed, ViT/NesT's value).
MLP_RATIO = 4


def region_boxes(side: int = CANONICAL_SIDE, region_size: int | None = None) -> list[tuple[str, int, int, int]]:
    """``(name, top, left, size)`` of the four areas on a ``side``×``side`` face (may reach past the
    border; :func:`crop_facial_regions` pads with zeros there). Positions and the default size scale
    with ``side`` from the 28×28 grid."""
    scale = side / CANONICAL_SIDE
    size = region_size or int(round(REGION_SIZE * scale))
    boxes = []
    for name, (cx, cy) in REGION_CENTRES:
        x, y = int(round(cx * scale)), int(round(cy * scale))
        boxes.append((name, y - size // 2, x - size // 2, size))
    return boxes


def crop_facial_regions(x: torch.Tensor, region_size: int | None = None) -> torch.Tensor:
    """(N, C, S, S) → (N, 4, C, r, r): the four areas of :func:`region_boxes`, in tiling order."""
    side = x.shape[-1]
    boxes = region_boxes(side, region_size)
    size = boxes[0][3]
    pad = size
    xp = F.pad(x, (pad, pad, pad, pad))
    crops = [xp[..., top + pad:top + pad + size, left + pad:left + pad + size] for _, top, left, _ in boxes]
    return torch.stack(crops, dim=1)


def tile_regions(regions: torch.Tensor) -> torch.Tensor:
    """(N, 4, C, r, r) → (N, C, 2r, 2r): the first two areas side by side above the last two."""
    top = torch.cat([regions[:, 0], regions[:, 1]], dim=-1)
    bottom = torch.cat([regions[:, 2], regions[:, 3]], dim=-1)
    return torch.cat([top, bottom], dim=-2)


class _SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.head_dim = max(1, dim // heads)
        inner = self.head_dim * heads
        self.qkv = nn.Linear(dim, 3 * inner)
        self.out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(q @ k.transpose(-2, -1) * self.head_dim ** -0.5, dim=-1)
        return self.out((attn @ v).transpose(1, 2).reshape(b, n, -1))


class _TransformerLayer(nn.Module):
    """Pre-norm self-attention and MLP, each with a residual connection."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), _SelfAttention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, MLP_RATIO * dim), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(MLP_RATIO * dim, dim), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class _Aggregation(nn.Module):
    """NesT block aggregation: 3×3 conv, layer norm over channels, 3×3 max-pool with stride 2."""

    def __init__(self, dim: int):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.norm = nn.LayerNorm(dim)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.conv(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.pool(x)


def to_blocks(x: torch.Tensor, per_side: int) -> torch.Tensor:
    """(N, D, H, W) → (N·b², (H/b)·(W/b), D): tokens grouped into b×b local blocks."""
    n, d, h, w = x.shape
    bh, bw = h // per_side, w // per_side
    x = x.reshape(n, d, per_side, bh, per_side, bw).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(n * per_side * per_side, bh * bw, d)


def from_blocks(x: torch.Tensor, per_side: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`to_blocks`."""
    d = x.shape[-1]
    n = x.shape[0] // (per_side * per_side)
    x = x.reshape(n, per_side, per_side, h // per_side, w // per_side, d).permute(0, 5, 1, 3, 2, 4)
    return x.reshape(n, d, h, w)


@register_model("htnet", input_kind="flow",
                paper="Wang, Zhang, Luo, Sankaranarayana 2024, HTNet (Neurocomputing)")
class HTNet(nn.Module):
    def __init__(self, num_classes: int = 3, in_channels: int = 3, input_size: int = CANONICAL_SIDE,
                 region_size: int | None = None, patch_size: int = HTNET_PATCH_SIZE, dim: int = HTNET_DIM,
                 heads: int = HTNET_HEADS, depths=HTNET_DEPTHS, dropout: float = 0.1):
        super().__init__()
        self.input_size = input_size
        self.region_size = region_boxes(input_size, region_size)[0][3]
        image = 2 * self.region_size
        if image % patch_size:
            raise ConfigError(f"htnet: the tiled image ({image}×{image}) is not a multiple of patch_size {patch_size}")
        grid = image // patch_size
        self.levels = len(depths)
        # level l has 2^(levels-1-l) blocks per side; the first level's blocks are the facial areas
        self.blocks_per_side = [2 ** (self.levels - 1 - i) for i in range(self.levels)]
        self.map_sides = [grid]
        for _ in range(self.levels - 1):
            self.map_sides.append((self.map_sides[-1] - 1) // 2 + 1)
        for side, blocks in zip(self.map_sides, self.blocks_per_side):
            if side % blocks:
                raise ConfigError(f"htnet: a {side}×{side} token map does not split into {blocks}×{blocks} blocks; "
                                  f"choose patch_size / depths so that {grid} tokens per side halve {self.levels - 1} times")
        self.patch_embed = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)
        self.pos_embed = nn.Parameter(torch.zeros(1, dim, grid, grid))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.stages = nn.ModuleList(
            nn.Sequential(*[_TransformerLayer(dim, heads, dropout) for _ in range(depth)]) for depth in depths)
        self.aggregations = nn.ModuleList(_Aggregation(dim) for _ in range(self.levels - 1))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def tiled_regions(self, x: torch.Tensor) -> torch.Tensor:
        """The network's image: the four facial areas of the resized flow, tiled 2×2."""
        return tile_regions(crop_facial_regions(resize_to(x, self.input_size), self.region_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(self.tiled_regions(x)) + self.pos_embed
        for level, stage in enumerate(self.stages):
            h, w = x.shape[-2:]
            blocks = self.blocks_per_side[level]
            x = from_blocks(stage(to_blocks(x, blocks)), blocks, h, w)
            if level < self.levels - 1:
                x = self.aggregations[level](x)
        tokens = self.norm(x.flatten(2).transpose(1, 2))
        return self.head(tokens.mean(dim=1))
