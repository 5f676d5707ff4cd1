"""Paper 002's fine-grained AU modulation on hand-made sequences: eqs. 1–3 and the half faces."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.augment.famgan import (SIZE_DELTAS, join_half_faces, mirrored_half_faces, modulate_au_sequence,
                                     multi_size_average, neutral_correction, temporal_mean_filter)
from microexp.errors import DataError


def test_size_deltas_are_the_papers():
    assert SIZE_DELTAS == (-10, -5, 0, 5, 10)


def test_multi_size_average_visits_every_size_and_averages():
    seen = []

    def estimate(img):
        seen.append(img.shape[:2])
        return np.array([img.shape[0], img.shape[1] * 2.0])

    out = multi_size_average(np.zeros((60, 50, 3), np.uint8), estimate)
    assert sorted(seen) == [(50, 40), (55, 45), (60, 50), (65, 55), (70, 60)]
    np.testing.assert_allclose(out, [60.0, 100.0])  # symmetric Δ: the mean size is the original one


def test_temporal_mean_filter_hand_made():
    seq = np.array([[0.0], [0.0], [3.0], [0.0], [0.0]])
    np.testing.assert_allclose(temporal_mean_filter(seq, 1)[:, 0], [0, 1, 1, 1, 0])
    ramp = np.arange(6.0)[:, None]
    np.testing.assert_allclose(temporal_mean_filter(ramp, 1)[1:-1, 0], ramp[1:-1, 0])  # a line stays a line
    const = np.full((4, 3), 0.7)
    np.testing.assert_allclose(temporal_mean_filter(const, 2), const)  # ends use the frames that exist
    np.testing.assert_allclose(temporal_mean_filter(seq, 0), seq)
    assert temporal_mean_filter(np.ones((7, 2)), 3).shape == (7, 2)
    with pytest.raises(DataError):
        temporal_mean_filter(seq, -1)


def test_neutral_correction_onset_and_previous():
    src = np.array([[1.0, 0.0], [2.0, 0.5], [3.0, 0.2]])
    target = np.array([0.5, 1.0])
    onset = neutral_correction(src, target, alpha=0.1, reference="onset")
    np.testing.assert_allclose(onset, [[0.05, 0.1], [1.05, 0.6], [2.05, 0.3]])
    previous = neutral_correction(src, target, alpha=0.1, reference="previous")
    np.testing.assert_allclose(previous, [[0.05, 0.1], [1.05, 0.6], [1.05, 0.0]])  # −0.2 clipped at 0
    raw = neutral_correction(src, target, alpha=0.1, reference="previous", clip_negative=False)
    assert raw[2, 1] == pytest.approx(-0.2)
    with pytest.raises(DataError):
        neutral_correction(src, np.zeros(3))
    with pytest.raises(DataError):
        neutral_correction(src, target, reference="apex")


def test_identity_offset_is_removed():
    # two detectors' readings of the same motion on two people differ by a constant offset
    motion = np.array([0.0, 0.4, 1.0, 0.4, 0.0])[:, None]
    a = neutral_correction(motion + 0.8, [0.0], alpha=0.0)
    b = neutral_correction(motion + 0.1, [0.0], alpha=0.0)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(modulate_au_sequence(motion + 0.3, [0.0], half_width=0, alpha=0.0), motion)


def test_half_faces_mirror_and_join():
    img = np.arange(6 * 8, dtype=np.uint8).reshape(6, 8)
    mid = 3.5  # between columns 3 and 4
    left_face, right_face = mirrored_half_faces(img, mid)
    np.testing.assert_array_equal(left_face[:, :4], img[:, :4])
    np.testing.assert_array_equal(left_face[:, 4:], img[:, :4][:, ::-1])  # symmetric about the midline
    np.testing.assert_array_equal(right_face[:, :4], img[:, 4:][:, ::-1])
    joined = join_half_faces(np.zeros((6, 8), np.uint8), np.full((6, 8), 200, np.uint8), mid, feather=0)
    assert (joined[:, :4] == 0).all() and (joined[:, 4:] == 200).all()
    with pytest.raises(DataError):
        join_half_faces(np.zeros((6, 8)), np.zeros((6, 9)), mid)
