"""Shapes, ranges, layouts and caching of the conditional DC-GAN (paper 004) augmenter."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from microexp.augment.cgan import FlowDiscriminator, FlowGANAugmenter, FlowGenerator, write_sample_grid
from microexp.augment.cgan.networks import upsampling_plan
from microexp.errors import ConfigError, DataError

torch.set_num_threads(1)


@pytest.mark.parametrize("size,start,strides", [(28, 7, (2, 2, 1)), (80, 10, (2, 2, 2)), (12, 3, (2, 2, 1))])
def test_upsampling_plan(size, start, strides):
    assert upsampling_plan(size) == (start, strides)


def test_upsampling_plan_rejects_tiny_size():
    with pytest.raises(ConfigError):
        upsampling_plan(2)


@pytest.mark.parametrize("size", [28, 80])
def test_generator_and_discriminator_shapes(size):
    g = FlowGenerator(num_classes=3, latent_dim=16, image_size=size, width=8)
    d = FlowDiscriminator(num_classes=3, image_size=size, width=8)
    labels = torch.tensor([0, 1, 2, 1])
    flows = g(torch.randn(4, 16), labels)
    assert flows.shape == (4, 3, size, size)
    assert flows.min() >= -1 and flows.max() <= 1  # tanh output
    logits = d(flows, labels)
    assert logits.shape == (4, 2)
    # the label is an input of both networks: changing it changes the output
    g.eval()
    d.eval()
    z = torch.randn(2, 16)
    assert not torch.allclose(g(z, torch.tensor([0, 0])), g(z, torch.tensor([2, 2])))
    assert not torch.allclose(d(flows[:2], torch.tensor([0, 0])), d(flows[:2], torch.tensor([1, 1])))


def _toy(n=30, size=12, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.uniform(0, 1, (n, 3, size, size)).astype(np.float32)
    return X, y


def test_augmenter_shapes_range_and_classes():
    X, y = _toy()
    aug = FlowGANAugmenter(per_class=5, epochs=1, seed=0, generator_width=8, discriminator_width=8, latent_dim=8)
    X_extra, y_extra = aug.fit_generate(X, y, groups=np.repeat(np.arange(10), 3), seed=1)
    assert X_extra.shape == (15, 3, 12, 12) and X_extra.dtype == np.float32
    assert X_extra.min() >= 0 and X_extra.max() <= 1
    assert np.bincount(y_extra).tolist() == [5, 5, 5]


def test_augmenter_keeps_channels_last_and_255_scale():
    X, y = _toy()
    X_last = (X.transpose(0, 2, 3, 1) * 255).round().astype(np.uint8)
    aug = FlowGANAugmenter(per_class=2, epochs=1, generator_width=8, discriminator_width=8, latent_dim=8)
    X_extra, y_extra = aug.fit_generate(X_last, y, None, 0)
    assert X_extra.shape == (6, 12, 12, 3) and X_extra.dtype == np.uint8
    assert len(y_extra) == 6


def test_augmenter_only_generates_classes_of_the_fold():
    X, y = _toy()
    keep = y != 1
    aug = FlowGANAugmenter(per_class=3, epochs=1, generator_width=8, discriminator_width=8, latent_dim=8)
    _, y_extra = aug.fit_generate(X[keep], y[keep], None, 0)
    assert sorted(set(y_extra.tolist())) == [0, 2]


def test_cache_hit_on_repeated_fit_and_miss_on_other_data(tmp_path):
    X, y = _toy()
    kw = dict(per_class=4, epochs=1, cache_dir=tmp_path, generator_width=8, discriminator_width=8, latent_dim=8)
    first = FlowGANAugmenter(**kw)
    X1, y1 = first.fit_generate(X, y, None, 3)
    assert first.last_cache_hit is False
    assert (tmp_path / first.last_key / "samples.npz").is_file()
    second = FlowGANAugmenter(**kw)  # a new object, as in a repeated run
    X2, y2 = second.fit_generate(X, y, None, 3)
    assert second.last_cache_hit is True
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert second.last_gan is not None  # the cached generator is loaded too
    # another training fold (one sample less) or another seed must not reuse the entry
    second.fit_generate(X[1:], y[1:], None, 3)
    assert second.last_cache_hit is False
    second.fit_generate(X, y, None, 4)
    assert second.last_cache_hit is False


def test_bad_input_raises_data_error():
    aug = FlowGANAugmenter(per_class=1, epochs=1)
    with pytest.raises(DataError):
        aug.fit_generate(np.zeros((4, 10)), np.zeros(4, int), None, 0)
    with pytest.raises(DataError):
        aug.fit_generate(np.zeros((4, 3, 12, 12), np.float32), np.zeros(3, int), None, 0)


def test_sample_grid_png(tmp_path):
    X, y = _toy()
    path = write_sample_grid(tmp_path / "grid.png", X, y, per_row=4, real_flows=X, real_labels=y)
    from microexp.io import read_image

    img = read_image(path)
    assert img.shape[0] > 3 * 2 * 12 and img.shape[1] >= 4 * 12 * 3


def test_make_augmenter_from_config_roundtrip(tmp_path):
    from microexp.augment.cgan import make_augmenter

    aug = FlowGANAugmenter(per_class=7, epochs=2, seed=3, cache_dir=tmp_path, generator_width=8)
    again = make_augmenter(aug.to_config())
    assert again.params(3) == aug.params(3) and again.cache_dir == aug.cache_dir
    assert make_augmenter(None) is None and make_augmenter(aug) is aug
    with pytest.raises(ConfigError):
        make_augmenter({"other": {}})
    with pytest.raises(ConfigError):
        make_augmenter({"flow_gan": {"no_such_setting": 1}})


def test_out_of_range_flows_are_refused():
    X, y = _toy()
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        FlowGANAugmenter(per_class=1, epochs=1).fit_generate(X - 0.5, y, None, 0)
