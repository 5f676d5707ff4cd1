"""Two-phase ESRGAN training on HR/LR face pairs: L1 pre-training (the PSNR-oriented model), then
adversarial fine-tuning with a relativistic average discriminator (Wang et al., ECCV-W 2018).

Work is cut into "epochs" of ``iters_per_epoch`` iterations; after each, an atomic checkpoint
(``checkpoint.pt``) and a sample grid (``samples/<phase>_epoch<k>.png``) are written, so a killed
run resumes where it stopped. Outputs: ``generator_psnr.pt`` after phase 1, ``generator_gan.pt``
after phase 2, ``history.json`` with the mean losses of every epoch, ``config.json`` /
``config.yaml`` with the settings.

A checkpoint holds tensors and plain values only (read with ``torch.load(weights_only=True)``) and
records what it was trained from: the settings, a digest of the training data and the microexp
version. It is resumed only when all three are unchanged.
"""
from __future__ import annotations

import hashlib
import io
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from ..errors import ConfigError, DataError
from ..identity import package_version
from ..io import atomic_write_bytes, atomic_write_image, atomic_write_json, atomic_write_text
from .config import SRConfig, build_generator, generator_bytes
from .degradation import median_chance
from .discriminator import VGGStyleDiscriminator, feature_matching_loss, relativistic_d_loss, relativistic_g_loss
from .upscale import comparison_grid, to_tensor, upscale_bicubic, upscale_with


class PatchSampler:
    """Random aligned (LR, HR) patch batches with the 8 flips/transpositions.

    ``hr``: ``(N, H, W, C)`` uint8; ``lr``: ``(N, V, H/s, W/s, C)`` uint8 (V degradations per face);
    ``masks``: optional ``(N, H, W)`` bool landmark-region masks, cut out with the HR patch.
    ``positions``: the LR patch gets two more planes, the ``(x, y)`` in [-1, 1] of the face pixels it
    was cut from (see :func:`microexp.restore.efficient.position_grid`), flipped with it.
    One batch is gathered with a single fancy index per array (flips and transpositions folded into
    the index grids), not a Python loop over its patches.
    """

    def __init__(self, hr: np.ndarray, lr: np.ndarray, scale: int, patch_lr: int, rng: np.random.Generator,
                 masks: np.ndarray | None = None, positions: bool = False):
        self.hr, self.lr, self.scale, self.rng = hr, lr, scale, rng
        self.positions = None
        if positions:
            from .efficient import position_grid

            self.positions = position_grid(lr.shape[2], lr.shape[3])[0].permute(1, 2, 0).numpy()
        self.masks = None if masks is None else np.asarray(masks, bool)
        if self.masks is not None and self.masks.shape != hr.shape[:3]:
            raise ValueError(f"masks must have shape {hr.shape[:3]}, got {self.masks.shape}")
        self.patch_lr = min(patch_lr, lr.shape[2], lr.shape[3])

    @staticmethod
    def _grids(y, x, size, flip_v, flip_h, transpose):
        """Row and column index grids ``(B, size, size)`` of each patch, flips and transposition applied."""
        steps = np.arange(size)
        rows = y[:, None] + np.where(flip_v[:, None], size - 1 - steps, steps)
        cols = x[:, None] + np.where(flip_h[:, None], size - 1 - steps, steps)
        t = transpose[:, None, None]
        grid_r = np.where(t, rows[:, None, :], rows[:, :, None])
        grid_c = np.where(t, cols[:, :, None], cols[:, None, :])
        return grid_r, grid_c

    def sample(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        """``(lr, hr)`` float tensors in [0, 1] (``(B, C, p, p)``, ``(B, C, s·p, s·p)``), plus the
        ``(B, 1, s·p, s·p)`` region masks when the sampler has masks."""
        p, s, rng = self.patch_lr, self.scale, self.rng
        n, v, h, w = self.lr.shape[:4]
        i, k = rng.integers(n, size=batch_size), rng.integers(v, size=batch_size)
        y, x = rng.integers(h - p + 1, size=batch_size), rng.integers(w - p + 1, size=batch_size)
        flip_h, flip_v, transpose = (rng.random((3, batch_size)) < 0.5)
        r, c = self._grids(y, x, p, flip_v, flip_h, transpose)
        lr = self.lr[i[:, None, None], k[:, None, None], r, c]
        where = None if self.positions is None else torch.from_numpy(self.positions[r, c]).permute(0, 3, 1, 2)
        r, c = self._grids(y * s, x * s, p * s, flip_v, flip_h, transpose)
        hr = self.hr[i[:, None, None], r, c]
        lr = to_tensor(lr)
        out = (lr if where is None else torch.cat([lr, where], dim=1), to_tensor(hr))
        if self.masks is not None:
            out += (torch.from_numpy(self.masks[i[:, None, None], r, c]).float().unsqueeze(1),)
        return out


def _state_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _cosine_lr(base: float, progress: float) -> float:
    # Cosine decay to 1 % of the base rate: a fixed schedule, no look at any validation data.
    return base * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0))))


