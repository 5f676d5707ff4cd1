"""ESRGAN's perceptual loss: L1 between VGG19 features *before* activation (conv5_4), from a
VGG19 weights file the user supplies (nothing is downloaded).

The file is a ``state_dict`` in torchvision's key layout (``features.<index>.weight`` /
``.bias``; ``classifier.*`` keys are ignored), optionally wrapped as ``{"state_dict": ...}``.
It is read with ``torch.load(weights_only=True)``, which refuses pickled code.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DataError

#: torchvision's VGG19 "E" configuration: channel widths, "M" = 2×2 max-pooling.
VGG19_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                512, 512, 512, 512, "M")
#: Index of conv5_4 in ``vgg19.features``; ESRGAN takes its output before the ReLU.
CONV5_4 = 34
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def vgg19_features(last_layer: int = CONV5_4) -> nn.Sequential:
    """``vgg19.features[: last_layer + 1]`` with torchvision's module indices (so keys match)."""
    layers: list[nn.Module] = []
    cin = 3
    for item in VGG19_LAYOUT:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, item, 3, padding=1), nn.ReLU(inplace=False)]
            cin = item
    return nn.Sequential(*layers[: last_layer + 1])


def load_vgg19_features(path: str | Path, last_layer: int = CONV5_4) -> nn.Sequential:
    """Build the truncated VGG19 feature stack and fill it from ``path``; frozen, in eval mode."""
    path = Path(path)
    if not path.is_file():
        raise DataError("VGG19 weights file is missing", path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling errors come in many types
        raise DataError(f"cannot read VGG19 weights ({type(exc).__name__}: {exc})", path) from exc
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise DataError("VGG19 weights file does not hold a state_dict", path)
    net = vgg19_features(last_layer)
    wanted = net.state_dict()
    picked = {}
    for key in wanted:
        for candidate in (f"features.{key}", key):
            if candidate in state:
                picked[key] = state[candidate]
                break
        else:
            raise DataError(f"VGG19 weights lack 'features.{key}' (torchvision key layout expected)", path)
        if tuple(picked[key].shape) != tuple(wanted[key].shape):
            raise DataError(f"'features.{key}' has shape {tuple(picked[key].shape)}, expected "
                            f"{tuple(wanted[key].shape)}", path)
    net.load_state_dict(picked)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


class PerceptualLoss(nn.Module):
    """L1 distance of VGG19 features of two ``(B, 3, H, W)`` images in [0, 1]."""

    def __init__(self, weights_path: str | Path, last_layer: int = CONV5_4):
        super().__init__()
        self.features = load_vgg19_features(weights_path, last_layer)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def train(self, mode: bool = True):
        super().train(mode)
        self.features.eval()  # the feature extractor is frozen
        return self

    def forward(self, estimate: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        est = self.features((estimate - self.mean) / self.std)
        with torch.no_grad():
            ref = self.features((reference - self.mean) / self.std)
        return F.l1_loss(est, ref)
