"""Interval F1 at IoU >= 0.5 on hand-made intervals, and interval spotting on a synthetic long clip."""
import numpy as np
import pytest

from microexp.errors import DataError
from microexp.spotting import IntervalSpotter, interval_f1, interval_iou, match_intervals, tune_interval_spotter
from microexp.spotting.intervals import contrast_signal


def test_iou_of_inclusive_frame_intervals():
    assert interval_iou((0, 9), (0, 9)) == 1.0
    assert interval_iou((0, 9), (10, 19)) == 0.0
    assert interval_iou((0, 9), (5, 14)) == pytest.approx(5 / 15)
    assert interval_iou((0, 9), (0, 4)) == pytest.approx(0.5)


def test_matching_counts_each_true_interval_once():
    true = [(10, 20), (50, 60)]
    assert match_intervals([(10, 20), (11, 21), (50, 58), (90, 95)], true) == (2, 2, 0)
    assert match_intervals([(12, 40)], true) == (0, 1, 2)  # IoU 9/31 < 0.5
    assert match_intervals([], true) == (0, 0, 2)


def test_interval_f1_pools_counts_over_clips():
    res = interval_f1([[(10, 20)], [(0, 5), (30, 40)]], [[(10, 19)], [(30, 41)]])
    assert (res["tp"], res["fp"], res["fn"]) == (2, 1, 0)
    assert res["precision"] == pytest.approx(2 / 3) and res["recall"] == 1.0
    assert res["f1"] == pytest.approx(0.8)
    assert interval_f1([[]], [[(1, 2)]])["f1"] == 0.0
    with pytest.raises(DataError):
        interval_f1([[]], [])


def test_contrast_removes_echoes_at_plus_minus_k():
    s = np.zeros(40)
    s[20] = 1.0
    s[15] = s[25] = 0.5  # echoes of the event at 20 seen from 20 ± 5
    c = contrast_signal(s, 5)
    assert c[20] == pytest.approx(0.5) and c[15] == pytest.approx(0.0) and c[25] == pytest.approx(0.0)


def test_intervals_from_signal_and_blink_veto():
    t = np.arange(120)
    me = np.exp(-0.5 * ((t - 40) / 3) ** 2)
    blink = 0.9 * np.exp(-0.5 * ((t - 90) / 2) ** 2)
    signal = me + blink
    eyes = 0.2 * me + 5 * blink
    sp = IntervalSpotter(k=5, threshold_p=0.5, extent=0.2, max_length=20, smoothing_sigma=0)
    assert len(sp.intervals_from_signal(signal)) == 2
    sp.blink_ratio = 2.0
    (lo, hi), = sp.intervals_from_signal(signal, eyes)
    assert lo < 40 < hi and interval_iou((lo, hi), (33, 47)) >= 0.5
    tuned = tune_interval_spotter([(signal, eyes, [(33, 47)])], IntervalSpotter(k=5, max_length=20))
    assert interval_f1([tuned.intervals_from_signal(signal, eyes)], [[(33, 47)]])["f1"] == 1.0


def test_spotter_finds_a_synthetic_expression_among_blinks():
    from microexp.spotting.synthetic import synthetic_long_clip

    rng = np.random.default_rng(4)
    clip = synthetic_long_clip(rng, 90, size=48, n_expressions=1, n_blinks=1, head_motion=0.5, noise=1.0)
    sp = IntervalSpotter(k=6, threshold_p=0.5, extent=0.2, max_length=20)
    found, signal = sp.spot(clip.frames, flow_size=48)
    assert signal.shape == (90,)
    (on, off), = clip.intervals
    assert any(lo <= (on + off) // 2 <= hi for lo, hi in found)