def _progress(it: int, total: int, seconds: float, minutes: float | None) -> float:
    """Fraction of the phase done: by iterations, or by wall time when a time cap is set (on a
    shared CPU the cap, not the iteration count, is what bounds the run)."""
    done = it / max(total, 1)
    return max(done, seconds / (60.0 * minutes)) if minutes else done


def _comparable(settings: dict) -> dict:
    return {**settings, "median_prob": median_chance(settings.get("median_prob"))}


def _check_same_config(saved: dict, cfg: SRConfig, ckpt_path: Path) -> None:
    """Refuse to resume a checkpoint trained with other settings (it would mix two runs)."""
    saved, now = _comparable(saved), _comparable(cfg.to_dict())
    differ = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
    if differ:
        detail = ", ".join(f"{k}: {saved.get(k)!r} there, {now.get(k)!r} now" for k in differ)
        raise ConfigError(f"{ckpt_path} was trained with other settings ({detail}); "
                          "use another output folder or the same settings")


def arrays_digest(*arrays: np.ndarray) -> str:
    """SHA-256 of arrays' dtypes, shapes and bytes: the identity of training data given in memory."""
    h = hashlib.sha256()
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _read_checkpoint(ckpt_path: Path) -> dict:
    """The checkpoint's content; a file that is not one (or would need code to unpickle) is a DataError."""
    try:
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"not a readable super-resolution checkpoint ({type(exc).__name__}: {exc}); "
                        "delete it or train into another output folder", ckpt_path) from exc
    needed = ("config", "phase", "iteration", "seconds", "history", "generator", "discriminator", "opt_g",
              "opt_d", "sampler_rng", "torch_rng")
    missing = [k for k in needed if not isinstance(ck, dict) or k not in ck]
    if missing:
        raise DataError(f"not a microexp super-resolution checkpoint (no {', '.join(missing)})", ckpt_path)
    if not isinstance(ck["config"], dict):
        raise DataError("not a microexp super-resolution checkpoint (its config is not a mapping)", ckpt_path)
    return ck


def _check_same_inputs(saved: dict | None, now: dict, ckpt_path: Path) -> None:
    """Refuse to resume a checkpoint trained on other data or by another microexp version."""
    advice = "start a new run in another output folder (a new --out), or pass --fresh to overwrite it"
    if not isinstance(saved, dict) or not {"data", "microexp"} <= set(saved):
        raise ConfigError(f"{ckpt_path} does not record which data it was trained on, so it cannot be "
                          f"resumed safely; {advice}")
    if saved["data"] != now["data"]:
        raise ConfigError(f"{ckpt_path} was trained on other data: the training data changed since it was "
                          f"written (digest {str(saved['data'])[:12]}… there, {now['data'][:12]}… now); "
                          f"resume with the same faces, or {advice}")
    if saved["microexp"] != now["microexp"]:
        raise ConfigError(f"{ckpt_path} was written by microexp {saved['microexp']}, this is {now['microexp']}; "
                          f"{advice}")


