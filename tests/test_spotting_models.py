"""Shapes of the modified VGG-M regressor and its short-path variants; fit / save / load; CV."""
import numpy as np
import pytest
import torch

from microexp.errors import ConfigError, DataError
from microexp.spotting import (VGGM_VARIANTS, IntensityRegressor, ModifiedVGGMRegressor, SpottingClip,
                               cross_validate_spotter, sample_folds)
from microexp.spotting.vggm_regressor import ChannelLRN


@pytest.mark.parametrize("variant", VGGM_VARIANTS)
@pytest.mark.parametrize("size", [43, 48, 75])
def test_every_variant_maps_a_batch_to_one_value_per_image(variant, size):
    torch.manual_seed(0)
    net = ModifiedVGGMRegressor(in_channels=3, variant=variant, width=0.125)
    x = torch.randn(2, 3, size, size, requires_grad=True)
    y = net(x)
    assert y.shape == (2,)
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_paper_width_two_channel_input_and_bad_arguments():
    net = ModifiedVGGMRegressor(in_channels=2, variant=0, width=1.0)  # Table 1: (75, 75, 2) input
    assert net.conv1.out_channels == 96 and net.conv5.out_channels == 512
    assert net(torch.zeros(1, 2, 75, 75)).shape == (1,)
    with pytest.raises(ConfigError):
        ModifiedVGGMRegressor(variant=5)
    with pytest.raises(ConfigError):
        ModifiedVGGMRegressor(width=0.125)(torch.zeros(1, 3, 32, 32))


def test_short_paths_widen_the_layers_they_join():
    plain, v1, v2, v3, v4 = (ModifiedVGGMRegressor(3, v, 0.25) for v in VGGM_VARIANTS)
    assert v1.conv2.in_channels == plain.conv2.in_channels + 3
    assert v2.conv3.in_channels == plain.conv3.in_channels + plain.conv2.in_channels
    assert v3.conv3.in_channels == plain.conv3.in_channels + 3
    assert v4.conv2.in_channels == v1.conv2.in_channels and v4.conv3.in_channels > v2.conv3.in_channels


def test_channel_lrn_equals_torch_lrn():
    x = torch.randn(2, 9, 5, 5)
    assert torch.allclose(ChannelLRN(5)(x), torch.nn.LocalResponseNorm(5)(x), atol=1e-6)


def _toy_clips(n=10, length=12, size=44, seed=0):
    """Clips whose frames carry their intensity in the image brightness: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    clips = []
    for i in range(n):
        apex = int(rng.integers(2, length - 2))
        t = np.arange(length)
        inten = np.where(t <= apex, t / apex, (length - 1 - t) / (length - 1 - apex))
        x = inten[:, None, None, None] * np.ones((length, 3, size, size)) + 0.05 * rng.normal(size=(length, 3, size, size))
        clips.append(SpottingClip(x.astype(np.float32), 0, apex, length - 1, f"s{i % 3}", f"c{i}"))
    return clips


def test_regressor_fits_saves_and_loads(tmp_path):
    torch.set_num_threads(1)
    clips = _toy_clips(6)
    X = np.concatenate([c.inputs for c in clips])
    y = np.concatenate([c.inputs[:, 0].mean(axis=(1, 2)) for c in clips])
    reg = IntensityRegressor(variant=1, width=0.125, epochs=4, batch_size=16, lr=3e-3, preparation={"flow_size": 32})
    reg.fit(X, y)
    assert reg.loss_history[-1] < reg.loss_history[0]
    pred = reg.predict(X)
    assert pred.shape == y.shape
    path = reg.save(tmp_path / "spotter.pt")
    back = IntensityRegressor.load(path)
    assert back.variant == 1 and back.preparation == {"flow_size": 32}
    assert np.allclose(back.predict(X), pred, atol=1e-5)
    with pytest.raises(DataError):
        IntensityRegressor.load(tmp_path / "missing.pt")
    with pytest.raises(DataError):
        IntensityRegressor().predict(X)


def test_cross_validation_predicts_every_clip_once():
    torch.set_num_threads(1)
    clips = _toy_clips(10)
    make = lambda: IntensityRegressor(0, 0.125, epochs=3, batch_size=16, lr=3e-3)  # noqa: E731
    pred, curves = cross_validate_spotter(clips, make, "linear", sample_folds(len(clips), 5), train_frame_stride=2)
    assert sorted(pred["index"]) == list(range(10)) and set(curves) == set(range(10))
    assert all(len(curves[i]) == len(clips[i].inputs) for i in range(10))
    assert {"apex_max", "apex_sw_max", "true_apex"} <= set(pred.columns)
    assert pred["apex_max"].between(0, 11).all()
