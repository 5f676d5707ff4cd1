"""Optical flow, strain and the u/v/strain composite on synthetic inputs."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.errors import ConfigError, DataError
from microexp.motion import (clip_motion, decode_composite, encode_composite, farneback_flow,
                             flow_magnitude_orientation, flow_to_hsv_image, optical_strain, tvl1_flow)


def grid(h=40, w=50):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return x, y


@pytest.mark.parametrize("a, b", [(0.3, -0.1), (0.05, 0.2), (0.0, 0.0)])
def test_strain_of_linear_stretch(a, b):
    x, y = grid()
    flow = np.dstack([a * x, b * y])
    np.testing.assert_allclose(optical_strain(flow), np.hypot(a, b), atol=1e-5)


def test_strain_of_shear_rotation_and_shift():
    x, y = grid()
    c = 0.4
    shear = np.dstack([c * y, np.zeros_like(x)])  # u_y = c: |eps| = sqrt(c^2 / 2)
    np.testing.assert_allclose(optical_strain(shear), np.sqrt(0.5) * c, atol=1e-5)
    w = 0.2
    rotation = np.dstack([-w * y, w * x])  # rigid rotation: no strain
    np.testing.assert_allclose(optical_strain(rotation), 0.0, atol=1e-5)
    shift = np.dstack([np.full_like(x, 3.0), np.full_like(x, -2.0)])
    assert optical_strain(shift).max() == 0.0
    mag, ang = flow_magnitude_orientation(shift)
    np.testing.assert_allclose(mag, np.hypot(3, 2), rtol=1e-6)
    np.testing.assert_allclose(ang, np.arctan2(-2, 3), rtol=1e-6)


@pytest.mark.parametrize("bad", [None, np.zeros((10, 10)), np.zeros((10, 10, 3)),
                                 np.full((4, 4, 2), np.nan)])
def test_bad_flows_raise(bad):
    with pytest.raises(DataError):
        optical_strain(bad)


def textured_pair(shift_x: int = 1, size: int = 48):
    rng = np.random.default_rng(0)
    import cv2

    base = cv2.GaussianBlur(rng.uniform(0, 255, (size, size + 8)).astype(np.float32), (0, 0), 2.0)
    base = cv2.normalize(base, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    # the next frame shows the texture moved right by shift_x
    return base[:, 4:4 + size], base[:, 4 - shift_x:4 - shift_x + size]


@pytest.mark.parametrize("method", [tvl1_flow, farneback_flow])
def test_flow_recovers_a_global_shift(method):
    prev, nxt = textured_pair(1)
    flow = method(prev, nxt)
    assert flow.shape == (48, 48, 2) and flow.dtype == np.float32
    inner = flow[8:-8, 8:-8]
    assert abs(float(np.median(inner[..., 0])) - 1.0) < 0.2
    assert abs(float(np.median(inner[..., 1]))) < 0.2


def test_flow_accepts_float_frames_and_rejects_bad_pairs():
    prev, nxt = textured_pair(1)
    f_uint8 = tvl1_flow(prev, nxt)
    f_unit = tvl1_flow(prev / 255.0, nxt / 255.0)  # floats in [0, 1]
    f_wide = tvl1_flow(prev.astype(np.float32), nxt.astype(np.float32))  # floats in [0, 255]
    f_mixed = tvl1_flow(prev, nxt / 255.0)
    for other in (f_unit, f_wide, f_mixed):
        assert np.abs(f_uint8 - other).mean() < 0.05
    with pytest.raises(DataError, match="differ in size"):
        tvl1_flow(prev, nxt[:-1])
    with pytest.raises(DataError, match="None"):
        tvl1_flow(None, nxt)
    with pytest.raises(DataError, match="dtype"):
        farneback_flow(prev.astype(np.int32), nxt.astype(np.int32))
    with pytest.raises(DataError, match="too small"):
        tvl1_flow(prev[:4, :4], nxt[:4, :4])


def test_composite_round_trip_matches_disk_convention():
    x, y = grid(64, 64)
    flow = np.dstack([0.02 * x - 0.3, np.sin(y / 9.0)]).astype(np.float32)
    strain = optical_strain(flow)
    img = encode_composite(flow, strain, size=28)
    assert img.shape == (28, 28, 3) and img.dtype == np.uint8
    # as on disk: every channel reaches 0 and 255
    assert (img.reshape(-1, 3).min(0) == 0).all() and (img.reshape(-1, 3).max(0) == 255).all()
    back = decode_composite(img)
    assert back.shape == (3, 28, 28) and back.dtype == np.float32
    assert 0.0 <= back.min() and back.max() <= 1.0
    import cv2

    for c, channel in enumerate((flow[..., 0], flow[..., 1], strain)):
        small = cv2.resize(channel, (28, 28), interpolation=cv2.INTER_AREA)
        expected = (small - small.min()) / (small.max() - small.min())
        np.testing.assert_allclose(back[c], expected, atol=0.5 / 255 + 1e-6)
    # u grows left to right, so the decoded u channel must too
    assert back[0, :, -1].mean() > back[0, :, 0].mean()
    np.testing.assert_array_equal(encode_composite(flow, size=28), img)  # strain computed when omitted
    with pytest.raises(DataError, match="dtype"):
        decode_composite(img.astype(np.float32))
    with pytest.raises(DataError, match="shape"):
        decode_composite(img[:, :, :2])


def test_flow_picture_and_clip_motion_without_alignment():
    prev, nxt = textured_pair(1, size=40)
    picture = flow_to_hsv_image(tvl1_flow(prev, nxt))
    assert picture.shape == (40, 40, 3) and picture.dtype == np.uint8
    assert not flow_to_hsv_image(np.zeros((5, 5, 2))).any()  # no motion: black
    out = clip_motion([prev, prev, nxt], apex_idx=2, size=32, align=False, method="farneback")
    assert out["flow"].shape == (32, 32, 2) and out["strain"].shape == (32, 32)
    with pytest.raises(ConfigError):
        clip_motion([prev, nxt], apex_idx=1, method="horn")
    with pytest.raises(DataError, match="outside"):
        clip_motion([prev, nxt], apex_idx=5, align=False)


def test_centring_puts_still_skin_at_one_level_in_every_composite():
    import torch

    from microexp.motion import centre_composites
    from microexp.training.augment import flip_flow_horizontally

    composites = []
    for push, where in ((3.0, slice(4, 12)), (-1.0, slice(16, 24))):  # one patch moves right, one left
        flow = np.zeros((56, 56, 2), np.float32)
        flow[where, where, 0] = push
        flow[10:20, 30:40, 1] = push / 2
        composites.append(decode_composite(encode_composite(flow, size=28)))
    X = np.stack(composites)
    still = np.ones((28, 28), bool)
    still[:13, :13] = still[15:, 15:] = still[4:11, 14:21] = False  # away from both patches (and their blur)
    # as scaled, still skin sits wherever 0 fell between each image's extremes: far apart
    assert abs(X[0, 0][still].mean() - X[1, 0][still].mean()) > 0.5
    C = centre_composites(X)
    np.testing.assert_allclose(C[:, :2][:, :, still], 0.5, atol=1e-6)
    np.testing.assert_array_equal(C[:, 2], X[:, 2])  # strain untouched
    assert C[0, 0, 4, 4] > 0.5 > C[1, 0, 10, 10]  # the directions of motion survive
    np.testing.assert_array_equal(X, np.stack(composites))  # the input is not modified
    mirrored = flip_flow_horizontally(torch.as_tensor(X)).numpy()  # centring keeps the mirror convention
    np.testing.assert_allclose(centre_composites(mirrored), flip_flow_horizontally(torch.as_tensor(C)).numpy(), atol=1e-6)
    with pytest.raises(DataError, match="shape"):
        centre_composites(X[:, :1])


def test_standardising_gives_every_composite_the_same_motion_energy_and_keeps_directions():
    import torch

    from microexp.motion import centre_composites, standardise_composites
    from microexp.motion.composite import STANDARD_SPREAD
    from microexp.training.augment import flip_flow_horizontally

    rng = np.random.default_rng(0)
    composites = []
    for outlier in (False, True):  # one image's range is set by a single extreme pixel
        flow = np.zeros((28, 28, 2), np.float32)
        flow[6:12, 6:12, 0] = 1.0
        flow[6:12, 6:12, 1] = 0.5
        flow += rng.normal(0, 0.02, flow.shape).astype(np.float32)
        if outlier:
            flow[27, 27] = (-8.0, 8.0)
        composites.append(decode_composite(encode_composite(flow, size=28)))
    X = np.stack(composites)
    C = centre_composites(X)
    patch = (slice(None), 0, slice(7, 11), slice(7, 11))
    # as scaled (and centred), the outlier squeezes the same motion into a faint signal
    assert C[patch][0].mean() - 0.5 > 3 * (C[patch][1].mean() - 0.5)
    S = standardise_composites(X)
    dev = (S[:, :2] - 0.5).reshape(2, -1)
    np.testing.assert_allclose(np.sqrt(np.mean(dev ** 2, axis=1)), STANDARD_SPREAD, rtol=1e-5)
    np.testing.assert_allclose(np.median(S[:, :2].reshape(2, 2, -1), axis=2), 0.5, atol=1e-6)
    assert S[patch][1].mean() - 0.5 > 2 * (C[patch][1].mean() - 0.5)  # the faint one is brought up
    # one factor per image for u and v: the ratio of v to u in the moving patch is kept
    for i in range(2):
        np.testing.assert_allclose((S[i, 1, 8, 8] - 0.5) / (S[i, 0, 8, 8] - 0.5),
                                   (C[i, 1, 8, 8] - 0.5) / (C[i, 0, 8, 8] - 0.5), rtol=1e-4)
    np.testing.assert_array_equal(S[:, 2], X[:, 2])  # strain untouched
    np.testing.assert_array_equal(X, np.stack(composites))  # the input is not modified
    mirrored = flip_flow_horizontally(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(standardise_composites(mirrored), flip_flow_horizontally(torch.as_tensor(S)).numpy(),
                               atol=1e-6)
    flat = np.full((1, 3, 28, 28), 0.3, np.float32)  # no motion at all: only centred
    np.testing.assert_allclose(standardise_composites(flat)[:, :2], 0.5, atol=1e-6)
    with pytest.raises(DataError, match="spread"):
        standardise_composites(X, spread=0)
