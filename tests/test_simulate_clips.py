"""Simulated clips: the apex is where the motion peaks, and no amplitude means no motion."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.simulate import Timeline, make_identity, render_clip
from microexp.simulate.emotions import allocate_emotions, sample_expression
from microexp.simulate.timeline import sample_timeline


@pytest.fixture(scope="module")
def face():
    return make_identity(1, seed=0)


def _flow_magnitude_from_onset(frames: np.ndarray) -> np.ndarray:
    import cv2

    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    mags = []
    for g in gray:
        flow = cv2.calcOpticalFlowFarneback(gray[0], g, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        mags.append(float(np.linalg.norm(flow, axis=2).mean()))
    return np.array(mags)


@pytest.mark.parametrize("emotion,apex_fraction,seed", [("happiness", 0.3, 0), ("surprise", 0.65, 1),
                                                        ("repression", 0.45, 3)])
def test_flow_from_onset_peaks_at_the_ground_truth_apex(face, emotion, apex_fraction, seed):
    n = 20
    timeline = Timeline(n, int(apex_fraction * (n - 1)), residual=0.05)
    frames, truth = render_clip(face, emotion, nuisances="none", timeline=timeline, seed=seed)
    assert frames.shape == (n,) + face.image.shape and frames.dtype == np.uint8
    assert truth.apex_index == timeline.apex_index
    mags = _flow_magnitude_from_onset(frames)
    assert abs(int(np.argmax(mags)) - truth.apex_index) <= 2
    assert mags.max() > 0.02
    # the ground truth says the same: landmarks move most at the apex
    moved = np.linalg.norm(truth.landmarks - truth.landmarks[0], axis=2).max(axis=1)
    assert int(np.argmax(moved)) == truth.apex_index
    assert 1.0 < truth.max_displacement_px < 10.0


def test_zero_amplitude_gives_still_frames(face):
    frames, truth = render_clip(face, "surprise", amplitude=0.0, nuisances="none", timeline=Timeline(8, 3), seed=0)
    assert all(np.array_equal(f, frames[0]) for f in frames)
    assert truth.max_displacement_px == 0.0
    assert all(np.all(v == 0) for v in truth.au_intensity.values())


def test_amplitude_scales_the_motion(face):
    tl = Timeline(10, 5)
    peaks = []
    for amp in (0.25, 1.0):
        frames, _ = render_clip(face, "happiness", amplitude=amp, nuisances="none", timeline=tl, seed=4)
        peaks.append(_flow_magnitude_from_onset(frames[[0, 5]])[1])
    assert peaks[1] > 2.5 * peaks[0]


def test_same_seed_same_clip_and_nuisances_change_frames(face):
    a, ta = render_clip(face, "fear", nuisances="hard", timeline=Timeline(6, 2), seed=7)
    b, tb = render_clip(face, "fear", nuisances="hard", timeline=Timeline(6, 2), seed=7)
    assert np.array_equal(a, b) and ta.to_dict() == tb.to_dict()
    c, _ = render_clip(face, "fear", nuisances="hard", timeline=Timeline(6, 2), seed=8)
    assert not np.array_equal(a, c)


def test_timelines_are_micro_and_apex_not_always_central():
    rng = np.random.default_rng(0)
    tls = [sample_timeline(rng, 200.0) for _ in range(200)]
    assert all(5 <= t.n_frames <= 101 for t in tls)
    fractions = np.array([t.apex_index / (t.n_frames - 1) for t in tls])
    assert fractions.min() < 0.3 and fractions.max() > 0.6
    for t in tls[:20]:
        p = t.profile()
        assert p[0] == 0 and p[t.apex_index] == 1 and np.argmax(p) == t.apex_index


def test_emotion_mix_and_codes():
    rng = np.random.default_rng(0)
    mix = allocate_emotions(20, {"happiness": 1, "surprise": 1, "disgust": 2}, rng)
    assert sorted(mix).count("disgust") == 10 and len(mix) == 20
    spec = sample_expression("happiness", rng, one_sided_probability=0.0)
    assert spec.megc3 == "positive" and {"AU12"} <= set(spec.au_intensities)
    assert sample_expression("repression", rng).megc3 == "negative"
    assert sample_expression("others", rng).megc3 is None
