"""VGG-style discriminator and the relativistic average GAN losses of ESRGAN
(Wang et al., ECCV workshops 2018, section 3.3; Jolicoeur-Martineau, "The relativistic
discriminator", 2018).

Shapes: ``(B, C, H, W)`` in [0, 1] → logits ``(B,)`` (and, on request, the list of intermediate
feature maps used by the feature-matching loss). Global average pooling before the dense head
lets it judge any patch size, not only the paper's fixed 128×128 input.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _conv_block(cin: int, cout: int, stride: int, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3 if stride == 1 else 4, stride, 1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return nn.Sequential(*layers)


class VGGStyleDiscriminator(nn.Module):
    """Pairs of (stride 1, stride 2) conv blocks, widths ``n_features × (1, 2, 4, 8)`` (paper: 64)."""

    def __init__(self, in_channels: int = 3, n_features: int = 64, n_stages: int = 4):
        super().__init__()
        blocks, cin = [], in_channels
        for stage in range(n_stages):
            cout = n_features * 2 ** stage
            blocks.append(_conv_block(cin, cout, 1, batch_norm=stage > 0))
            blocks.append(_conv_block(cout, cout, 2, batch_norm=True))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Sequential(nn.Linear(cin, 100), nn.LeakyReLU(0.2, inplace=True), nn.Linear(100, 1))

    def forward(self, x: torch.Tensor, return_features: bool = False):
        feats = []
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        logits = self.head(x.mean(dim=(2, 3))).squeeze(1)
        return (logits, feats) if return_features else logits


def relativistic_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """RaGAN discriminator loss: real should look more real than the average fake, and vice versa."""
    real_rel = real_logits - fake_logits.mean()
    fake_rel = fake_logits - real_logits.mean()
    return 0.5 * (F.binary_cross_entropy_with_logits(real_rel, torch.ones_like(real_rel))
                  + F.binary_cross_entropy_with_logits(fake_rel, torch.zeros_like(fake_rel)))


def relativistic_g_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """RaGAN generator loss: the symmetric objective, so the generator also gets gradients from real data."""
    real_rel = real_logits - fake_logits.mean()
    fake_rel = fake_logits - real_logits.mean()
    return 0.5 * (F.binary_cross_entropy_with_logits(real_rel, torch.zeros_like(real_rel))
                  + F.binary_cross_entropy_with_logits(fake_rel, torch.ones_like(fake_rel)))


def feature_matching_loss(real_feats: list[torch.Tensor], fake_feats: list[torch.Tensor]) -> torch.Tensor:
    """Mean L1 between the discriminator's feature maps of real and generated images (real detached);
    the perceptual term used when no VGG19 weights are supplied."""
    return sum(F.l1_loss(f, r.detach()) for r, f in zip(real_feats, fake_feats)) / len(real_feats)
