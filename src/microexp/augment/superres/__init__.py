"""Super-resolution of low-resolution micro-expression faces (paper 000: degrade 128 → 32, then
×4 super-resolution with ESRGAN), plus the image-quality metrics of its table 1."""
from .config import SRConfig, build_generator, generator_bytes, load_generator
from .degradation import bicubic_upscale, degrade, make_pairs, resize_face
from .metrics import image_quality, mse, psnr, psnr_from_mse, ssim, summarise_quality
from .training import PatchSampler, train_super_resolution
from .upscale import comparison_grid, upscale_bicubic, upscale_with

__all__ = [
    "SRConfig", "build_generator", "generator_bytes", "load_generator",
    "bicubic_upscale", "degrade", "make_pairs", "resize_face",
    "image_quality", "mse", "psnr", "psnr_from_mse", "ssim", "summarise_quality",
    "PatchSampler", "train_super_resolution",
    "comparison_grid", "upscale_bicubic", "upscale_with",
]
