"""A small GANimation-style AU-conditioned generator (Pumarola et al. 2019, the backbone of paper 002).

Generator: face crop ``(N, 3, S, S)`` in [-1, 1] ⊕ AU condition planes ``(N, 2A)`` (subject's left
and right AU intensities) → encoder (stride-2 convolutions), residual blocks, decoder (transposed
convolutions) → two heads: colour ``C`` (tanh) and attention ``M`` (sigmoid, "where to change").
Output ``M·C + (1 − M)·I``: pixels the AUs do not touch are copied from the input.

Critic: PatchGAN real/fake map plus an AU-regression head (GANimation's conditional critic).

Training departs from GANimation on purpose: the simulator gives *paired* data (the same face
neutral and at known AU intensities), so an L1 reconstruction term replaces the cycle loss; the
attention is kept sparse and smooth (mean and total variation of ``M``) and a small adversarial +
AU-regression term sharpens the result. Trained on simulated faces only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

#: Loss weights. GANimation uses λ_A = 0.1 on unpaired macro-expressions; a micro-expression changes
#: so few pixels that such an attention penalty makes the generator copy its input, hence 0.001.
LAMBDA_RECONSTRUCTION = 10.0
LAMBDA_ATTENTION = 0.001
LAMBDA_ATTENTION_TV = 0.01
LAMBDA_ADVERSARIAL = 0.1
LAMBDA_AU = 1.0
#: Initial attention logit: sigmoid(−4) ≈ 0.018, so the untrained generator copies its input.
ATTENTION_BIAS_INIT = -4.0


def _res_block(ch: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.InstanceNorm2d(ch, affine=True), nn.ReLU(True),
                         nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.InstanceNorm2d(ch, affine=True))


class AUConditionedGenerator(nn.Module):
    """``(image (N,3,S,S) in [-1,1], cond (N, cond_dim))`` → ``(output, attention (N,1,S,S), colour)``."""

    def __init__(self, cond_dim: int, width: int = 16, res_blocks: int = 2):
        super().__init__()
        w = width
        self.encoder = nn.Sequential(
            nn.Conv2d(3 + cond_dim, w, 5, 1, 2, bias=False), nn.InstanceNorm2d(w, affine=True), nn.ReLU(True),
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.InstanceNorm2d(2 * w, affine=True), nn.ReLU(True),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False), nn.InstanceNorm2d(4 * w, affine=True), nn.ReLU(True))
        self.blocks = nn.ModuleList(_res_block(4 * w) for _ in range(res_blocks))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False), nn.InstanceNorm2d(2 * w, affine=True), nn.ReLU(True),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.InstanceNorm2d(w, affine=True), nn.ReLU(True))
        self.colour = nn.Sequential(nn.Conv2d(w, 3, 5, 1, 2), nn.Tanh())
        self.attention = nn.Sequential(nn.Conv2d(w, 1, 5, 1, 2), nn.Sigmoid())
        # start as the identity (attention ≈ 0.02): an ME changes few pixels, learning adds them
        nn.init.constant_(self.attention[0].bias, ATTENTION_BIAS_INIT)

    def forward(self, image: torch.Tensor, cond: torch.Tensor):
        planes = cond[:, :, None, None].expand(-1, -1, *image.shape[2:])
        h = self.encoder(torch.cat([image, planes], dim=1))
        for block in self.blocks:
            h = h + block(h)
        h = self.decoder(h)
        colour, attention = self.colour(h), self.attention(h)
        return attention * colour + (1 - attention) * image, attention, colour


class AUCritic(nn.Module):
    """``image (N,3,S,S)`` → (patch real/fake scores (N,1,s,s), AU regression (N, cond_dim))."""

    def __init__(self, cond_dim: int, width: int = 16):
        super().__init__()
        w = width
        self.features = nn.Sequential(nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2, True),
                                      nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2, True),
                                      nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.LeakyReLU(0.2, True))
        self.patch = nn.Conv2d(4 * w, 1, 3, 1, 1)
        self.au = nn.Linear(4 * w, cond_dim)

    def forward(self, image: torch.Tensor):
        h = self.features(image)
        return self.patch(h), self.au(h.mean(dim=(2, 3)))


def total_variation(x: torch.Tensor) -> torch.Tensor:
    return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()


def side_condition(aus, aus_left: dict, aus_right: dict) -> torch.Tensor:
    """``(1, 2A)``: the left side's intensities of ``aus`` then the right side's (0 where absent)."""
    vec = [aus_left.get(a, 0.0) for a in aus] + [aus_right.get(a, 0.0) for a in aus]
    return torch.tensor([vec], dtype=torch.float32)


def face_box(landmarks: np.ndarray, image_shape, margin: float = 0.25) -> tuple[int, int, int, int]:
    """Square box ``(x0, y0, x1, y1)`` around the landmarks with ``margin`` of their extent, inside the image."""
    pts = np.asarray(landmarks, dtype=np.float64)
    (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    h, w = image_shape[:2]
    side = min(side, h, w)
    bx0 = int(round(np.clip(cx - side / 2, 0, w - side)))
    by0 = int(round(np.clip(cy - side / 2, 0, h - side)))
    return bx0, by0, bx0 + int(side), by0 + int(side)


def crop_face(image: np.ndarray, box, size: int) -> torch.Tensor:
    """Crop ``box`` of an RGB uint8 image, resize to ``size``², as ``(3, size, size)`` in [-1, 1]."""
    import cv2

    x0, y0, x1, y1 = box
    crop = cv2.resize(image[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(crop.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1)


@dataclass
class GANimationAUGenerator:
    """The generator interface of :mod:`.warp_generator` around a trained :class:`AUConditionedGenerator`.

    The face crop is animated at ``size``² and only the *change* is resized back and added to the
    full-resolution image, so untouched pixels keep their original detail.
    """

    model: AUConditionedGenerator
    aus: tuple[str, ...]
    size: int = 64
    supports_sides: bool = True
    history: list = field(default_factory=list)

    def condition(self, aus_left: dict, aus_right: dict) -> torch.Tensor:
        return side_condition(self.aus, aus_left, aus_right)

    @torch.no_grad()
    def __call__(self, image: np.ndarray, landmarks: np.ndarray, aus_left: dict, aus_right: dict) -> np.ndarray:
        import cv2

        box = face_box(landmarks, image.shape)
        x = crop_face(image, box, self.size)[None]
        self.model.eval()
        out, _, _ = self.model(x, self.condition(aus_left, aus_right))
        change = ((out - x)[0].permute(1, 2, 0).numpy() * 127.5).astype(np.float32)
        x0, y0, x1, y1 = box
        change = cv2.resize(change, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        result = image.astype(np.float32)
        result[y0:y1, x0:x1] += change
        return np.clip(np.rint(result), 0, 255).astype(np.uint8)


def simulated_pairs(identity_indices, clips_per_identity: int = 4, seed: int = 0, aus=None, size: int = 64,
                    frames_per_clip: int = 6, nuisances: str = "none"):
    """Paired training data from the simulator: (neutral crops, expressive crops, conditions (N, 2A))."""
    from ...simulate.clip import render_clip
    from ...simulate.emotions import ExpressionSpec
    from ...simulate.identities import make_identity
    from .au_estimation import DEFAULT_AUS, random_au_vectors

    aus = tuple(aus or DEFAULT_AUS)
    rng = np.random.default_rng(seed)
    ids = list(identity_indices)
    intensities, sides = random_au_vectors(len(ids) * clips_per_identity, aus, rng)
    src, dst, cond = [], [], []
    for c, idx in enumerate(ids):
        identity = make_identity(int(idx), seed)
        box = face_box(identity.landmarks, identity.image.shape)
        for k in range(c * clips_per_identity, (c + 1) * clips_per_identity):
            spec = ExpressionSpec(None, {a: float(v) for a, v in zip(aus, intensities[k]) if v > 0},
                                  (float(sides[k, 0]), float(sides[k, 1])))
            frames, truth = render_clip(identity, spec, nuisances=nuisances, seed=rng)
            neutral = crop_face(frames[0], box, size)
            picks = np.linspace(0, truth.n_frames - 1, frames_per_clip).round().astype(int)
            for t in picks:
                level = np.array([truth.au_intensity.get(a, np.zeros(truth.n_frames))[t] for a in aus])
                src.append(neutral)
                dst.append(crop_face(frames[t], box, size))
                cond.append(np.concatenate([level * sides[k, 0], level * sides[k, 1]]))
    return torch.stack(src), torch.stack(dst), torch.tensor(np.array(cond), dtype=torch.float32), aus


def critic_step(critic: AUCritic, optimiser, real: torch.Tensor, fake: torch.Tensor, cond: torch.Tensor,
                au_weight: float) -> torch.Tensor:
    """One update of GANimation's conditional critic: LSGAN real/fake patches plus regression of the
    real faces' AUs (weighted ``au_weight``); ``fake`` is detached. Returns the critic's loss."""
    optimiser.zero_grad()
    real_score, real_au = critic(real)
    fake_score, _ = critic(fake.detach())
    loss = ((real_score - 1) ** 2).mean() + (fake_score ** 2).mean() + au_weight * F.mse_loss(real_au, cond)
    loss.backward()
    optimiser.step()
    return loss


def train_ganimation(src: torch.Tensor, dst: torch.Tensor, cond: torch.Tensor, aus, *, steps: int = 400,
                     batch_size: int = 8, width: int = 16, lr: float = 5e-4, seed: int = 0) -> GANimationAUGenerator:
    """Fit generator and critic on paired simulated crops; returns the wrapped generator."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    gen, critic = AUConditionedGenerator(cond.shape[1], width), AUCritic(cond.shape[1], width)
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.999))  # GANimation: Adam, β1 0.5
    opt_d = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.999))
    history = []
    for step in range(steps):
        idx = torch.randint(0, len(src), (min(batch_size, len(src)),), generator=g)
        x, y, c = src[idx], dst[idx], cond[idx]
        fake, attention, _ = gen(x, c)

        d_loss = critic_step(critic, opt_d, y, fake, c, LAMBDA_AU)

        opt_g.zero_grad()
        score, au = critic(fake)
        g_loss = (LAMBDA_RECONSTRUCTION * (fake - y).abs().mean() + LAMBDA_ADVERSARIAL * ((score - 1) ** 2).mean()
                  + LAMBDA_AU * F.mse_loss(au, c) + LAMBDA_ATTENTION * attention.mean()
                  + LAMBDA_ATTENTION_TV * total_variation(attention))
        g_loss.backward()
        opt_g.step()
        if step % 25 == 0 or step == steps - 1:
            history.append({"step": step, "g_loss": g_loss.item(), "d_loss": d_loss.item(),
                            "l1": (fake - y).abs().mean().item(), "l1_identity": (x - y).abs().mean().item()})
    gen.eval()
    return GANimationAUGenerator(gen, tuple(aus), src.shape[-1], history=history)
