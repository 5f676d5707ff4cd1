"""Conditional compact DC-GAN of paper 004 (OC-Net system, fig. 8, eqs. 1–4).

Generator ``G``: ``X0 = U ⊕ L`` (latent ⊕ one-hot label, eq. 3) → dense projection to a small
feature map → three transposed convolutions with leaky ReLU (``T``) → convolution + tanh
(``EC``, eq. 4). Output ``(N, C, S, S)`` in ``[-1, 1]``.

Discriminator ``D``: ``X0 = F ⊕ L`` (flow ⊕ label broadcast to label planes, eq. 1) → three
strided convolutions with leaky ReLU (``C``) → dropout, dense, softmax over {fake, real}
(``R``, eq. 2). ``forward`` returns the two logits; the softmax lives in the cross-entropy loss.

The paper generates 80×80 flows; the MEGC2019 composite recogniser eats 28×28, so the size is a
parameter and the upsampling strides are derived from it.
"""
from __future__ import annotations

import torch
from torch import nn

from ...errors import ConfigError

#: Negative slope of the leaky ReLUs (paper 004 does not state it; 0.2 is the DC-GAN default).
LEAKY_SLOPE = 0.2
#: Dropout before the discriminator's dense layer (paper 004 §3.5 found p = 0.5 best for its CNNs).
DISCRIMINATOR_DROPOUT = 0.5
#: Number of transposed / strided convolutions: "both ... used three-layer CNN" (paper 004 §3.4).
NUM_CONV_LAYERS = 3


def upsampling_plan(image_size: int, layers: int = NUM_CONV_LAYERS) -> tuple[int, tuple[int, ...]]:
    """Start size and per-layer strides (2 or 1) whose product brings the start size to ``image_size``.

    28 → start 7, strides (2, 2, 1); 80 → start 10, strides (2, 2, 2).
    """
    for n_up in range(layers, -1, -1):
        if image_size % (2 ** n_up) == 0 and image_size // (2 ** n_up) >= 3:
            return image_size // (2 ** n_up), (2,) * n_up + (1,) * (layers - n_up)
    raise ConfigError(f"image_size {image_size} cannot be generated (needs >= 3)")


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    return nn.functional.one_hot(labels.long(), num_classes).float()


class FlowGenerator(nn.Module):
    """``G(u, label)``: latent ``(N, latent_dim)`` + labels ``(N,)`` → flows ``(N, channels, S, S)`` in [-1, 1]."""

    def __init__(self, num_classes: int = 3, latent_dim: int = 100, image_size: int = 28,
                 channels: int = 3, width: int = 64, batch_norm: bool = True):
        super().__init__()
        self.num_classes, self.latent_dim, self.image_size = num_classes, latent_dim, image_size
        start, strides = upsampling_plan(image_size)
        self.start = start
        widths = [width * 2, width, width // 2, width // 2]
        self.project = nn.Sequential(
            nn.Linear(latent_dim + num_classes, widths[0] * start * start),
            nn.LeakyReLU(LEAKY_SLOPE),
        )
        layers: list[nn.Module] = []
        for i, stride in enumerate(strides):
            # kernel 4 / padding 1 doubles the size exactly; kernel 3 / padding 1 keeps it.
            k = 4 if stride == 2 else 3
            layers.append(nn.ConvTranspose2d(widths[i], widths[i + 1], k, stride, 1))
            if batch_norm:
                # Not in paper 004's description of T; DC-GAN practice that keeps lr 0.002 stable.
                layers.append(nn.BatchNorm2d(widths[i + 1]))
            layers.append(nn.LeakyReLU(LEAKY_SLOPE))
        self.upsample = nn.Sequential(*layers)
        self.to_flow = nn.Sequential(nn.Conv2d(widths[len(strides)], channels, 3, 1, 1), nn.Tanh())

    def forward(self, latent: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x0 = torch.cat([latent, one_hot(labels, self.num_classes)], dim=1)  # eq. 3: U ⊕ L
        h = self.project(x0).view(len(latent), -1, self.start, self.start)
        return self.to_flow(self.upsample(h))


class FlowDiscriminator(nn.Module):
    """``D(flow, label)``: flows ``(N, channels, S, S)`` in [-1, 1] + labels ``(N,)`` → logits ``(N, 2)`` (fake, real)."""

    def __init__(self, num_classes: int = 3, image_size: int = 28, channels: int = 3, width: int = 32):
        super().__init__()
        self.num_classes = num_classes
        widths = [channels + num_classes, width, width * 2, width * 4]
        layers: list[nn.Module] = []
        size = image_size
        for i in range(NUM_CONV_LAYERS):
            layers += [nn.Conv2d(widths[i], widths[i + 1], 3, 2, 1), nn.LeakyReLU(LEAKY_SLOPE)]
            size = (size + 1) // 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(DISCRIMINATOR_DROPOUT),
                                  nn.Linear(widths[-1] * size * size, 2))

    def forward(self, flow: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        planes = one_hot(labels, self.num_classes)[:, :, None, None].expand(-1, -1, *flow.shape[2:])
        x0 = torch.cat([flow, planes], dim=1)  # eq. 1: F ⊕ L
        return self.head(self.features(x0))


def _sn(module: nn.Module, on: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(module) if on else module


class ProjectionDiscriminator(nn.Module):
    """``D(flow, label)`` → one realness score per flow ``(N,)``, the label entering by projection
    (Miyato & Koyama, 2018): ``ψ(φ(x)) + ⟨embed(y), φ(x)⟩``, where ``φ`` is three strided
    convolutions with leaky ReLU and a global sum pool.

    Not paper 004's discriminator (eq. 1 concatenates label planes): an option for class-faithful
    flows, where the class can only raise the score through features that tell the classes apart.
    ``spectral_norm`` normalises every layer (Miyato et al., 2018). :meth:`score_and_class` also reads the
    class from the same features (the auxiliary classifier of AC-GAN, Odena et al., 2017).
    """

    def __init__(self, num_classes: int = 3, channels: int = 3, width: int = 32, spectral_norm: bool = True):
        super().__init__()
        self.num_classes = num_classes
        widths = [channels, width, width * 2, width * 4]
        layers: list[nn.Module] = []
        for i in range(NUM_CONV_LAYERS):
            layers += [_sn(nn.Conv2d(widths[i], widths[i + 1], 3, 2, 1), spectral_norm), nn.LeakyReLU(LEAKY_SLOPE)]
        self.features = nn.Sequential(*layers)
        self.score = _sn(nn.Linear(widths[-1], 1), spectral_norm)
        self.embed = _sn(nn.Embedding(num_classes, widths[-1]), spectral_norm)
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, flow: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.score_and_class(flow, labels)[0]

    def score_and_class(self, flow: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Realness scores ``(N,)`` and class logits ``(N, num_classes)`` from one pass."""
        h = self.features(flow).sum(dim=(2, 3))
        score = self.score(h).squeeze(1) + (self.embed(labels.long()) * h).sum(dim=1)
        return score, self.classifier(h)
