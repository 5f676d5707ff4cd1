"""Image-quality figures of paper 000's table 1: PSNR, SSIM and MSE on [0, 1] images.

Each is computed per image and then averaged over images (not over pooled pixels).
SSIM is computed per RGB channel and averaged over channels, data range 1, K1 = 0.01, K2 = 0.03,
with one of two windows — published SSIM figures differ by which one they used:

- ``"uniform"`` (the default): a 7×7 uniform window with sample covariance, scikit-image's
  default settings (``structural_similarity(a, b, data_range=1, channel_axis=-1)``). Bicubic ×4
  on the composite's faces scores 0.9095 with it (the benchmark's reference level for
  bicubic on these faces is about 0.908).
- ``"gaussian"``: the 11×11 Gaussian window of σ = 1.5 with population covariance of Wang et al.
  (2004) and of MATLAB's ``ssim`` (``gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False``). It reads about 0.01 lower on these faces (bicubic 0.898).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def to_unit(image: np.ndarray) -> np.ndarray:
    """uint8 (0..255) or float (already 0..1) → float64 in [0, 1]."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255.0
    return np.clip(image.astype(np.float64), 0.0, 1.0)


def mse(reference: np.ndarray, estimate: np.ndarray) -> float:
    a, b = to_unit(reference), to_unit(estimate)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    return float(np.mean((a - b) ** 2))


def psnr_from_mse(value: float) -> float:
    """PSNR in dB for a peak of 1: ``10 log10(1 / MSE)``; ``inf`` for identical images."""
    return math.inf if value == 0 else 10.0 * math.log10(1.0 / value)


def psnr(reference: np.ndarray, estimate: np.ndarray) -> float:
    return psnr_from_mse(mse(reference, estimate))


SSIM_WINDOWS = ("uniform", "gaussian")


def ssim(reference: np.ndarray, estimate: np.ndarray, window: str = "uniform") -> float:
    """Mean SSIM of two images (``(H, W)`` or ``(H, W, C)``), per channel then averaged."""
    from skimage.metrics import structural_similarity

    if window not in SSIM_WINDOWS:
        raise ValueError(f"unknown SSIM window {window!r}; known: {', '.join(SSIM_WINDOWS)}")
    a, b = to_unit(reference), to_unit(estimate)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    channel_axis = -1 if a.ndim == 3 else None
    if window == "gaussian":
        return float(structural_similarity(a, b, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                           use_sample_covariance=False, channel_axis=channel_axis))
    return float(structural_similarity(a, b, data_range=1.0, win_size=7, channel_axis=channel_axis))


def _masked_pair(reference: np.ndarray, estimate: np.ndarray, mask: np.ndarray):
    """Both images in [0, 1] and the bool mask, checked to match and the mask to be non-empty."""
    a, b, mask = to_unit(reference), to_unit(estimate), np.asarray(mask, bool)
    if a.shape != b.shape or mask.shape != a.shape[:2]:
        raise ValueError(f"shape mismatch: {a.shape}, {b.shape}, mask {mask.shape}")
    if not mask.any():
        raise ValueError("empty region mask")
    return a, b, mask


def region_psnr(reference: np.ndarray, estimate: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the pixels where ``mask`` ``(H, W)`` is True (all channels)."""
    a, b, mask = _masked_pair(reference, estimate, mask)
    return psnr_from_mse(float(np.mean((a[mask] - b[mask]) ** 2)))


def region_ssim(reference: np.ndarray, estimate: np.ndarray, mask: np.ndarray) -> float:
    """Mean of the SSIM map (uniform 7×7 window, channels averaged) over the pixels of ``mask``."""
    from skimage.metrics import structural_similarity

    a, b, mask = _masked_pair(reference, estimate, mask)
    channel_axis = -1 if a.ndim == 3 else None
    _, full = structural_similarity(a, b, data_range=1.0, win_size=7, channel_axis=channel_axis, full=True)
    if full.ndim == 3:
        full = full.mean(axis=2)
    return float(full[mask].mean())


def image_quality(references: np.ndarray, estimates: np.ndarray,
                  region_masks: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-image ``psnr``, ``ssim`` (uniform window), ``ssim_gauss`` (Gaussian window), ``mse``
    arrays for two aligned stacks ``(N, H, W[, C])``; with ``region_masks`` ``(N, H, W)`` also
    ``psnr_regions`` and ``ssim_regions`` over each face's masked pixels (brows, eyes, mouth)."""
    if len(references) != len(estimates):
        raise ValueError(f"{len(references)} references but {len(estimates)} estimates")
    if region_masks is not None and len(region_masks) != len(references):
        raise ValueError(f"{len(references)} references but {len(region_masks)} region masks")
    out = {"psnr": [], "ssim": [], "ssim_gauss": [], "mse": []}
    if region_masks is not None:
        out.update(psnr_regions=[], ssim_regions=[])
    for i, (ref, est) in enumerate(zip(references, estimates)):
        m = mse(ref, est)
        out["mse"].append(m)
        out["psnr"].append(psnr_from_mse(m))
        out["ssim"].append(ssim(ref, est, "uniform"))
        out["ssim_gauss"].append(ssim(ref, est, "gaussian"))
        if region_masks is not None:
            out["psnr_regions"].append(region_psnr(ref, est, region_masks[i]))
            out["ssim_regions"].append(region_ssim(ref, est, region_masks[i]))
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def summarise_quality(per_image: dict[str, np.ndarray], groups: Sequence[str] | None = None) -> dict:
    """Means over images, overall and (when ``groups`` is given, e.g. source database) per group."""
    summary = {"n": int(len(per_image["psnr"])), **{k: float(np.mean(v)) for k, v in per_image.items()}}
    if groups is not None:
        groups = np.asarray(groups)
        summary["per_group"] = {
            str(g): {"n": int(np.sum(groups == g)), **{k: float(np.mean(v[groups == g])) for k, v in per_image.items()}}
            for g in sorted(set(groups.tolist()))
        }
    return summary
