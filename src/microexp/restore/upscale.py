"""Inference: LR faces → SR faces with a trained generator or the bicubic baseline."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from .degradation import bicubic_upscale


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """``(N, H, W, C)`` uint8 → ``(N, C, H, W)`` float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255.0)


def to_uint8(tensor: torch.Tensor) -> np.ndarray:
    """``(N, C, H, W)`` float in [0, 1] → ``(N, H, W, C)`` uint8 (rounded, clipped)."""
    return tensor.detach().clamp(0, 1).mul(255.0).round().byte().permute(0, 2, 3, 1).cpu().numpy()


#: Geometric self-ensembles (EDSR's "+"): the views a prediction is averaged over.
SELF_ENSEMBLES = (1, 2, 8)


def _dihedral(x: torch.Tensor, k: int, inverse: bool = False) -> torch.Tensor:
    """View ``k`` in 0..7 of the dihedral group on ``(B, C, H, W)``: bit 2 transposes, bits 0-1
    rotate by 90° steps; ``inverse`` undoes it."""
    rot, transpose = k % 4, k >= 4
    if not inverse:
        x = x.transpose(2, 3) if transpose else x
        return torch.rot90(x, rot, dims=(2, 3))
    x = torch.rot90(x, -rot, dims=(2, 3))
    return x.transpose(2, 3) if transpose else x


def _predict(generator: nn.Module, x: torch.Tensor, self_ensemble: int) -> torch.Tensor:
    if getattr(generator, "position_channels", 0):
        # the position planes turn with the face, as the training patches' did
        from .efficient import position_grid

        x = torch.cat([x, position_grid(x.shape[-2], x.shape[-1], x.shape[0])], dim=1)
    if self_ensemble == 1:
        return generator(x)
    if self_ensemble == 2:  # identity and the left-right mirror (faces stay upright)
        return 0.5 * (generator(x) + generator(x.flip(3)).flip(3))
    return sum(_dihedral(generator(_dihedral(x, k)), k, inverse=True) for k in range(8)) / 8.0


@torch.no_grad()
def upscale_with(generator: nn.Module, lr_images: np.ndarray, batch_size: int = 32,
                 self_ensemble: int = 1) -> np.ndarray:
    """``(N, h, w, 3)`` or ``(N, h, w)`` uint8 → ``(N, s*h, s*w[, 3])`` uint8; grayscale goes
    through the generator as three equal channels.

    ``self_ensemble`` averages the outputs of 1 (plain), 2 (with the mirror image) or 8 (all flips
    and transpositions, as EDSR+) transformed copies of each input, each transformed back.
    """
    if self_ensemble not in SELF_ENSEMBLES:
        raise ConfigError(f"self_ensemble must be one of {SELF_ENSEMBLES}, got {self_ensemble}")
    lr_images = np.asarray(lr_images)
    gray = lr_images.ndim == 3
    if gray:
        lr_images = np.repeat(lr_images[..., None], 3, axis=3)
    was_training = generator.training
    generator.eval()
    out = [to_uint8(_predict(generator, to_tensor(lr_images[i:i + batch_size]), self_ensemble))
           for i in range(0, len(lr_images), batch_size)]
    generator.train(was_training)
    sr = np.concatenate(out) if out else np.zeros((0,) + lr_images.shape[1:], np.uint8)
    return sr.mean(axis=3).round().astype(np.uint8) if gray else sr


def upscale_bicubic(lr_images: np.ndarray, scale: int = 4) -> np.ndarray:
    return np.stack([bicubic_upscale(x, scale) for x in np.asarray(lr_images)])


def comparison_grid(columns: list[np.ndarray], size: int = 128, gap: int = 2) -> np.ndarray:
    """Rows = faces, columns = versions (e.g. HR | LR | bicubic | RRDB | ESRGAN); each version
    ``(N, h, w, 3)`` uint8 is shown at ``size``×``size`` (LR by nearest neighbour, so pixels show)."""
    import cv2

    n = len(columns[0])
    grid = np.full((n * (size + gap) - gap, len(columns) * (size + gap) - gap, 3), 255, np.uint8)
    for c, images in enumerate(columns):
        for r, img in enumerate(images):
            img = np.asarray(img)
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=2)
            if img.shape[:2] != (size, size):
                img = cv2.resize(img, (size, size), interpolation=cv2.INTER_NEAREST)
            grid[r * (size + gap):r * (size + gap) + size, c * (size + gap):c * (size + gap) + size] = img
    return grid
