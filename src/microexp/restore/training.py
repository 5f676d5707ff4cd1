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

    ``hr``: ``(N, H, W, C)`` uint8; ``lr``: ``(N, V, H/s, W/s, C)`` uint8 (V degradations per face).
    """

    def __init__(self, hr: np.ndarray, lr: np.ndarray, scale: int, patch_lr: int, rng: np.random.Generator):
        self.hr, self.lr, self.scale, self.rng = hr, lr, scale, rng
        self.patch_lr = min(patch_lr, lr.shape[2], lr.shape[3])

    def sample(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        p, s, rng = self.patch_lr, self.scale, self.rng
        n, v, h, w = self.lr.shape[:4]
        lrs, hrs = [], []
        for _ in range(batch_size):
            i, k = rng.integers(n), rng.integers(v)
            y, x = rng.integers(h - p + 1), rng.integers(w - p + 1)
            lr = self.lr[i, k, y:y + p, x:x + p]
            hr = self.hr[i, y * s:(y + p) * s, x * s:(x + p) * s]
            if rng.random() < 0.5:
                lr, hr = lr[:, ::-1], hr[:, ::-1]
            if rng.random() < 0.5:
                lr, hr = lr[::-1], hr[::-1]
            if rng.random() < 0.5:
                lr, hr = lr.transpose(1, 0, 2), hr.transpose(1, 0, 2)
            lrs.append(lr)
            hrs.append(hr)
        return to_tensor(np.stack(lrs)), to_tensor(np.stack(hrs))


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
                           log: Callable[[str], None] = print) -> dict:
    """Train on ``hr`` ``(N, 128, 128, 3)`` / ``lr`` ``(N, V, 32, 32, 3)`` uint8; returns a summary.

    ``perceptual`` overrides the VGG19 loss built from ``cfg.vgg_weights`` (tests pass a small one).
    ``max_minutes`` stops (after a checkpoint) when the wall-clock budget is spent; a later call
    with ``resume=True`` continues, provided the settings, the training data and the microexp
    version are those of the checkpoint (else :class:`ConfigError`). ``data_digest`` names the
    training data (e.g. :func:`microexp.identity.files_digest` of the image files); by default it
    is :func:`arrays_digest` of ``hr`` and ``lr``. Phase 2 is skipped when ``cfg.gan_iters == 0``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    gen = build_generator(cfg)
    disc = VGGStyleDiscriminator(n_features=cfg.d_features)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.pretrain_lr, betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.gan_lr, betas=(0.9, 0.99))
    state = {"phase": "pretrain", "iteration": 0, "seconds": 0.0, "history": []}
    sampler = PatchSampler(hr, lr, cfg.scale, cfg.patch_lr, np.random.default_rng(cfg.seed))
    ckpt_path = out_dir / "checkpoint.pt"
    identity = {"data": data_digest or arrays_digest(hr, lr), "microexp": package_version()}
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
            "sampler_rng": sampler.rng.bit_generator.state, "torch_rng": torch.get_rng_state()}))

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
            lr_b, hr_b = sampler.sample(cfg.batch_size)
            if phase == "pretrain":
                for group in opt_g.param_groups:
                    group["lr"] = _cosine_lr(cfg.pretrain_lr, progress)
                loss = F.l1_loss(gen(lr_b), hr_b)
                opt_g.zero_grad(set_to_none=True)
                loss.backward()
                opt_g.step()
                losses = {"l1": loss.item()}
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
        name = "generator_psnr.pt" if phase == "pretrain" else "generator_gan.pt"
        atomic_write_bytes(out_dir / name, generator_bytes(gen, cfg))
        if phase == "pretrain":
            # ESRGAN initialises the GAN phase from the PSNR model, with a fresh optimiser.
            opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.gan_lr, betas=(0.9, 0.99))
        state.update(phase="gan" if phase == "pretrain" else "done", iteration=0, seconds=0.0)
        checkpoint()
    state["phase"] = "done"
    return {"finished": True, **state}


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
