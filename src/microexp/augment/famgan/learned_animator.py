"""A learned AU animator: GANimation's attention and colour masks plus a displacement head, taught
by the simulator (paper 002's generator, trained on pairs it never had).

GANimation (Pumarola et al. 2019) learns from unpaired photographs, so it must discover from an
adversarial and a cycle loss what each AU does. The simulator offers what it lacked: for any face
with landmarks, the exact image of the same face showing known AU intensities, *and* the dense
displacement that produced it. The network here is trained on such pairs:

* input: the face crop ``(3, S, S)`` in [-1, 1], five landmark planes (jaw, brows, nose, eyes,
  mouth as Gaussian blobs, so the network knows where the parts are on any face), and the subject's
  left and right AU intensities as constant planes;
* a U-Net (stride-2 encoder, residual blocks, decoder with skips) with three heads: a backward
  displacement ``D`` (pixels of the crop), an attention mask ``M`` (sigmoid, starts near 0) and a
  colour map ``C``; output ``M · C + (1 − M) · warp(I, D)``: the skin is moved where AUs move it,
  and only what moving cannot make is painted;
* losses: L1 to the simulator's expressive face, L1 of ``D`` to the simulator's displacement,
  attention sparsity and smoothness, and GANimation's critic (LSGAN real/fake patches plus AU
  regression) at a small weight.

At full resolution only the change is applied: ``D`` is resized to the face box and the whole
image is resampled with it (detail outside the crop's resolution is moved, not blurred), then the
painted colour change is added. A grey face goes through as three equal channels.

The warp generator (:class:`~.warp_generator.WarpAUGenerator`) *is* the simulator's expression
operator; this network learns to imitate it from pixels and landmarks, so on simulated faces it
can at best match it. Whether it does better on real faces is measured, not assumed
(``benchmarks/au_transfer.py``).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ...errors import ConfigError, DataError
from .ganimation import AUCritic, critic_step, face_box, side_condition, total_variation

#: Landmark groups drawn as input planes (iBUG 68 indices).
LANDMARK_GROUPS: dict[str, tuple[int, ...]] = {
    "jaw": tuple(range(0, 17)), "brows": tuple(range(17, 27)), "nose": tuple(range(27, 36)),
    "eyes": tuple(range(36, 48)), "mouth": tuple(range(48, 68)),
}
#: Loss weights.
LAMBDA_RECONSTRUCTION = 10.0
LAMBDA_DISPLACEMENT = 1.0
LAMBDA_ATTENTION = 0.01
LAMBDA_ATTENTION_TV = 0.01
LAMBDA_ADVERSARIAL = 0.05
LAMBDA_AU = 0.1
#: Gain of the motion planes (moved minus neutral blobs): sub-pixel motion gives differences of ~0.1.
GUIDANCE_GAIN = 4.0
#: File format tag of a saved animator.
FORMAT = "microexp-au-animator/1"


def landmark_planes(landmarks: np.ndarray, size: int, sigma: float | None = None) -> np.ndarray:
    """``(len(LANDMARK_GROUPS), size, size)`` float32: each group's points as Gaussian blobs (max 1)."""
    pts = np.asarray(landmarks, dtype=np.float32)
    if pts.shape != (68, 2):
        raise DataError(f"landmarks must be (68, 2); got {pts.shape}")
    sigma = sigma or max(size / 64.0, 0.75)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    planes = np.zeros((len(LANDMARK_GROUPS), size, size), np.float32)
    for g, idx in enumerate(LANDMARK_GROUPS.values()):
        p = pts[list(idx)]
        d2 = (xs[None] - p[:, 0, None, None]) ** 2 + (ys[None] - p[:, 1, None, None]) ** 2
        planes[g] = np.exp(-d2 / (2 * sigma ** 2)).max(axis=0)
    return planes


def input_planes(landmarks: np.ndarray, size: int, sided_aus: dict[str, float] | None = None,
                 guided: bool = False) -> np.ndarray:
    """The landmark planes of a crop; with ``guided``, five more: where the simulator's AU geometry
    moves each group (moved minus neutral blobs, ×:data:`GUIDANCE_GAIN`) for the one-sided AU keys
    ``sided_aus`` (``{'L12': 0.8, 'R12': 0.6}``)."""
    planes = landmark_planes(landmarks, size)
    if not guided:
        return planes
    from ...simulate.action_units import au_displacements

    moved = np.asarray(landmarks, np.float64)
    if sided_aus:
        moved = moved + au_displacements(moved, sided_aus)
    return np.concatenate([planes, GUIDANCE_GAIN * (landmark_planes(moved, size) - planes)])


