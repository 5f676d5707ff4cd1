"""Restoring low-resolution faces: paper 000's degradation (128 → 32) and ×4 super-resolution with
ESRGAN / SRGAN generators, plus the image-quality metrics of its table 1.

A stage of its own, not training-data augmentation: the same generators also restore faces at test
time, before motion is computed.
"""
from .config import SRConfig, build_generator, generator_bytes, load_generator
from .degradation import (BLUR_KSIZE, HR_SIZE, LR_SIZE, MEDIAN_KSIZE, MEDIAN_PROB, SCALE, bicubic_upscale,
                          degrade, make_pairs, median_chance, resize_face)
from .metrics import image_quality, mse, psnr, psnr_from_mse, ssim, summarise_quality
from .training import PatchSampler, train_super_resolution
from .upscale import comparison_grid, upscale_bicubic, upscale_with

__all__ = [
    "SRConfig", "build_generator", "generator_bytes", "load_generator",
    "BLUR_KSIZE", "HR_SIZE", "LR_SIZE", "MEDIAN_KSIZE", "MEDIAN_PROB", "SCALE",
    "bicubic_upscale", "degrade", "make_pairs", "median_chance", "resize_face",
    "image_quality", "mse", "psnr", "psnr_from_mse", "ssim", "summarise_quality",
    "PatchSampler", "train_super_resolution",
    "comparison_grid", "upscale_bicubic", "upscale_with",
]
