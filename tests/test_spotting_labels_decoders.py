"""Continuous labels, Max / SW-Max decoders, MAE and the cross-validation splits (paper 004)."""
import numpy as np
import pytest

from microexp.errors import DataError, ProtocolError
from microexp.spotting import (LABEL_KINDS, SW_MAX_WINDOW, decode_apex, frame_labels, max_apex, mean_absolute_error,
                               sample_folds, sliding_window_max_apex, subject_folds)


@pytest.mark.parametrize("kind", LABEL_KINDS)
def test_labels_pivot_on_onset_apex_offset(kind):
    y = frame_labels(20, 3, 8, 15, kind)
    assert y.shape == (20,)
    assert y[8] == pytest.approx(1.0)
    assert y[3] == pytest.approx(0.0) and y[15] == pytest.approx(0.0)
    assert np.all(y[:3] == 0) and np.all(y[16:] == 0)
    assert np.all((y >= 0) & (y <= 1))
    assert np.argmax(y) == 8
    if kind != "impulse":  # rises to the apex, falls after it
        assert np.all(np.diff(y[3:9]) > 0) and np.all(np.diff(y[8:16]) < 0)


def test_label_shapes_order_as_in_fig6():
    lin, exp, log, imp = (frame_labels(11, 0, 10, 10, k) for k in ("linear", "exponential", "log", "impulse"))
    inner = slice(1, 10)
    assert np.allclose(lin, np.arange(11) / 10)
    assert np.all(exp[inner] < lin[inner]) and np.all(log[inner] > lin[inner])
    assert imp.sum() == 1 and imp[10] == 1
    # with the constant e the exponential and log ramps are inverse functions of each other
    x = lin[inner]
    assert np.allclose(np.log1p((np.e - 1) * ((np.exp(x) - 1) / (np.e - 1))), x)


def test_labels_degenerate_and_bad_key_frames():
    y = frame_labels(5, 0, 0, 4, "linear")  # apex at the onset
    assert y[0] == 1 and y[4] == 0
    assert frame_labels(4, 0, 2, None, "linear")[3] == 0  # offset None = last frame
    with pytest.raises(DataError):
        frame_labels(10, 5, 3, 8, "linear")
    with pytest.raises(DataError):
        frame_labels(10, 0, 3, 10, "linear")
    with pytest.raises(DataError):
        frame_labels(10, 0, 3, 8, "cubic")


def test_max_and_sw_max_on_hand_made_curves():
    spike = np.zeros(30)
    spike[5] = 1.0  # a lone glitch
    spike[18:27] = 0.8  # a broad bump centred at 22
    assert max_apex(spike) == 5
    assert sliding_window_max_apex(spike, 9) == 22
    assert decode_apex(spike, "max") == 5 and decode_apex(spike, "sw_max") == 22
    assert SW_MAX_WINDOW == 9
    assert sliding_window_max_apex([0.1, 0.5, 0.2], 9) == 1  # shorter than the window: one window, its centre
    assert sliding_window_max_apex([0, 1, 0, 0], 1) == 1
    with pytest.raises(DataError):
        decode_apex([], "max")
    with pytest.raises(DataError):
        decode_apex([1, 2], "median")


def test_mae_and_folds():
    assert mean_absolute_error([1, 5, 10], [2, 5, 7]) == pytest.approx(4 / 3)
    with pytest.raises(DataError):
        mean_absolute_error([1, 2], [1])
    folds = list(sample_folds(23, 5, seed=1))
    assert len(folds) == 5
    tests = np.concatenate([t for _, t in folds])
    assert sorted(tests) == list(range(23))
    for train, test in folds:
        assert not set(train) & set(test) and len(train) + len(test) == 23
    with pytest.raises(ProtocolError):
        list(sample_folds(3, 5))
    subj = ["a", "a", "b", "c", "b"]
    lo = list(subject_folds(subj))
    assert len(lo) == 3
    for train, test in lo:
        assert len({subj[i] for i in test}) == 1
        assert not {subj[i] for i in test} & {subj[i] for i in train}
    with pytest.raises(ProtocolError):
        list(subject_folds(["a", "a"]))
