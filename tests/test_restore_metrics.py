"""PSNR / SSIM / MSE against hand-computed cases, and the degradation's shapes."""
from __future__ import annotations

import math

import numpy as np
import pytest

from microexp.restore import degrade, image_quality, mse, psnr, psnr_from_mse, ssim, summarise_quality, upscale_bicubic


def test_psnr_of_known_mse():
    ref = np.zeros((8, 8), np.float64)
    est = np.full((8, 8), 0.1)
    assert mse(ref, est) == pytest.approx(0.01)
    assert psnr(ref, est) == pytest.approx(20.0)  # 10 log10(1 / 0.01)
    assert psnr_from_mse(0.000865) == pytest.approx(30.63, abs=0.01)
    assert psnr(ref, ref) == math.inf


def test_uint8_images_are_scaled_to_unit_range():
    ref = np.zeros((4, 4, 3), np.uint8)
    est = np.full((4, 4, 3), 51, np.uint8)  # 51 / 255 = 0.2
    assert mse(ref, est) == pytest.approx(0.04)
    assert psnr(ref, est) == pytest.approx(10 * math.log10(25))


def test_ssim_identity_and_constant_offset():
    rng = np.random.default_rng(0)
    img = rng.random((32, 32, 3))
    assert ssim(img, img) == pytest.approx(1.0)
    # a constant image against a shifted constant: SSIM reduces to the luminance term
    a, b = np.full((16, 16), 0.5), np.full((16, 16), 0.6)
    c1 = (0.01 * 1.0) ** 2
    assert ssim(a, b) == pytest.approx((2 * 0.5 * 0.6 + c1) / (0.5 ** 2 + 0.6 ** 2 + c1), rel=1e-6)
    assert ssim(img, np.clip(img + rng.normal(0, 0.2, img.shape), 0, 1)) < 0.9
    for window in ("uniform", "gaussian"):
        assert ssim(a, b, window) == pytest.approx((2 * 0.5 * 0.6 + c1) / (0.5 ** 2 + 0.6 ** 2 + c1), rel=1e-6)
    with pytest.raises(ValueError, match="window"):
        ssim(img, img, "box")


def test_uniform_ssim_is_one_7x7_window_with_sample_statistics():
    # on a 7×7 image the uniform window covers the whole image exactly once
    rng = np.random.default_rng(1)
    x, y = rng.random((7, 7)), rng.random((7, 7))
    n = x.size
    mx, my = x.mean(), y.mean()
    vx, vy = x.var() * n / (n - 1), y.var() * n / (n - 1)
    cxy = np.sum((x - mx) * (y - my)) / (n - 1)
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    expected = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    assert ssim(x, y) == pytest.approx(expected, rel=1e-9)
    # the Gaussian window (Wang et al.'s settings) is a different figure on the same pair
    big_x, big_y = rng.random((32, 32)), rng.random((32, 32))
    assert abs(ssim(big_x, big_y, "gaussian") - ssim(big_x, big_y)) > 1e-4


def test_image_quality_is_averaged_per_image_and_per_group():
    refs = np.zeros((2, 16, 16))
    ests = np.stack([np.full((16, 16), 0.1), np.full((16, 16), 0.01)])
    q = image_quality(refs, ests)
    assert q["psnr"].tolist() == pytest.approx([20.0, 40.0])
    summary = summarise_quality(q, groups=["a", "b"])
    assert summary["psnr"] == pytest.approx(30.0)  # mean of per-image PSNR, not PSNR of pooled MSE
    assert summary["per_group"]["b"]["mse"] == pytest.approx(1e-4)
    with pytest.raises(ValueError):
        image_quality(refs, ests[:1])


def test_degrade_and_bicubic_shapes():
    rng = np.random.default_rng(0)
    face = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    lr = degrade(face, seed=3)
    assert lr.shape == (32, 32, 3) and lr.dtype == np.uint8
    assert np.array_equal(lr, degrade(face, seed=3))  # seeded: reproducible
    assert upscale_bicubic(lr[None]).shape == (1, 128, 128, 3)


def test_batched_ssim_is_scikit_images_per_image_and_channel():
    """The stacked SSIM maps give scikit-image's figures, image by image, for both windows, and
    image_quality's region SSIM is the mean of that map over the mask."""
    from skimage.metrics import structural_similarity

    from microexp.restore.metrics import region_ssim, ssim_maps

    rng = np.random.default_rng(4)
    refs = rng.random((5, 40, 36, 3))
    ests = np.clip(refs + rng.normal(0, 0.1, refs.shape) * rng.random((5, 1, 1, 1)), 0, 1)
    masks = rng.random((5, 40, 36)) < 0.3
    q = image_quality(refs, ests, masks)
    for i in range(5):
        uniform = structural_similarity(refs[i], ests[i], data_range=1.0, win_size=7, channel_axis=-1)
        gauss = structural_similarity(refs[i], ests[i], data_range=1.0, gaussian_weights=True, sigma=1.5,
                                      use_sample_covariance=False, channel_axis=-1)
        _, full = structural_similarity(refs[i], ests[i], data_range=1.0, win_size=7, channel_axis=-1, full=True)
        assert q["ssim"][i] == pytest.approx(uniform, abs=1e-12)
        assert q["ssim_gauss"][i] == pytest.approx(gauss, abs=1e-12)
        assert q["ssim_regions"][i] == pytest.approx(full.mean(axis=2)[masks[i]].mean(), abs=1e-12)
        assert region_ssim(refs[i], ests[i], masks[i]) == pytest.approx(q["ssim_regions"][i], abs=1e-12)
        assert q["psnr_regions"][i] == pytest.approx(
            psnr_from_mse(float(np.mean((refs[i][masks[i]] - ests[i][masks[i]]) ** 2))), abs=1e-9)
        assert ssim(refs[i, ..., 0], ests[i, ..., 0]) == pytest.approx(
            structural_similarity(refs[i, ..., 0], ests[i, ..., 0], data_range=1.0, win_size=7), abs=1e-12)
    assert ssim_maps(refs, ests).shape == refs.shape
    # scored in chunks: a stack longer than one chunk gives the same per-image figures
    import microexp.restore.metrics as metrics
    long = image_quality(np.concatenate([refs] * 14), np.concatenate([ests] * 14))
    assert len(long["ssim"]) == 70 and np.allclose(long["ssim"][65:], q["ssim"], atol=1e-12)
    assert metrics._CHUNK < 70
    with pytest.raises(ValueError, match="smaller than"):
        ssim(refs[0, :8, :8], ests[0, :8, :8], "gaussian")
    with pytest.raises(ValueError, match="empty region mask"):
        image_quality(refs[:1], ests[:1], np.zeros((1, 40, 36), bool))