def train_super_resolution(hr: np.ndarray, lr: np.ndarray, cfg: SRConfig, out_dir: str | Path, *,
                           preview: int = 4, resume: bool = True, max_minutes: float | None = None,
                           perceptual: torch.nn.Module | None = None, data_digest: str | None = None,
                           region_masks: np.ndarray | None = None, log: Callable[[str], None] = print) -> dict:
    """Train on ``hr`` ``(N, 128, 128, 3)`` / ``lr`` ``(N, V, 32, 32, 3)`` uint8; returns a summary.

    ``perceptual`` overrides the VGG19 loss built from ``cfg.vgg_weights`` (tests pass a small one).
    ``max_minutes`` stops (after a checkpoint) when the wall-clock budget is spent; a later call
    with ``resume=True`` continues, provided the settings, the training data and the microexp
    version are those of the checkpoint (else :class:`ConfigError`). ``data_digest`` names the
    training data (e.g. :func:`microexp.identity.files_digest` of the image files); by default it
    is :func:`arrays_digest` of ``hr`` and ``lr``. Phase 2 is skipped when ``cfg.gan_iters == 0``.

    ``region_masks`` ``(N, 128, 128)`` bool (e.g. :func:`microexp.restore.regions.region_masks`)
    mark the landmark regions that ``cfg.region_weight`` weighs up in the pixel loss; they are part
    of the training data's identity. Phase 1 ends with ``cfg.l2_fraction`` of its iterations on
    MSE; with ``cfg.ema_decay`` the PSNR model (and the start of phase 2) is the moving average.
    """
    if cfg.region_weight > 0 and region_masks is None:
        raise ConfigError("region_weight > 0 needs region masks of the training faces (region_masks=...)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    gen = build_generator(cfg)
    disc = VGGStyleDiscriminator(n_features=cfg.d_features)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.pretrain_lr, betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.gan_lr, betas=(0.9, 0.99))
    state = {"phase": "pretrain", "iteration": 0, "seconds": 0.0, "history": []}
    masks = region_masks if cfg.region_weight > 0 else None
    sampler = PatchSampler(hr, lr, cfg.scale, cfg.patch_lr, np.random.default_rng(cfg.seed), masks=masks,
                           positions=cfg.position)
    ema = _EMA(gen, cfg.ema_decay) if cfg.ema_decay > 0 else None
    if cfg.channels_last:
        gen = gen.to(memory_format=torch.channels_last)
    ckpt_path = out_dir / "checkpoint.pt"
    digest = data_digest or arrays_digest(hr, lr)
    if masks is not None:
        digest = hashlib.sha256((digest + arrays_digest(masks)).encode()).hexdigest()
    identity = {"data": digest, "microexp": package_version()}
    if resume and ckpt_path.is_file():
        ck = _read_checkpoint(ckpt_path)
        _check_same_config(ck["config"], cfg, ckpt_path)
        _check_same_inputs(ck.get("identity"), identity, ckpt_path)
        gen.load_state_dict(ck["generator"])
        disc.load_state_dict(ck["discriminator"])
        opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        state = {"phase": ck["phase"], "iteration": ck["iteration"], "seconds": ck["seconds"],
                 "history": ck["history"]}
        sampler.rng.bit_generator.state = ck["sampler_rng"]
        torch.set_rng_state(ck["torch_rng"])
        if ema is not None:
            ema.load_state_dict(ck.get("ema") or {}, ckpt_path)
        log(f"resumed at {state['phase']} iteration {state['iteration']}")
    # Written only once the checkpoint (if any) is known to belong to this run.
    atomic_write_json(out_dir / "config.json", cfg.to_dict())
    atomic_write_text(out_dir / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    if perceptual is None and cfg.vgg_weights:
        from .perceptual import PerceptualLoss

        perceptual = PerceptualLoss(cfg.vgg_weights)

    preview_idx = np.linspace(0, len(hr) - 1, min(preview, len(hr))).astype(int)
    started = time.monotonic()

    def checkpoint():
        atomic_write_bytes(ckpt_path, _state_bytes({
            "config": cfg.to_dict(), "identity": identity, "phase": state["phase"], "iteration": state["iteration"],
            "seconds": state["seconds"], "history": state["history"],
            "generator": gen.state_dict(), "discriminator": disc.state_dict(),
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
            "sampler_rng": sampler.rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
            "ema": ema.state_dict() if ema is not None else {}}))

    def sample_grid(epoch: int):
        lr0 = lr[preview_idx, 0]
        grid = comparison_grid([lr0, upscale_bicubic(lr0, cfg.scale), upscale_with(gen, lr0), hr[preview_idx]])
        atomic_write_image(out_dir / "samples" / f"{state['phase']}_epoch{epoch:03d}.png", grid)

    def out_of_time() -> bool:
        return max_minutes is not None and (time.monotonic() - started) / 60.0 >= max_minutes

    phases = [("pretrain", cfg.pretrain_iters, cfg.pretrain_minutes)]
    if cfg.gan_iters > 0:
        phases.append(("gan", cfg.gan_iters, cfg.gan_minutes))
    for phase, total, minutes in phases:
        if state["phase"] == "done" or (phase == "pretrain" and state["phase"] == "gan"):
            continue
        gen.train()
        disc.train()
        sums: dict[str, float] = {}
        tick = time.monotonic()
        while True:
            it = state["iteration"]
            state["seconds"] += time.monotonic() - tick
            tick = time.monotonic()
            progress = _progress(it, total, state["seconds"], minutes)
            if progress >= 1.0:
                break
            lr_b, hr_b, *mask_b = sampler.sample(cfg.batch_size)
            if cfg.channels_last:
                lr_b, hr_b = (t.contiguous(memory_format=torch.channels_last) for t in (lr_b, hr_b))
            if phase == "pretrain":
                for group in opt_g.param_groups:
                    group["lr"] = _cosine_lr(cfg.pretrain_lr, progress)
                squared = progress >= 1.0 - cfg.l2_fraction and cfg.l2_fraction > 0
                weights = 1.0 + cfg.region_weight * mask_b[0] if mask_b else None
                loss = pixel_loss(gen(lr_b), hr_b, squared=squared, weights=weights)
                opt_g.zero_grad(set_to_none=True)
                loss.backward()
                opt_g.step()
                if ema is not None:
                    ema.update(gen)
                losses = {"l2" if squared else "l1": loss.item()}
            else:
                losses = _gan_step(gen, disc, opt_g, opt_d, lr_b, hr_b, cfg, perceptual)
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v
            state["iteration"] = it + 1
            last = _progress(state["iteration"], total, state["seconds"] + time.monotonic() - tick, minutes) >= 1.0
            if state["iteration"] % cfg.iters_per_epoch == 0 or last:
                epoch = math.ceil(state["iteration"] / cfg.iters_per_epoch)
                n = (state["iteration"] - 1) % cfg.iters_per_epoch + 1
                record = {"phase": phase, "epoch": epoch, "iteration": state["iteration"],
                          "minutes": round((state["seconds"] + time.monotonic() - tick) / 60.0, 3),
                          **{k: v / n for k, v in sums.items()}}
                state["history"].append(record)
                log(" ".join(f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()))
                sums = {}
                sample_grid(epoch)
                checkpoint()
                atomic_write_json(out_dir / "history.json", state["history"])
                if out_of_time() and not last:
                    log(f"time budget of {max_minutes} min spent; resume to continue")
                    return {"finished": False, **state}
        if phase == "pretrain" and ema is not None:
            ema.copy_to(gen)  # the PSNR model is the average; phase 2 starts from it
        name = "generator_psnr.pt" if phase == "pretrain" else "generator_gan.pt"
        atomic_write_bytes(out_dir / name, generator_bytes(gen, cfg))
        if phase == "pretrain":
            # ESRGAN initialises the GAN phase from the PSNR model, with a fresh optimiser.
            opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.gan_lr, betas=(0.9, 0.99))
        state.update(phase="gan" if phase == "pretrain" else "done", iteration=0, seconds=0.0)
        checkpoint()
    state["phase"] = "done"
    return {"finished": True, **state}


