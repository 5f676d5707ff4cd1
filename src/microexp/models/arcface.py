"""ArcFace additive angular margin head (Deng, Guo, Xue, Zafeiriou, CVPR 2019).

Logits are ``scale · cos(θ_j)`` between the L2-normalised embedding and class centre j; during
training the true class gets ``scale · cos(θ_y + margin)``. Cross-entropy on these logits is the
ArcFace loss. Shapes: (N, D) embedding → (N, num_classes) logits.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Deng et al. 2019 use s = 64, m = 0.5 for face identities; three emotion classes need a softer scale.
ARCFACE_SCALE = 16.0
ARCFACE_MARGIN = 0.3


class ArcFaceHead(nn.Module):
    def __init__(self, in_features: int, num_classes: int, scale: float = ARCFACE_SCALE, margin: float = ARCFACE_MARGIN):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_classes, in_features))
        nn.init.xavier_uniform_(self.weight)
        self.scale, self.margin = scale, margin

    def forward(self, embedding: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        cos = F.linear(F.normalize(embedding), F.normalize(self.weight)).clamp(-1 + 1e-7, 1 - 1e-7)
        if labels is None or self.margin == 0:
            return self.scale * cos
        theta = torch.acos(cos)
        target = torch.cos(theta + self.margin)
        # keep the target logit monotonic where θ + m would pass π (Deng et al.'s "easy margin" fallback)
        target = torch.where(theta + self.margin < math.pi, target, cos - self.margin * math.sin(self.margin))
        one_hot = F.one_hot(labels, cos.shape[1]).to(cos.dtype)
        return self.scale * (one_hot * target + (1 - one_hot) * cos)
