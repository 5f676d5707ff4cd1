"""Super-resolution generators, discriminator, losses and one training step."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from microexp.restore import SRConfig, build_generator, generator_bytes, load_generator
from microexp.restore.discriminator import (VGGStyleDiscriminator, feature_matching_loss, relativistic_d_loss,
                                            relativistic_g_loss)
from microexp.restore.rrdbnet import RRDBNet
from microexp.restore.srresnet import SRResNet

torch.set_num_threads(1)


@pytest.mark.parametrize("upsampler", ["nearest", "pixelshuffle"])
@pytest.mark.parametrize("scale", [2, 4])
def test_rrdbnet_output_shape(upsampler, scale):
    net = RRDBNet(n_features=8, n_blocks=1, growth=4, scale=scale, upsampler=upsampler)
    out = net(torch.rand(2, 3, 8, 12))
    assert out.shape == (2, 3, 8 * scale, 12 * scale)


def test_srresnet_output_shape():
    net = SRResNet(n_features=8, n_blocks=2, scale=4)
    assert net(torch.rand(2, 3, 8, 8)).shape == (2, 3, 32, 32)


@pytest.mark.parametrize("arch", ["rrdbnet", "srresnet"])
def test_global_residual_starts_as_bicubic(arch):
    net = build_generator(SRConfig(arch=arch, n_features=8, n_blocks=1, growth=4, global_residual=True)).eval()
    x = torch.rand(1, 3, 8, 8)
    expected = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.allclose(net(x), expected, atol=1e-6)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        RRDBNet(scale=3)
    with pytest.raises(ValueError):
        RRDBNet(upsampler="bilinear")


def test_discriminator_logits_and_features():
    disc = VGGStyleDiscriminator(n_features=4)
    logits, feats = disc(torch.rand(3, 3, 32, 32), return_features=True)
    assert logits.shape == (3,)
    assert len(feats) == 8 and feats[-1].shape[1] == 32
    assert disc(torch.rand(2, 3, 48, 48)).shape == (2,)  # any patch size


def test_relativistic_losses_prefer_the_right_side():
    real, fake = torch.full((4,), 3.0), torch.full((4,), -3.0)
    # a discriminator that separates well has a small loss; the generator then has a large one
    assert relativistic_d_loss(real, fake) < 0.01
    assert relativistic_g_loss(real, fake) > 5.0
    assert relativistic_d_loss(fake, real) > relativistic_d_loss(real, fake)
    feats = [torch.ones(1, 2, 3, 3)]
    assert feature_matching_loss(feats, [torch.ones(1, 2, 3, 3) * 1.5]).item() == pytest.approx(0.5)


def test_one_l1_step_reduces_loss_on_a_tiny_batch():
    torch.manual_seed(0)
    net = RRDBNet(n_features=8, n_blocks=1, growth=4, global_residual=True, upsampler="pixelshuffle")
    lr = torch.rand(4, 3, 8, 8)
    hr = torch.rand(4, 3, 32, 32)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    before = F.l1_loss(net(lr), hr)
    opt.zero_grad()
    before.backward()
    opt.step()
    after = F.l1_loss(net(lr), hr)
    assert after.item() < before.item()


def test_generator_file_round_trip(tmp_path):
    cfg = SRConfig(n_features=8, n_blocks=1, growth=4)
    gen = build_generator(cfg).eval()
    path = tmp_path / "g.pt"
    path.write_bytes(generator_bytes(gen, cfg))
    loaded, cfg2 = load_generator(path)
    assert cfg2 == cfg
    x = torch.rand(1, 3, 8, 8)
    assert torch.equal(loaded(x), gen(x))


class _Upsample(torch.nn.Module):
    """×4 nearest-neighbour up-sampling, plus an optional position-dependent term that breaks the
    symmetry (so a self-ensemble changes the output)."""

    def __init__(self, asymmetric: bool):
        super().__init__()
        self.asymmetric = asymmetric

    def forward(self, x):
        out = torch.nn.functional.interpolate(x, scale_factor=4, mode="nearest")
        if self.asymmetric:
            ramp = torch.linspace(0, 0.2, out.shape[-1])
            out = out + ramp.view(1, 1, 1, -1)
        return out


@pytest.mark.parametrize("views", [2, 8])
def test_self_ensemble_undoes_its_transforms(views):
    from microexp.restore import upscale_with

    lr = np.random.default_rng(0).integers(0, 200, (3, 8, 8, 3), dtype=np.uint8)
    plain = upscale_with(_Upsample(False), lr)
    assert plain.shape == (3, 32, 32, 3)
    # an equivariant generator gives the same image whatever the views
    assert np.array_equal(upscale_with(_Upsample(False), lr, self_ensemble=views), plain)
    # a generator that is not equivariant is averaged: the left-to-right ramp flattens out
    ramped = upscale_with(_Upsample(True), lr).astype(float) - plain
    averaged = upscale_with(_Upsample(True), lr, self_ensemble=views).astype(float) - plain
    assert ramped[:, :, -1].mean() > 40 and abs(averaged[:, :, -1].mean() - averaged[:, :, 0].mean()) < 2


def test_self_ensemble_refuses_unknown_view_counts():
    from microexp.errors import ConfigError
    from microexp.restore import upscale_with

    with pytest.raises(ConfigError):
        upscale_with(_Upsample(False), np.zeros((1, 8, 8, 3), np.uint8), self_ensemble=3)
