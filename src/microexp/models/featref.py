"""FeatRef: expression-specific feature refinement and fusion.

Zhou, Mao, Huang, Zhang, Zhang (2022), "Feature refinement: An expression-specific feature learning
and fusion method for micro-expression recognition", Pattern Recognition 122.

As described: an Inception module on the optical flow gives expression-shared features; an
expression proposal module with attention factors turns them into one feature per expression,
each trained by a proposal loss to say whether its expression is present; a classification branch
predicts the label from the fusion of the expression-specific features.

Shapes: (N, C, S, S) flow → resized to ``input_size`` (28) → u and v streams of two Inception
blocks (as Dual-Inception: f = 6 then 16 filters per branch) → concatenated shared maps
(N, 128, 7, 7) → for each of the K expressions: spatial attention ``a_k = sigmoid(conv 1×1)``
(N, 1, 7, 7), attended average pool (N, 128), FC + ReLU → expression feature ``e_k``
(N, ``feature_dim``), proposal score ``s_k = FC(e_k)`` (N,) → fusion: concatenated e_1..e_K
(N, K·feature_dim) → FC → (N, K) logits.
``forward`` returns ``{"logits": class logits, "aux_logits": [proposal scores (N, K)]}``; the
trainer sums the cross-entropy of both.

Guessed (the description gives no layer sizes): the shared extractor is Dual-Inception's pair of
streams, one 1×1-conv sigmoid attention map per expression, ``feature_dim`` 64, fusion by
concatenation, and the proposal loss as cross-entropy over the K proposal scores (the paper's is a
per-expression presence loss) with weight 1.
"""
from __future__ import annotations

import torch
from torch import nn

from .dual_inception import INCEPTION_FILTERS, inception_stream
from .layers import resize_to, scaled
from .registry import register_model

#: Guessed width of each expression-specific feature.
FEATREF_FEATURE_DIM = 64
FEATREF_INPUT_SIZE = 28


class ExpressionProposal(nn.Module):
    """One expression's branch: spatial attention over the shared maps → feature → proposal score."""

    def __init__(self, channels: int, feature_dim: int, dropout: float):
        super().__init__()
        self.attention = nn.Conv2d(channels, 1, 1)
        self.feature = nn.Sequential(nn.Linear(channels, feature_dim), nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.score = nn.Linear(feature_dim, 1)

    def forward(self, shared: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = torch.sigmoid(self.attention(shared))
        pooled = (a * shared).sum(dim=(2, 3)) / a.sum(dim=(2, 3)).clamp_min(1e-6)
        feature = self.feature(pooled)
        return feature, self.score(feature).squeeze(1)


@register_model("featref", input_kind="flow",
                paper="Zhou, Mao, Huang, Zhang, Zhang 2022, FeatRef (Pattern Recognition)")
class FeatRef(nn.Module):
    def __init__(self, num_classes: int = 3, input_size: int = FEATREF_INPUT_SIZE, filters=INCEPTION_FILTERS,
                 feature_dim: int = FEATREF_FEATURE_DIM, dropout: float = 0.0, width: float = 1.0,
                 u_channel: int = 0, v_channel: int = 1):
        super().__init__()
        self.input_size, self.u_channel, self.v_channel = input_size, u_channel, v_channel
        filters = [scaled(f, width, minimum=1) for f in filters]
        self.u_stream, self.v_stream = inception_stream(filters), inception_stream(filters)
        channels = 2 * 4 * filters[-1]
        self.proposals = nn.ModuleList(ExpressionProposal(channels, feature_dim, dropout) for _ in range(num_classes))
        self.classifier = nn.Linear(num_classes * feature_dim, num_classes)

    def shared_features(self, x: torch.Tensor) -> torch.Tensor:
        """The expression-shared maps: u and v stream outputs stacked along the channels."""
        x = resize_to(x, self.input_size)
        u = self.u_stream(x[:, self.u_channel:self.u_channel + 1])
        v = self.v_stream(x[:, self.v_channel:self.v_channel + 1])
        return torch.cat([u, v], dim=1)

    def forward(self, x: torch.Tensor) -> dict:
        shared = self.shared_features(x)
        features, scores = zip(*(p(shared) for p in self.proposals))
        logits = self.classifier(torch.cat(features, dim=1))
        return {"logits": logits, "aux_logits": [torch.stack(scores, dim=1)]}
