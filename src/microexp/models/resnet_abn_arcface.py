"""ResNet with an Attention Branch Network and an ArcFace head, 2D (apex) and 3D-first-conv (3 frames).

Paper 001: Hata, Hirose, Takano, "Performance evaluation of micro-expression recognition with
various network design variations in deep learning" (Figure 4, Table 3). ABN: Fukui et al., CVPR
2019. ArcFace: Deng et al., CVPR 2019.

Shapes: 2D model — (N, 3, H, W) apex face (float, normalised) → resize to ``input_size`` → stem
conv 3×3 → residual stages (``stage_channels``, stride 2 after the first) → the attention branch
reads stage 3's maps: conv → 1×1 conv to ``num_classes`` maps → global pool = attention logits, and
1×1 conv → sigmoid = attention map A (N, 1, h, w); the perception branch runs stage 4 on
``features · (1 + A)`` → global pool → embedding → ArcFace (or linear) logits.
``forward`` returns ``{"logits", "aux_logits": [attention logits], "attention"}``; the trainer sums
the losses of both branches (ABN's training objective). ``abn=False`` drops the attention branch
(paper 001's rows without ABN): stage 4 reads stage 3's maps directly and only ``{"logits"}`` is
returned. ``input_size=None`` keeps the input's own size (e.g. the 5 × 3 ROI mosaic).

3D model — (N, 3, H, W) where the channels are the grayscale onset, middle and apex frames (the
paper's "RGB-like" stack): the first conv is a Conv3d with a kernel of depth 3 and no temporal
padding over (N, 1, 3, H, W), collapsing time to 1; the rest is the 2D network.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .arcface import ArcFaceHead
from .layers import resize_to, scaled
from .registry import register_model

RESNET_STAGE_CHANNELS = (64, 128, 256, 512)
RESNET_INPUT_SIZE = 112
#: Paper 001 studies the 3-frame input: onset, middle, apex.
FRAMES_PER_CLIP = 3


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = (nn.Identity() if stride == 1 and cin == cout else
                     nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x):
        return F.relu(self.body(x) + self.skip(x))


class ResNetABNArcFace(nn.Module):
    accepts_labels = True  # the ArcFace margin needs the labels during training

    def __init__(self, num_classes: int = 3, in_channels: int = 3, input_size: int | None = RESNET_INPUT_SIZE,
                 width: float = 1.0, stage_channels=RESNET_STAGE_CHANNELS, blocks_per_stage: int = 1,
                 arcface: bool = True, embedding_dim: int = 128, temporal_first_conv: bool = False,
                 abn: bool = True):
        super().__init__()
        c = [scaled(ch, width) for ch in stage_channels]
        self.input_size, self.temporal_first_conv = input_size, temporal_first_conv
        if temporal_first_conv:
            # no padding along time: the 3 frames collapse into one temporal-difference-aware map
            self.stem3d = nn.Conv3d(1, c[0], (FRAMES_PER_CLIP, 3, 3), padding=(0, 1, 1), bias=False)
            self.stem = nn.Sequential(nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True))
        else:
            self.stem = nn.Sequential(nn.Conv2d(in_channels, c[0], 3, 1, 1, bias=False), nn.BatchNorm2d(c[0]),
                                      nn.ReLU(inplace=True))

        def stage(cin, cout, stride):
            return nn.Sequential(BasicBlock(cin, cout, stride),
                                 *[BasicBlock(cout, cout, 1) for _ in range(blocks_per_stage - 1)])

        self.stages123 = nn.Sequential(stage(c[0], c[0], 2), stage(c[0], c[1], 2), stage(c[1], c[2], 2))
        self.abn = abn
        if abn:
            self.attention_features = nn.Sequential(BasicBlock(c[2], c[2], 1), nn.BatchNorm2d(c[2]))
            self.attention_classes = nn.Conv2d(c[2], num_classes, 1)
            self.attention_map = nn.Sequential(nn.Conv2d(num_classes, 1, 1), nn.BatchNorm2d(1), nn.Sigmoid())
        self.stage4 = stage(c[2], c[3], 2)
        self.embedding = nn.Linear(c[3], embedding_dim)
        self.head = ArcFaceHead(embedding_dim, num_classes) if arcface else nn.Linear(embedding_dim, num_classes)
        self.arcface = arcface

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict:
        x = resize_to(x, self.input_size)
        if self.temporal_first_conv:
            x = self.stem(self.stem3d(x.unsqueeze(1)).squeeze(2))  # (N,1,3,H,W) → (N,C,1,H,W) → (N,C,H,W)
        else:
            x = self.stem(x)
        f = self.stages123(x)
        out = {}
        if self.abn:  # without it: the plain ResNet of paper 001's "without ABN" rows
            a = F.relu(self.attention_classes(self.attention_features(f)))
            att = self.attention_map(a)
            out = {"aux_logits": [a.mean(dim=(2, 3))], "attention": att}
            f = f * (1 + att)
        z = self.embedding(self.stage4(f).mean(dim=(2, 3)))
        logits = self.head(z, labels if self.training else None) if self.arcface else self.head(z)
        return {"logits": logits, **out}


@register_model("resnet_abn_arcface", input_kind="face", paper="paper 001 (Hata et al.), ResNet + ABN + ArcFace, apex 2D")
def resnet_abn_arcface(num_classes: int = 3, **kw) -> ResNetABNArcFace:
    return ResNetABNArcFace(num_classes=num_classes, temporal_first_conv=False, **kw)


@register_model("resnet_abn_arcface_3d", input_kind="frames3",
                paper="paper 001 (Hata et al.), ResNet + ABN + ArcFace, onset/middle/apex with 3D first conv")
def resnet_abn_arcface_3d(num_classes: int = 3, **kw) -> ResNetABNArcFace:
    return ResNetABNArcFace(num_classes=num_classes, temporal_first_conv=True, **kw)
