"""Paper 003's equations (1)-(7) and paper 001's three frames, against hand-computed values."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.errors import DataError
from microexp.motion import (absolute_residual_sum, clip_bounds, key_frames, onset_apex, onset_middle_apex,
                             relative_residual_sum, residual_sum_images)


@pytest.mark.parametrize("onset, apex, offset, expected", [
    (0, 4, 8, (0, 8)),        # apex - onset = 4 < 10: end = min(onset + 10, offset) = min(10, 8)
    (0, 4, 30, (0, 10)),      # ... = min(10, 30)
    (5, 30, 25, (5, 25)),     # apex - onset = 25 >= 10: end = min(apex, offset) = min(30, 25)
    (5, 20, 40, (5, 20)),     # ... = min(20, 40)
    (3, 12, None, (3, 13)),   # 9 < 10, no offset: onset + 10
    (3, 13, None, (3, 13)),   # exactly 10: min(apex, inf)
])
def test_clip_bounds_eqs_1_2(onset, apex, offset, expected):
    assert clip_bounds(onset, apex, offset) == expected


def test_key_frames_eqs_3_4():
    # gap = ceil((10 - 0) / 6) = 2 -> 2, 4, 6, 8, then end 10
    assert key_frames(0, 10) == [2, 4, 6, 8, 10]
    # gap = ceil(20 / 6) = 4 -> 104, 108, 112, 116, end 120
    assert key_frames(100, 120) == [104, 108, 112, 116, 120]
    # gap = ceil(3 / 6) = 1 -> 1, 2, 3, min(4, 3) = 3, 3: a set {1, 2, 3}
    assert key_frames(0, 3) == [1, 2, 3]
    assert key_frames(0, 3, unique=False) == [1, 2, 3, 3, 3]
    assert key_frames(7, 7) == [7]
    assert key_frames(0, 14, n_key=3) == [4, 8, 14]  # gap = ceil(14 / 4) = 4
    with pytest.raises(DataError):
        key_frames(10, 5)


def test_onset_apex_and_paper_001_middle():
    assert onset_apex(10, 25, 40) == (10, 25)
    assert onset_apex(10, 0, 40) == (10, 25)      # apex before onset: middle of the clip
    assert onset_apex(10, float("nan"), 41) == (10, 25)
    assert onset_middle_apex(10, 25, 40) == (10, 17, 25)
    with pytest.raises(DataError, match="before onset"):
        onset_apex(10, 5, 4)
    with pytest.raises(DataError, match="no offset"):
        onset_apex(10, None)
    with pytest.raises(DataError, match="integer"):
        onset_apex(10.5, 12, 20)


def tiny_clip() -> list[np.ndarray]:
    f0 = np.array([[10, 200], [0, 255]], np.uint8)
    f1 = np.array([[12, 100], [0, 255]], np.uint8)
    f2 = np.array([[20, 50], [9, 0]], np.uint8)
    f3 = np.array([[10, 250], [3, 128]], np.uint8)
    return [f0, f1, f2, f3]


def test_absolute_residual_sum_eq_5():
    frames = tiny_clip()
    # sum over key frames {1, 2, 3} of |Q_f - Q_0|:
    # (0,0): 2 + 10 + 0 = 12;  (0,1): 100 + 150 + 50 = 300 -> 300 % 256 = 44
    # (1,0): 0 + 9 + 3 = 12;   (1,1): 0 + 255 + 127 = 382 -> 126
    ars = absolute_residual_sum(frames, [1, 2, 3], 0)
    assert ars.dtype == np.uint8
    np.testing.assert_array_equal(ars, [[12, 44], [12, 126]])


def test_relative_residual_sum_eqs_6_7():
    frames = tiny_clip()
    # diff = [[12, 300], [12, 382]]; min 12, max 382
    rrs = relative_residual_sum(frames, [1, 2, 3], 0, as_uint8=False)
    expected = (np.array([[12, 300], [12, 382]]) - 12) / 370 * 255
    np.testing.assert_allclose(rrs, expected, rtol=1e-6)
    np.testing.assert_array_equal(relative_residual_sum(frames, [1, 2, 3], 0), np.rint(expected))
    scaled = relative_residual_sum(frames, [1, 2, 3], 0, g_min=10, g_max=20, as_uint8=False)
    assert scaled.min() == pytest.approx(10) and scaled.max() == pytest.approx(20)
    still = [frames[0]] * 3
    assert not relative_residual_sum(still, [1, 2], 0).any()


def test_residual_sums_on_colour_frames_and_bad_indices():
    rng = np.random.default_rng(0)
    frames = list(rng.integers(0, 256, (12, 6, 5, 3), dtype=np.uint8))
    out = residual_sum_images(frames, onset=0, apex=4, offset=11)
    assert out["start"] == 0 and out["end"] == 10  # apex - onset < 10
    assert out["key_frames"].tolist() == [2, 4, 6, 8, 10]
    manual = sum(np.abs(frames[k].astype(int) - frames[0]) for k in (2, 4, 6, 8, 10)) % 256
    np.testing.assert_array_equal(out["ars"], manual)
    assert out["rrs"].shape == (6, 5, 3) and out["rrs"].max() == 255 and out["rrs"].min() == 0
    with pytest.raises(DataError, match="outside"):
        absolute_residual_sum(frames, [20], 0)
    with pytest.raises(DataError, match="dtype"):
        absolute_residual_sum([f.astype(np.float32) for f in frames], [1], 0)
