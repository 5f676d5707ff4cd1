"""Adversarial training of the conditional DC-GAN (paper 004 §3.4) and class-conditional sampling.

Flows enter and leave in ``[0, 1]`` (the composite's per-image min–max scaling); the networks work
in ``[-1, 1]`` to match the generator's tanh.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from ...config import ConfigModel
from ...errors import ConfigError, DataError
from .networks import FlowDiscriminator, FlowGenerator, ProjectionDiscriminator

#: Adam learning rate of the GAN (paper 004 §3.4: "learning rate = 0.002").
PAPER_LEARNING_RATE = 0.002
#: Adam β1 (paper 004 §3.4: "0.5 momentum parameter").
PAPER_BETA1 = 0.5
#: Latent size: paper 004 does not state it; 100 is the DC-GAN convention.
DEFAULT_LATENT_DIM = 100


@dataclass
class GANConfig(ConfigModel):
    """Hyper-parameters of one GAN fit; all of them enter the cache key."""

    KIND: ClassVar[str] = "flow-GAN config"

    epochs: int = 30
    batch_size: int = 16
    lr: float = PAPER_LEARNING_RATE
    beta1: float = PAPER_BETA1
    latent_dim: int = DEFAULT_LATENT_DIM
    generator_width: int = 32
    discriminator_width: int = 16
    #: ``"paper"``: paper 004's discriminator (label planes, eq. 1) and softmax over {fake, real}
    #: (eq. 2); ``"projection"``: a projection discriminator with spectral normalisation and the
    #: hinge loss (:class:`~.networks.ProjectionDiscriminator`), for class-faithful flows.
    discriminator: str = "paper"
    #: Moving average of the generator's weights used for sampling (0: off, the last weights).
    ema_decay: float = 0.0
    #: Weight of the auxiliary class loss (AC-GAN): the projection discriminator also learns the
    #: class of real flows, and the generator is pushed to make flows it reads as their class.
    aux_weight: float = 0.0

    def validate(self, source: str = "flow-GAN config") -> None:
        if self.discriminator not in DISCRIMINATORS:
            raise ConfigError(f"{source}: discriminator must be one of {', '.join(DISCRIMINATORS)}, "
                              f"got {self.discriminator!r}")
        if self.aux_weight < 0 or (self.aux_weight > 0 and self.discriminator != "projection"):
            raise ConfigError(f"{source}: aux_weight must be >= 0 and needs discriminator 'projection', "
                              f"got {self.aux_weight} with {self.discriminator!r}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"{source}: ema_decay must lie in [0, 1), got {self.ema_decay}")
        for name in ("epochs", "batch_size", "latent_dim", "generator_width", "discriminator_width"):
            if getattr(self, name) < (0 if name == "epochs" else 1):
                raise ConfigError(f"{source}: {name} must be positive, got {getattr(self, name)}")

    def as_dict(self) -> dict:
        return self.to_dict()


#: The discriminators :class:`GANConfig` can name.
DISCRIMINATORS = ("paper", "projection")


@dataclass
class FlowGAN:
    """A trained generator with what is needed to sample from it."""

    generator: FlowGenerator
    num_classes: int
    config: GANConfig
    history: list[dict] = field(default_factory=list)

    @torch.no_grad()
    def sample(self, labels: np.ndarray, seed: int = 0) -> np.ndarray:
        """Flows ``(len(labels), C, S, S)`` float32 in [0, 1], one per requested class index."""
        labels = np.asarray(labels, dtype=np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise DataError(f"class indices must lie in [0, {self.num_classes}); got {sorted(set(labels.tolist()))}")
        gen = torch.Generator().manual_seed(int(seed))
        latent = torch.randn(len(labels), self.config.latent_dim, generator=gen)
        self.generator.eval()
        out = self.generator(latent, torch.from_numpy(labels))
        return ((out.numpy() + 1.0) / 2.0).clip(0.0, 1.0).astype(np.float32)


def check_flows(flows: np.ndarray, labels: np.ndarray) -> None:
    if flows.ndim != 4 or flows.shape[2] != flows.shape[3]:
        raise DataError(f"flows must be (N, C, S, S); got shape {flows.shape}")
    if len(flows) != len(labels):
        raise DataError(f"{len(flows)} flows but {len(labels)} labels")
    if not np.isfinite(flows).all():
        raise DataError("flows contain NaN or inf")


def _discriminator(config: GANConfig, num_classes: int, size: int, channels: int) -> nn.Module:
    if config.discriminator == "projection":
        return ProjectionDiscriminator(num_classes, channels, config.discriminator_width)
    return FlowDiscriminator(num_classes, size, channels, config.discriminator_width)


def _d_loss(config: GANConfig, real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    if config.discriminator == "projection":  # hinge loss
        return torch.relu(1.0 - real_out).mean() + torch.relu(1.0 + fake_out).mean()
    ce = nn.functional.cross_entropy  # softmax over {fake, real}: R in eq. 2
    return (ce(real_out, torch.ones(len(real_out), dtype=torch.long))
            + ce(fake_out, torch.zeros(len(fake_out), dtype=torch.long)))


def _g_loss(config: GANConfig, fake_out: torch.Tensor) -> torch.Tensor:
    if config.discriminator == "projection":
        return -fake_out.mean()
    return nn.functional.cross_entropy(fake_out, torch.ones(len(fake_out), dtype=torch.long))


def train_flow_gan(flows: np.ndarray, labels: np.ndarray, num_classes: int, config: GANConfig | None = None,
                   seed: int = 0) -> FlowGAN:
    """Fit the conditional DC-GAN on ``flows`` ``(N, C, S, S)`` in [0, 1] with class indices ``labels``.

    ``config.epochs`` passes over the flows (a fixed budget). With ``config.ema_decay`` the returned
    generator is the moving average of the weights (batch-norm statistics copied from the last step).
    """
    import copy

    config = config or GANConfig()
    config.validate()
    flows = np.asarray(flows, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    check_flows(flows, labels)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n, channels, size, _ = flows.shape
    gen = FlowGenerator(num_classes, config.latent_dim, size, channels, config.generator_width)
    disc = _discriminator(config, num_classes, size, channels)
    ema = copy.deepcopy(gen).eval() if config.ema_decay > 0 else None
    opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr, betas=(config.beta1, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=config.lr, betas=(config.beta1, 0.999))
    real_x = torch.from_numpy(flows * 2.0 - 1.0)
    real_y = torch.from_numpy(labels)
    history: list[dict] = []
    batch = min(config.batch_size, n)
    for epoch in range(config.epochs):
        order = rng.permutation(n)
        d_sum = g_sum = 0.0
        steps = 0
        for start in range(0, n - batch + 1, batch):
            idx = torch.from_numpy(order[start:start + batch])
            xb, yb = real_x[idx], real_y[idx]
            gen.train()
            fake_y = torch.from_numpy(rng.integers(0, num_classes, len(idx)))
            fake_x = gen(torch.randn(len(idx), config.latent_dim), fake_y)

            opt_d.zero_grad()
            if config.aux_weight > 0:
                real_out, real_cls = disc.score_and_class(xb, yb)
                d_loss = (_d_loss(config, real_out, disc(fake_x.detach(), fake_y))
                          + config.aux_weight * nn.functional.cross_entropy(real_cls, yb))
            else:
                d_loss = _d_loss(config, disc(xb, yb), disc(fake_x.detach(), fake_y))
            d_loss.backward()
            opt_d.step()

            opt_g.zero_grad()
            if config.aux_weight > 0:
                fake_out, fake_cls = disc.score_and_class(fake_x, fake_y)
                g_loss = _g_loss(config, fake_out) + config.aux_weight * nn.functional.cross_entropy(fake_cls, fake_y)
            else:
                g_loss = _g_loss(config, disc(fake_x, fake_y))
            g_loss.backward()
            opt_g.step()
            if ema is not None:
                with torch.no_grad():
                    for p_ema, p in zip(ema.parameters(), gen.parameters()):
                        p_ema.lerp_(p, 1.0 - config.ema_decay)
                    for b_ema, b in zip(ema.buffers(), gen.buffers()):
                        b_ema.copy_(b)
            d_sum += d_loss.item()
            g_sum += g_loss.item()
            steps += 1
        history.append({"epoch": epoch, "d_loss": d_sum / max(steps, 1), "g_loss": g_sum / max(steps, 1)})
    out = ema if ema is not None else gen
    out.eval()
    return FlowGAN(out, num_classes, config, history)


#: Format tag of a generator file, checked on load.
GENERATOR_FORMAT = "microexp-flow-gan-generator/1"


def save_generator(gan: FlowGAN, path) -> None:
    """Write the generator as tensors and plain values only, so :func:`load_generator` can read it
    with ``torch.load(weights_only=True)``, which runs no code."""
    import io

    from ...io import atomic_write_bytes, plain

    buf = io.BytesIO()
    g = gan.generator
    torch.save({"format": GENERATOR_FORMAT,
                "state_dict": {k: v.detach().cpu() for k, v in g.state_dict().items()},
                "num_classes": int(gan.num_classes), "config": plain(gan.config.as_dict()),
                "image_size": int(g.image_size), "channels": int(g.to_flow[0].out_channels),
                "history": plain(gan.history)}, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_generator(path) -> FlowGAN:
    """A :class:`FlowGAN` from a file written by :func:`save_generator`.

    Only tensors and plain values are read (``weights_only=True``); anything else, including a
    pickle that would run code, is a :class:`DataError` naming the file.
    """
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise DataError("flow-GAN generator file is missing", path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"not a readable flow-GAN generator ({type(exc).__name__}: {exc})", path) from exc
    needed = ("state_dict", "num_classes", "config", "image_size", "channels")
    if not isinstance(blob, dict) or any(k not in blob for k in needed) or not isinstance(blob["config"], dict):
        raise DataError(f"not a microexp flow-GAN generator (expected the keys {', '.join(needed)})", path)
    try:
        config = GANConfig.from_dict(blob["config"], source=path)
        gen = FlowGenerator(int(blob["num_classes"]), config.latent_dim, int(blob["image_size"]),
                            int(blob["channels"]), config.generator_width)
        gen.load_state_dict(blob["state_dict"])
    except (TypeError, ValueError, RuntimeError, ConfigError) as exc:
        raise DataError(f"flow-GAN generator does not match its settings ({exc})", path) from exc
    gen.eval()
    return FlowGAN(gen, int(blob["num_classes"]), config, list(blob.get("history", [])))