def pixel_loss(output: torch.Tensor, target: torch.Tensor, *, squared: bool = False,
               weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute (or squared) error; with ``weights`` (broadcast over channels) a weighted mean."""
    err = (output - target).abs() if not squared else (output - target) ** 2
    if weights is None:
        return err.mean()
    weights = weights.expand_as(err)
    return (err * weights).sum() / weights.sum()


class _EMA:
    """Exponential moving average of a module's floating-point state, with the usual warm-up
    (decay ``min(decay, (1 + t) / (10 + t))`` at update ``t``)."""

    def __init__(self, module: torch.nn.Module, decay: float):
        self.decay, self.updates = decay, 0
        self.shadow = {k: v.detach().clone() for k, v in module.state_dict().items()}

    @torch.no_grad()
    def update(self, module: torch.nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        for k, v in module.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1.0 - d)
            else:
                self.shadow[k].copy_(v)

    def copy_to(self, module: torch.nn.Module) -> None:
        module.load_state_dict(self.shadow)

    def state_dict(self) -> dict:
        return {"updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, state: dict, source) -> None:
        if not isinstance(state, dict) or set(state) != {"updates", "shadow"}:
            raise DataError("the checkpoint has no moving average of the weights, which its settings ask for",
                            source)
        self.updates = int(state["updates"])
        self.shadow = {k: v.clone() for k, v in state["shadow"].items()}


def _gan_step(gen, disc, opt_g, opt_d, lr_b, hr_b, cfg: SRConfig, perceptual) -> dict[str, float]:
    fake = gen(lr_b)
    # generator: pixel + perceptual (VGG19 or discriminator feature matching) + relativistic adversarial
    for p in disc.parameters():
        p.requires_grad_(False)
    real_logits, real_feats = disc(hr_b, return_features=True)
    fake_logits, fake_feats = disc(fake, return_features=True)
    pixel = F.l1_loss(fake, hr_b)
    percep = perceptual(fake, hr_b) if perceptual is not None else feature_matching_loss(real_feats, fake_feats)
    adv = relativistic_g_loss(real_logits.detach(), fake_logits)
    loss_g = cfg.pixel_weight * pixel + cfg.perceptual_weight * percep + cfg.adversarial_weight * adv
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    # discriminator
    for p in disc.parameters():
        p.requires_grad_(True)
    loss_d = relativistic_d_loss(disc(hr_b), disc(fake.detach()))
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    return {"l1": pixel.item(), "perceptual": percep.item(), "g_adv": adv.item(), "d": loss_d.item()}
