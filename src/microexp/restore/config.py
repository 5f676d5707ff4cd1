"""One configuration of a super-resolution experiment, and the generator it builds."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from pathlib import Path

import torch
from torch import nn

from ..config import ConfigModel
from ..errors import ConfigError, DataError

GENERATORS = ("rrdbnet", "srresnet", "rlfn")


@dataclass
class SRConfig(ConfigModel):
    """Architecture and schedule. Defaults are a CPU-sized ESRGAN (paper sizes in comments)."""

    arch: str = "rrdbnet"
    n_features: int = 32          # ESRGAN: 64
    n_blocks: int = 2             # ESRGAN: 23 RRDBs; SRGAN: 16 residual blocks; RLFN: 6 blocks
    growth: int = 16              # ESRGAN: 32 (RRDBNet only)
    esa_channels: int = 16        # RLFN: 16 (rlfn only: channels of the spatial attention)
    unshuffle: bool = False       # rlfn only: pixel-unshuffle front end (body at half the LR size)
    position: bool = False        # rlfn only: each LR pixel's (x, y) in the face as two input planes
    upsampler: str = "pixelshuffle"  # ESRGAN: "nearest" (RRDBNet only)
    global_residual: bool = True  # add bicubic(LR) to the output (not in the papers)
    scale: int = 4                # paper 000: ×4, 32 → 128
    # data
    patch_lr: int = 16            # LR patch side; the HR patch is scale × larger
    batch_size: int = 16
    lr_variants: int = 4          # degradations drawn per face (median blur is random)
    median_prob: float | None = None  # chance of the median blur; None: paper 000's default (0.5)
    # phase 1: L1 pre-training (the PSNR-oriented model)
    pretrain_iters: int = 3000
    pretrain_lr: float = 2e-4     # ESRGAN: 2e-4
    pretrain_minutes: float | None = None  # wall-clock cap; the LR schedule then follows elapsed time
    l2_fraction: float = 0.0      # the last fraction of phase 1 trained with MSE instead of L1 (RLFN's
                                  # fine-tuning stage: PSNR measures squared error)
    ema_decay: float = 0.0        # > 0: the PSNR model is an exponential moving average of the weights
    region_weight: float = 0.0    # > 0: pixels in the landmark regions (brows, eyes, mouth) count
                                  # 1 + region_weight times in the pixel loss (needs region masks)
    channels_last: bool = False   # train in the channels-last memory layout
    # phase 2: adversarial fine-tuning (ESRGAN)
    gan_iters: int = 600
    gan_lr: float = 1e-4          # ESRGAN: 1e-4
    gan_minutes: float | None = None
    d_features: int = 32          # ESRGAN: 64
    pixel_weight: float = 1e-2    # ESRGAN η
    adversarial_weight: float = 5e-3  # ESRGAN λ
    perceptual_weight: float = 1.0
    vgg_weights: str | None = None  # VGG19 state_dict file; else discriminator feature matching
    # bookkeeping
    iters_per_epoch: int = 250    # a checkpoint and a sample grid every so many iterations
    seed: int = 0

    KIND: ClassVar[str] = "super-resolution config"

    def validate(self, source: str) -> None:
        if self.arch not in GENERATORS:
            raise ConfigError(f"{source}: unknown generator {self.arch!r}; known: {', '.join(GENERATORS)}")
        if not 0.0 <= self.l2_fraction <= 1.0:
            raise ConfigError(f"{source}: l2_fraction must lie in [0, 1], got {self.l2_fraction}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"{source}: ema_decay must lie in [0, 1), got {self.ema_decay}")
        if self.position and self.arch != "rlfn":
            raise ConfigError(f"{source}: position planes are implemented for arch 'rlfn' only, not {self.arch!r}")
        if self.region_weight < 0:
            raise ConfigError(f"{source}: region_weight must be ≥ 0, got {self.region_weight}")


def build_generator(cfg: SRConfig) -> nn.Module:
    if cfg.arch == "rrdbnet":
        from .rrdbnet import RRDBNet

        return RRDBNet(n_features=cfg.n_features, n_blocks=cfg.n_blocks, growth=cfg.growth, scale=cfg.scale,
                       global_residual=cfg.global_residual, upsampler=cfg.upsampler)
    if cfg.arch == "srresnet":
        from .srresnet import SRResNet

        return SRResNet(n_features=cfg.n_features, n_blocks=cfg.n_blocks, scale=cfg.scale,
                        global_residual=cfg.global_residual)
    if cfg.arch == "rlfn":
        from .efficient import RLFNet

        return RLFNet(n_features=cfg.n_features, n_blocks=cfg.n_blocks, esa_channels=cfg.esa_channels,
                      scale=cfg.scale, global_residual=cfg.global_residual, unshuffle=cfg.unshuffle,
                      position_channels=2 if cfg.position else 0)
    raise ConfigError(f"unknown generator {cfg.arch!r}; known: {', '.join(GENERATORS)}")


def generator_bytes(generator: nn.Module, cfg: SRConfig) -> bytes:
    """A self-describing generator file: its config and weights (loadable with weights_only=True)."""
    import io

    buf = io.BytesIO()
    torch.save({"format": "microexp-sr-generator/1", "config": cfg.to_dict(),
                "state_dict": {k: v.detach().cpu() for k, v in generator.state_dict().items()}}, buf)
    return buf.getvalue()


def load_generator(path: str | Path) -> tuple[nn.Module, SRConfig]:
    """Generator (eval mode) and its config from a file written by :func:`generator_bytes` or a
    training checkpoint."""
    from ..io import read_weights

    path = Path(path)
    blob = read_weights(path, "super-resolution model")
    if not isinstance(blob, dict) or "config" not in blob or ("state_dict" not in blob and "generator" not in blob):
        raise DataError("not a microexp super-resolution model (no config / weights)", path)
    cfg = SRConfig.from_dict(blob["config"])
    gen = build_generator(cfg)
    gen.load_state_dict(blob.get("state_dict", blob.get("generator")))
    gen.eval()
    return gen, cfg