def _down(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.InstanceNorm2d(cout, affine=True),
                         nn.ReLU(True))


def _up(cin, cout):
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.InstanceNorm2d(cout, affine=True),
                         nn.ReLU(True))


class _Res(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.InstanceNorm2d(ch, affine=True),
                                  nn.ReLU(True), nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
                                  nn.InstanceNorm2d(ch, affine=True))

    def forward(self, x):
        return x + self.body(x)


def warp_tensor(image: torch.Tensor, displacement: torch.Tensor) -> torch.Tensor:
    """``image`` (N, C, H, W) sampled at ``pixel + displacement`` ((N, 2, H, W), x then y, pixels)."""
    n, _, h, w = image.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=image.dtype), torch.arange(w, dtype=image.dtype), indexing="ij")
    gx = (2 * (xs[None] + displacement[:, 0]) + 1) / w - 1
    gy = (2 * (ys[None] + displacement[:, 1]) + 1) / h - 1
    return F.grid_sample(image, torch.stack([gx, gy], dim=-1), mode="bilinear", padding_mode="border",
                         align_corners=False)


class AnimatorNet(nn.Module):
    """``(image (N,3,S,S), planes (N,P,S,S), cond (N,2A))`` → ``(output, displacement, attention, colour)``."""

    def __init__(self, cond_dim: int, width: int = 16, res_blocks: int = 3, planes: int = len(LANDMARK_GROUPS),
                 max_shift: float = 4.0):
        super().__init__()
        w = width
        self.max_shift = max_shift
        self.stem = nn.Sequential(nn.Conv2d(3 + planes, w, 3, 1, 1, bias=False),
                                  nn.InstanceNorm2d(w, affine=True), nn.ReLU(True))
        self.down1, self.down2 = _down(w, 2 * w), _down(2 * w, 4 * w)
        # the AU planes join at the quarter-resolution bottleneck, where every unit sees the whole part
        self.inject = nn.Sequential(nn.Conv2d(4 * w + cond_dim, 4 * w, 1), nn.ReLU(True))
        self.blocks = nn.Sequential(*(_Res(4 * w) for _ in range(res_blocks)))
        self.up2, self.up1 = _up(4 * w, 2 * w), _up(4 * w, w)
        self.fuse = nn.Sequential(nn.Conv2d(2 * w, w, 3, 1, 1), nn.ReLU(True))
        self.shift = nn.Conv2d(w, 2, 3, 1, 1)
        self.colour = nn.Conv2d(w, 3, 3, 1, 1)
        self.attention = nn.Conv2d(w, 1, 3, 1, 1)
        nn.init.zeros_(self.shift.weight)
        nn.init.zeros_(self.shift.bias)
        nn.init.constant_(self.attention.bias, -4.0)  # starts as the identity: an ME changes little

    def forward(self, image, planes, cond):
        s = self.stem(torch.cat([image, planes], dim=1))
        d1 = self.down1(s)
        h = self.down2(d1)
        h = self.inject(torch.cat([h, cond[:, :, None, None].expand(-1, -1, *h.shape[2:])], dim=1))
        h = self.blocks(h)
        h = self.up1(torch.cat([self.up2(h), d1], dim=1))
        h = self.fuse(torch.cat([h, s], dim=1))
        shift = self.max_shift * torch.tanh(self.shift(h))
        colour, attention = torch.tanh(self.colour(h)), torch.sigmoid(self.attention(h))
        warped = warp_tensor(image, shift)
        return attention * colour + (1 - attention) * warped, shift, attention, colour


