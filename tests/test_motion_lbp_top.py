"""LBP-TOP: shape, normalisation, known patterns and agreement with skimage's 2-D LBP."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.errors import DataError
from microexp.motion import lbp_top, plane_codes, uniform_lut


def test_shape_and_normalisation():
    rng = np.random.default_rng(0)
    vol = rng.integers(0, 256, (6, 33, 29), dtype=np.uint8)
    feat = lbp_top(vol, blocks=(4, 4))
    assert feat.shape == (4 * 4 * 3 * 59,) and feat.dtype == np.float32
    np.testing.assert_allclose(feat.reshape(16, 3, 59).sum(-1), 1.0, rtol=1e-5)
    assert lbp_top(vol, blocks=(2, 3)).shape == (2 * 3 * 3 * 59,)


def test_uniform_lut_has_59_labels():
    lut = uniform_lut(8)
    assert lut.shape == (256,) and lut.max() == 58
    assert len(np.unique(lut)) == 59
    assert (lut == 58).sum() == 256 - 58  # every non-uniform code shares the last label
    assert lut[0] == 0 and lut[255] == 57


def test_constant_volume_puts_everything_in_the_all_ones_pattern():
    feat = lbp_top(np.full((4, 12, 12), 90, np.uint8), blocks=(2, 2)).reshape(4, 3, 59)
    assert (feat[:, :, 57] == 1).all()  # every neighbour >= centre: code 255 -> label 57


def test_known_pattern_bright_centre_and_temporal_ramp():
    vol = np.zeros((3, 3, 3), np.uint8)
    vol[1, 1, 1] = 200  # a single bright voxel: no neighbour >= it in any plane -> code 0
    for plane in ("XY", "XT", "YT"):
        assert plane_codes(vol, plane)[0, 0, 0] == 0
    ramp = np.broadcast_to(np.arange(3, dtype=np.uint8)[:, None, None] * 50, (3, 5, 5)).copy()
    # brightness grows with t only: XY codes are all-ones, XT/YT codes are the same half-ones code
    feat = lbp_top(ramp, blocks=(1, 1)).reshape(3, 59)
    assert feat[0, 57] == 1
    assert feat[1].max() == 1 and feat[2].max() == 1
    assert feat[1].argmax() == feat[2].argmax() != 57


def test_xy_plane_matches_skimage():
    skimage_feature = pytest.importorskip("skimage.feature")
    rng = np.random.default_rng(3)
    vol = rng.integers(0, 256, (3, 20, 24), dtype=np.uint8)
    ours = plane_codes(vol, "XY")[0]
    ref = skimage_feature.local_binary_pattern(vol[1], 8, 1, method="default").astype(np.int64)[1:-1, 1:-1]
    np.testing.assert_array_equal(ours, ref)
    ref_nri = skimage_feature.local_binary_pattern(vol[1], 8, 1, method="nri_uniform").astype(np.int64)
    np.testing.assert_array_equal(uniform_lut()[ours], ref_nri[1:-1, 1:-1])


@pytest.mark.parametrize("bad, fragment", [
    (None, "None"),
    (np.zeros((5, 5), np.uint8), "shape"),
    (np.zeros((5, 10, 10), np.float32), "dtype"),
    (np.zeros((2, 10, 10), np.uint8), "frames"),
    (np.zeros((5, 4, 4), np.uint8), "too small"),
])
def test_bad_volumes(bad, fragment):
    with pytest.raises(DataError, match=fragment):
        lbp_top(bad)
