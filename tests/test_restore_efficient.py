"""The efficient generator, the one-gather patch sampler, region masks and metrics, the new training
options (MSE tail, weight averaging, region weighting), and the cost counters."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from microexp.errors import ConfigError, DataError
from microexp.restore import SRConfig, build_generator, load_generator, train_super_resolution
from microexp.restore.complexity import conv_macs, parameter_count
from microexp.restore.efficient import RLFNet
from microexp.restore.metrics import image_quality, psnr, region_psnr, region_ssim
from microexp.restore.regions import REGION_ROIS, region_mask
from microexp.restore.training import PatchSampler, pixel_loss
from test_restore_training import TINY, _faces

torch.set_num_threads(1)

RLFN_TINY = dict(TINY, arch="rlfn", n_features=8, n_blocks=1, esa_channels=4, gan_iters=0)


@pytest.mark.parametrize("unshuffle", [False, True])
def test_rlfn_output_shape_and_it_starts_as_bicubic(unshuffle):
    net = RLFNet(n_features=8, n_blocks=2, esa_channels=4, unshuffle=unshuffle).eval()
    x = torch.rand(2, 3, 16, 12)
    with torch.no_grad():
        y = net(x)
    assert y.shape == (2, 3, 64, 48)
    assert torch.allclose(y, F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False))


def test_rlfn_refuses_odd_sizes_with_unshuffle_and_bad_settings():
    with pytest.raises(ValueError, match="even input size"):
        RLFNet(n_features=8, n_blocks=1, unshuffle=True)(torch.rand(1, 3, 15, 16))
    with pytest.raises(ValueError, match="scale"):
        RLFNet(scale=5)
    with pytest.raises(ValueError, match="n_blocks"):
        RLFNet(n_blocks=0)


def test_the_config_builds_the_efficient_generator_and_refuses_bad_options():
    gen = build_generator(SRConfig(arch="rlfn", n_features=8, n_blocks=3, unshuffle=True))
    assert isinstance(gen, RLFNet) and len(gen.body) == 3 and gen.unshuffle
    for bad, word in ((dict(l2_fraction=1.5), "l2_fraction"), (dict(ema_decay=1.0), "ema_decay"),
                      (dict(region_weight=-1), "region_weight"), (dict(arch="edsr"), "unknown generator")):
        with pytest.raises(ConfigError, match=word):
            SRConfig.from_dict(bad)


def test_conv_macs_counts_a_known_convolution_and_unshuffle_is_cheaper():
    conv = torch.nn.Conv2d(3, 5, 3, padding=1)
    assert conv_macs(conv, (1, 3, 8, 8)) == 8 * 8 * 5 * 3 * 9
    assert parameter_count(conv) == 5 * 3 * 9 + 5
    plain = RLFNet(n_features=32, n_blocks=4)
    unshuffled = RLFNet(n_features=32, n_blocks=4, unshuffle=True)
    assert conv_macs(unshuffled) < 0.4 * conv_macs(plain)


def _marked_faces(n=4, size=32):
    """HR faces whose pixel values encode (face, row, column), so a patch tells where it came from."""
    hr = np.zeros((n, size, size, 3), np.uint8)
    hr[..., 0] = np.arange(n)[:, None, None] * 40
    hr[..., 1] = np.arange(size)[None, :, None] * 7
    hr[..., 2] = np.arange(size)[None, None, :] * 7
    lr = hr[:, ::4, ::4][:, None]
    return hr, lr


def test_the_gathered_patches_stay_aligned_through_flips_and_transpositions():
    hr, lr = _marked_faces()
    masks = hr[..., 1] > 100
    sampler = PatchSampler(hr, lr, 4, 4, np.random.default_rng(3), masks=masks)
    lr_b, hr_b, mask_b = sampler.sample(64)
    assert lr_b.shape == (64, 3, 4, 4) and hr_b.shape == (64, 3, 16, 16) and mask_b.shape == (64, 1, 16, 16)
    # the same flip/transposition applies to both: the face code matches at every 4th HR pixel
    assert torch.equal(lr_b[:, 0], hr_b[:, 0, ::4, ::4])  # face code
    rows_lr = lr_b[:, 1]
    # each LR pixel's row code equals that of the HR pixel at the same 4×-scaled place, up to the
    # position inside its 4×4 block (flips pick the block's other end)
    blocks = hr_b[:, 1].reshape(64, 4, 4, 4, 4)
    assert torch.all((blocks.amin(dim=(2, 4)) <= rows_lr + 1e-6) & (rows_lr <= blocks.amax(dim=(2, 4)) + 1e-6))
    assert torch.equal(mask_b[:, 0] > 0.5, hr_b[:, 1] > 100 / 255)
    # flips and transpositions were all drawn: row codes vary along columns in some patches
    along_cols = (hr_b[:, 1, 0, 0] != hr_b[:, 1, 0, -1])
    assert 0 < int(along_cols.sum()) < 64


def test_the_sampler_refuses_masks_of_another_shape():
    hr, lr = _marked_faces()
    with pytest.raises(ValueError, match="masks"):
        PatchSampler(hr, lr, 4, 4, np.random.default_rng(0), masks=np.zeros((4, 8, 8), bool))


def test_pixel_loss_plain_squared_and_weighted():
    out, target = torch.zeros(1, 3, 2, 2), torch.tensor([1.0, 3.0]).repeat(1, 3, 2, 1)
    assert pixel_loss(out, target).item() == pytest.approx(2.0)
    assert pixel_loss(out, target, squared=True).item() == pytest.approx(5.0)
    weights = torch.tensor([[[[1.0, 3.0], [1.0, 3.0]]]])
    assert pixel_loss(out, target, weights=weights).item() == pytest.approx((1 + 9) / 4)


def test_region_psnr_counts_only_the_masked_pixels():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    est = ref.copy()
    est[:8] = 255 - est[:8]
    top, bottom = np.zeros((16, 16), bool), np.zeros((16, 16), bool)
    top[:8], bottom[8:] = True, True
    assert region_psnr(ref, est, bottom) == float("inf")
    assert region_psnr(ref, est, top) < psnr(ref, est) < 100
    assert region_ssim(ref, est, bottom) > region_ssim(ref, est, top)
    with pytest.raises(ValueError, match="empty"):
        region_psnr(ref, est, np.zeros((16, 16), bool))
    q = image_quality(ref[None], est[None], top[None])
    assert q["psnr_regions"][0] == pytest.approx(region_psnr(ref, est, top))


def test_region_mask_covers_brows_eyes_and_mouth_not_cheeks():
    # a synthetic 68-point layout of a face on a 128×128 image
    def line(x0, x1, y0, y1, n):
        return np.c_[np.linspace(x0, x1, n), np.linspace(y0, y1, n)]

    pts = np.zeros((68, 2))
    pts[0:17] = np.c_[np.linspace(20, 108, 17), 60 + 40 * np.sin(np.linspace(0, np.pi, 17))]
    pts[17:22], pts[22:27] = line(30, 58, 40, 40, 5), line(70, 98, 40, 40, 5)
    pts[27:31], pts[31:36] = line(64, 64, 50, 70, 4), line(56, 72, 74, 74, 5)
    pts[36:42] = np.c_[[36, 40, 46, 50, 46, 40], [52, 50, 50, 52, 54, 54]]
    pts[42:48] = np.c_[[78, 82, 88, 92, 88, 82], [52, 50, 50, 52, 54, 54]]
    pts[48:55], pts[55:60] = line(48, 80, 90, 90, 7), line(76, 52, 96, 96, 5)
    pts[60:65], pts[65:68] = line(52, 76, 91, 91, 5), line(72, 56, 93, 93, 3)
    mask = region_mask(pts, (128, 128))
    assert mask[40, 44] and mask[52, 43] and mask[92, 64]      # brow, eye, mouth
    assert not mask[75, 25] and not mask[5, 64]                # cheek, top of the head
    assert {"left_eye", "right_eye", "mouth"} <= set(REGION_ROIS) and "left_cheek" not in REGION_ROIS


def test_training_with_the_new_options_resumes_to_the_same_weights(tmp_path):
    hr, lr = _faces()
    masks = np.zeros(hr.shape[:3], bool)
    masks[:, 8:20] = True
    cfg = SRConfig(**RLFN_TINY, ema_decay=0.9, l2_fraction=0.5, region_weight=2.0)
    straight = train_super_resolution(hr, lr, cfg, tmp_path / "a", region_masks=masks, log=lambda m: None)
    assert straight["finished"]
    assert [set(h) & {"l1", "l2"} for h in straight["history"]] == [{"l1"}, {"l2"}]
    train_super_resolution(hr, lr, cfg, tmp_path / "b", region_masks=masks, max_minutes=0.0, log=lambda m: None)
    train_super_resolution(hr, lr, cfg, tmp_path / "b", region_masks=masks, log=lambda m: None)
    a, _ = load_generator(tmp_path / "a" / "generator_psnr.pt")
    b, _ = load_generator(tmp_path / "b" / "generator_psnr.pt")
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    # the saved PSNR model is the moving average, not the last weights
    ck = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=True)
    assert all(torch.equal(ck["ema"]["shadow"][k], v) for k, v in a.state_dict().items())
    with pytest.raises(ConfigError, match="region masks"):
        train_super_resolution(hr, lr, cfg, tmp_path / "c", log=lambda m: None)
    # other masks are other training data: the checkpoint is not resumed with them
    train_super_resolution(hr, lr, cfg, tmp_path / "d", region_masks=masks, max_minutes=0.0, log=lambda m: None)
    with pytest.raises(ConfigError, match="other data"):
        train_super_resolution(hr, lr, cfg, tmp_path / "d", region_masks=~masks, log=lambda m: None)


def test_weight_averaging_changes_the_saved_model(tmp_path):
    hr, lr = _faces()
    plain = train_super_resolution(hr, lr, SRConfig(**RLFN_TINY), tmp_path / "plain", log=lambda m: None)
    averaged = train_super_resolution(hr, lr, SRConfig(**RLFN_TINY, ema_decay=0.5), tmp_path / "ema",
                                      log=lambda m: None)
    assert plain["finished"] and averaged["finished"]
    a = load_generator(tmp_path / "plain" / "generator_psnr.pt")[0].state_dict()
    b = load_generator(tmp_path / "ema" / "generator_psnr.pt")[0].state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_a_checkpoint_without_its_average_is_refused(tmp_path):
    hr, lr = _faces()
    cfg = SRConfig(**RLFN_TINY, ema_decay=0.9)
    train_super_resolution(hr, lr, cfg, tmp_path, max_minutes=0.0, log=lambda m: None)
    ck = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    ck["ema"] = {}
    torch.save(ck, tmp_path / "checkpoint.pt")
    with pytest.raises(DataError, match="moving average"):
        train_super_resolution(hr, lr, cfg, tmp_path, log=lambda m: None)


def test_position_planes_name_the_face_pixels_each_patch_was_cut_from():
    hr = np.zeros((3, 64, 64, 3), np.uint8)  # green / blue: each pixel's row / column
    hr[..., 1], hr[..., 2] = np.arange(64)[None, :, None], np.arange(64)[None, None, :]
    lr = hr[:, ::4, ::4][:, None]  # LR 16 × 16: LR pixel i holds the code 4·i
    sampler = PatchSampler(hr, lr, 4, 6, np.random.default_rng(5), positions=True)
    lr_b, hr_b = sampler.sample(64)
    assert lr_b.shape == (64, 5, 6, 6) and hr_b.shape == (64, 3, 24, 24)
    # LR row i (code 4·i) has its centre at (i + 0.5) / 16 · 2 − 1 across the face
    row = lr_b[:, 1] * 255 / 4
    col = lr_b[:, 2] * 255 / 4
    assert torch.allclose(lr_b[:, 4], (row + 0.5) / 16 * 2 - 1, atol=1e-4)  # y plane, through every flip
    assert torch.allclose(lr_b[:, 3], (col + 0.5) / 16 * 2 - 1, atol=1e-4)  # x plane
    plain = PatchSampler(hr, lr, 4, 6, np.random.default_rng(5)).sample(64)[0]
    assert torch.equal(plain, lr_b[:, :3])  # the same patches, the planes only added


def test_a_position_aware_generator_sees_where_a_patch_lies_and_turns_it_with_the_face():
    from microexp.restore.efficient import position_grid
    from microexp.restore.upscale import upscale_with

    grid = position_grid(4, 8)
    assert grid.shape == (1, 2, 4, 8) and grid[0, 0, 0, 0] == pytest.approx(-7 / 8) and grid[0, 1, -1, 0] == pytest.approx(3 / 4)
    torch.manual_seed(0)
    net = RLFNet(n_features=8, n_blocks=1, esa_channels=4, position_channels=2).eval()
    torch.nn.init.normal_(net.conv_last.weight, std=0.1)
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        whole = net(x)  # a whole face: the full grid is added
        here = net(torch.cat([x, position_grid(8, 8)], dim=1))
        elsewhere = net(torch.cat([x, position_grid(8, 8).flip(3)], dim=1))
    assert torch.allclose(whole, here)
    assert not torch.allclose(here, elsewhere, atol=1e-4)  # the same pixels, another place: another output
    # whole-face self-ensembles turn the planes with the face: a generator that reads only the
    # position of each pixel gives every view the same answer (planes added after turning would not)

    class ReadsPositions(torch.nn.Module):
        position_channels = 2

        def forward(self, z):
            return F.interpolate(0.3 * z[:, 3:4].abs().expand(-1, 3, -1, -1) + 0.3 * (z[:, 4:5] + 1), scale_factor=4)

    faces = np.full((2, 8, 8, 3), 90, np.uint8)
    one, eight = upscale_with(ReadsPositions(), faces), upscale_with(ReadsPositions(), faces, self_ensemble=8)
    two = upscale_with(ReadsPositions(), faces, self_ensemble=2)
    assert np.array_equal(one, two) and np.array_equal(one, eight)
    assert one[0, 0, 0, 0] < one[0, -1, 0, 0] and one[0, 0, 0, 0] > one[0, 0, 15, 0]


def test_position_planes_are_refused_for_other_generators():
    with pytest.raises(ConfigError, match="position"):
        SRConfig.from_dict(dict(arch="rrdbnet", position=True))
    with pytest.raises(ValueError, match="position_channels"):
        RLFNet(position_channels=3)
