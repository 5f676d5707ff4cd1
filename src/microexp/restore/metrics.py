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
#: Images scored at once by :func:`image_quality` (bounds its memory: 64 faces of 128×128×3).
_CHUNK = 64


#: Constants of both windows: data range 1, K1 = 0.01, K2 = 0.03.
_C1, _C2 = 0.01 ** 2, 0.03 ** 2
#: Window half-widths: 7×7 uniform; Gaussian σ = 1.5 truncated at 3.5 σ (an 11×11 window).
_PAD = {"uniform": 3, "gaussian": 5}


def _check_window(window: str) -> None:
    if window not in SSIM_WINDOWS:
        raise ValueError(f"unknown SSIM window {window!r}; known: {', '.join(SSIM_WINDOWS)}")


def ssim_maps(references: np.ndarray, estimates: np.ndarray, window: str = "uniform") -> np.ndarray:
    """SSIM maps ``(N, H, W, C)`` of two stacks of images in [0, 1] (``(N, H, W)`` or
    ``(N, H, W, C)`` float64), every image and channel filtered at once.

    The same figures as scikit-image's ``structural_similarity`` per image and channel (the
    tests check it): ``uniform`` is its 7×7 window with sample covariance, ``gaussian`` its
    ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``; both reflect at the border.
    """
    from scipy import ndimage

    _check_window(window)
    a, b = np.asarray(references, np.float64), np.asarray(estimates, np.float64)
    if a.ndim == 3:
        a, b = a[..., None], b[..., None]
    if window == "gaussian":
        def blur(x):
            return ndimage.gaussian_filter(x, sigma=(0, 1.5, 1.5, 0), mode="reflect", truncate=3.5)
        cov_norm = 1.0
    else:
        def blur(x):
            return ndimage.uniform_filter(x, size=(1, 7, 7, 1))
        cov_norm = 49.0 / 48.0
    ux, uy = blur(a), blur(b)
    vx = cov_norm * (blur(a * a) - ux * ux)
    vy = cov_norm * (blur(b * b) - uy * uy)
    vxy = cov_norm * (blur(a * b) - ux * uy)
    return ((2 * ux * uy + _C1) * (2 * vxy + _C2)) / ((ux ** 2 + uy ** 2 + _C1) * (vx + vy + _C2))


def _mean_ssim(maps: np.ndarray, window: str) -> np.ndarray:
    """Per-image mean of SSIM maps ``(N, H, W, C)``, the window's half-width cut off every border."""
    p = _PAD[window]
    return maps[:, p:-p, p:-p].mean(axis=(1, 2, 3), dtype=np.float64)


def ssim(reference: np.ndarray, estimate: np.ndarray, window: str = "uniform") -> float:
    """Mean SSIM of two images (``(H, W)`` or ``(H, W, C)``), per channel then averaged."""
    _check_window(window)
    a, b = to_unit(reference), to_unit(estimate)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    if min(a.shape[:2]) < 2 * _PAD[window] + 1:
        raise ValueError(f"images of {a.shape[0]}×{a.shape[1]} pixels are smaller than the {window} SSIM window")
    return float(_mean_ssim(ssim_maps(a[None], b[None], window), window)[0])


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
    a, b, mask = _masked_pair(reference, estimate, mask)
    full = ssim_maps(a[None], b[None], "uniform")[0].mean(axis=2)
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
    for start in range(0, len(references), _CHUNK):
        refs = np.stack([to_unit(r) for r in references[start:start + _CHUNK]])
        ests = np.stack([to_unit(e) for e in estimates[start:start + _CHUNK]])
        if refs.shape != ests.shape:
            raise ValueError(f"shape mismatch: {refs.shape[1:]} vs {ests.shape[1:]}")
        sq = (refs - ests) ** 2
        m = sq.reshape(len(sq), -1).mean(axis=1)
        out["mse"].extend(m.tolist())
        out["psnr"].extend(psnr_from_mse(float(v)) for v in m)
        uniform = ssim_maps(refs, ests, "uniform")
        out["ssim"].extend(_mean_ssim(uniform, "uniform").tolist())
        out["ssim_gauss"].extend(_mean_ssim(ssim_maps(refs, ests, "gaussian"), "gaussian").tolist())
        if region_masks is not None:
            masks = np.asarray(region_masks[start:start + _CHUNK], bool)
            if masks.shape != refs.shape[:3]:
                raise ValueError(f"shape mismatch: images {refs.shape[1:3]}, masks {masks.shape[1:]}")
            if not masks.reshape(len(masks), -1).any(axis=1).all():
                raise ValueError("empty region mask")
            per_pixel = sq.mean(axis=3) if sq.ndim == 4 else sq
            uniform = uniform.mean(axis=3)
            for k, mask in enumerate(masks):
                out["psnr_regions"].append(psnr_from_mse(float(per_pixel[k][mask].mean())))
                out["ssim_regions"].append(float(uniform[k][mask].mean()))
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