def _rgb(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise DataError(f"expected an (H, W) or (H, W, 3) image; got {image.shape}")


def _crop(image: np.ndarray, landmarks: np.ndarray, size: int):
    """(crop uint8 (S, S, 3), landmarks in crop pixels, box) of a face."""
    import cv2

    box = face_box(landmarks, image.shape)
    x0, y0, x1, y1 = box
    crop = cv2.resize(_rgb(image)[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)
    lms = (np.asarray(landmarks, np.float64) - (x0, y0)) * size / (x1 - x0)
    return crop, lms, box


def _to_tensor(images_uint8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(images_uint8, np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)


@dataclass
class AnimatorPairs:
    """Training pairs: neutral and expressive crops (N, S, S, 3) uint8, landmark planes (N, P, S, S),
    conditions (N, 2A) (left AUs then right), the simulator's backward displacement (N, S, S, 2)."""

    neutral: np.ndarray
    expressive: np.ndarray
    planes: np.ndarray
    cond: np.ndarray
    displacement: np.ndarray
    aus: tuple[str, ...]


def animator_pairs(faces, samples_per_face: int, aus, size: int = 64, seed: int = 0,
                   neutral_fraction: float = 0.1, guided: bool = False) -> AnimatorPairs:
    """Pairs from ``faces`` (iterable of (image, (68, 2) landmarks)): each face shown with
    ``samples_per_face`` random sparse AU settings (some one-sided, a ``neutral_fraction`` none) by
    the simulator's operator at crop resolution; ``guided`` adds the motion planes (:func:`input_planes`)."""
    from ...simulate.warping import expression_field, remap_with_field
    from .au_estimation import random_au_vectors
    from .warp_generator import sided_au_dict

    aus = tuple(aus)
    rng = np.random.default_rng(seed)
    out = {k: [] for k in ("neutral", "expressive", "planes", "cond", "displacement")}
    for image, landmarks in faces:
        crop, lms, _ = _crop(image, landmarks, size)
        intensities, sides = random_au_vectors(samples_per_face, aus, rng)
        intensities[rng.random(samples_per_face) < neutral_fraction] = 0.0
        for level, (left_s, right_s) in zip(intensities, sides):
            left, right = level * left_s, level * right_s
            sided = sided_au_dict(dict(zip(aus, left)), dict(zip(aus, right)))
            disp = (expression_field((size, size), lms, sided).astype(np.float32) if sided
                    else np.zeros((size, size, 2), np.float32))
            out["neutral"].append(crop)
            out["expressive"].append(remap_with_field(crop, disp) if sided else crop)
            out["planes"].append(input_planes(lms, size, sided, guided))
            out["cond"].append(np.concatenate([left, right]).astype(np.float32))
            out["displacement"].append(disp)
    if not out["neutral"]:
        raise DataError("no faces to make animator training pairs from")
    return AnimatorPairs(*(np.stack(out[k]) for k in ("neutral", "expressive", "planes", "cond", "displacement")),
                         aus=aus)


@dataclass
class LearnedAUAnimator:
    """The generator interface of :mod:`.warp_generator` around a trained :class:`AnimatorNet`:
    ``animator(image, landmarks, aus_left, aus_right)`` → the animated image (same shape and dtype)."""

    model: AnimatorNet
    aus: tuple[str, ...]
    size: int = 64
    width: int = 16
    guided: bool = False
    supports_sides: bool = True
    history: list = field(default_factory=list)

    def condition(self, aus_left: dict, aus_right: dict) -> torch.Tensor:
        return side_condition(self.aus, aus_left, aus_right)

    @torch.no_grad()
    def __call__(self, image: np.ndarray, landmarks: np.ndarray, aus_left: dict, aus_right: dict) -> np.ndarray:
        import cv2

        from ...simulate.warping import remap_with_field

        image = np.asarray(image)
        crop, lms, (x0, y0, x1, y1) = _crop(image, landmarks, self.size)
        x = _to_tensor(crop[None])
        from .warp_generator import sided_au_dict

        planes = torch.from_numpy(input_planes(lms, self.size, sided_au_dict(aus_left, aus_right), self.guided)[None])
        self.model.eval()
        _, shift, attention, colour = self.model(x, planes, self.condition(aus_left, aus_right))
        side = x1 - x0
        disp = cv2.resize(shift[0].permute(1, 2, 0).numpy(), (side, side), interpolation=cv2.INTER_LINEAR)
        full = np.zeros(image.shape[:2] + (2,), np.float32)
        full[y0:y1, x0:x1] = disp * (side / self.size)
        moved = remap_with_field(_rgb(image), full).astype(np.float32)
        paint = (attention * (colour - warp_tensor(x, shift)))[0].permute(1, 2, 0).numpy() * 127.5
        moved[y0:y1, x0:x1] += cv2.resize(paint, (side, side), interpolation=cv2.INTER_LINEAR)
        result = np.clip(np.rint(moved), 0, 255).astype(np.uint8)
        return result.mean(axis=2).round().astype(image.dtype) if image.ndim == 2 else result.astype(image.dtype)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        torch.save({"format": FORMAT, "aus": list(self.aus), "size": self.size, "width": self.width,
                    "guided": self.guided,
                    "state_dict": self.model.state_dict()}, buf)
        return buf.getvalue()

    @classmethod
    def load(cls, path: str | Path) -> "LearnedAUAnimator":
        """A saved animator; a file of any other kind is refused (weights only, nothing executed)."""
        from ...io import read_weights

        blob = read_weights(path, "AU animator")
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise DataError(f"not a microexp AU animator (expected format {FORMAT})", path)
        aus = tuple(blob["aus"])
        guided = bool(blob.get("guided", False))
        model = AnimatorNet(2 * len(aus), int(blob["width"]), planes=2 * len(LANDMARK_GROUPS) if guided
                            else len(LANDMARK_GROUPS))
        model.load_state_dict(blob["state_dict"])
        return cls(model.eval(), aus, int(blob["size"]), int(blob["width"]), guided)


def train_animator(pairs: AnimatorPairs, *, steps: int = 3000, batch_size: int = 16, width: int = 16,
                   lr: float = 1e-3, seed: int = 0, log=None) -> LearnedAUAnimator:
    """Fit the animator and its critic on ``pairs`` for a fixed number of steps (cosine-decayed Adam)."""
    import math

    if steps < 1:
        raise ConfigError(f"steps must be ≥ 1, got {steps}")
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    src, dst = _to_tensor(pairs.neutral), _to_tensor(pairs.expressive)
    planes, cond = torch.from_numpy(pairs.planes), torch.from_numpy(pairs.cond)
    disp = torch.from_numpy(pairs.displacement).permute(0, 3, 1, 2)
    guided = planes.shape[1] == 2 * len(LANDMARK_GROUPS)
    net, critic = AnimatorNet(cond.shape[1], width, planes=planes.shape[1]), AUCritic(cond.shape[1], 16)
    opt_g = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.999))
    history = []
    for step in range(steps):
        rate = lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = rate
        idx = torch.randint(0, len(src), (min(batch_size, len(src)),), generator=g)
        flip = torch.rand(len(idx), generator=g) < 0.5
        x, y, p, c, d = src[idx], dst[idx], planes[idx], cond[idx], disp[idx]
        if flip.any():  # a mirrored face shows its AUs on the other side, and moves the other way in x
            a = len(pairs.aus)
            x[flip], y[flip], p[flip] = x[flip].flip(3), y[flip].flip(3), p[flip].flip(3)
            c[flip] = torch.cat([c[flip][:, a:], c[flip][:, :a]], dim=1)
            d[flip] = d[flip].flip(3) * torch.tensor([-1.0, 1.0])[None, :, None, None]
        fake, shift, attention, _ = net(x, p, c)

        d_loss = critic_step(critic, opt_d, y, fake, c, LAMBDA_AU)

        opt_g.zero_grad()
        score, au = critic(fake)
        l1 = (fake - y).abs().mean()
        g_loss = (LAMBDA_RECONSTRUCTION * l1 + LAMBDA_DISPLACEMENT * (shift - d).abs().mean()
                  + LAMBDA_ADVERSARIAL * ((score - 1) ** 2).mean() + LAMBDA_AU * F.mse_loss(au, c)
                  + LAMBDA_ATTENTION * attention.mean() + LAMBDA_ATTENTION_TV * total_variation(attention))
        g_loss.backward()
        opt_g.step()
        if step % 100 == 0 or step == steps - 1:
            record = {"step": step, "l1": l1.item(), "l1_copy": (x - y).abs().mean().item(),
                      "displacement_l1": (shift - d).abs().mean().item(), "d_loss": d_loss.item()}
            history.append(record)
            if log:
                log(record)
    net.eval()
    return LearnedAUAnimator(net, pairs.aus, src.shape[-1], width, guided, history=history)
