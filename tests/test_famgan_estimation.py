"""Landmark-geometry AU estimation calibrated on the simulator's AU model, and AU transfer by warping."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.augment.famgan import (GeneratedClip, LandmarkAUEstimator, WarpAUGenerator, animate_face,
                                     calibrate_on_displacements, sided_au_dict, transfer_clip, write_casme2_clips)
from microexp.errors import ConfigError, DataError
from microexp.simulate import au_displacements, make_identity, render_clip


@pytest.fixture(scope="module")
def identity():
    return make_identity(0, 3)


@pytest.fixture(scope="module")
def estimator(identity):
    return calibrate_on_displacements([identity.landmarks], n_samples=300, seed=0)


def test_recovers_au_intensities_and_sides(identity, estimator):
    L = identity.landmarks
    aus = estimator.aus
    j12, j1 = aus.index("AU12"), aus.index("AU1")
    intensities = np.linspace(0, 1.2, 7)
    est = [estimator.predict(np.stack([L, L + au_displacements(L, {"AU12": v})]))[1, j12] for v in intensities]
    assert np.corrcoef(est, intensities)[0, 1] > 0.95
    assert est[-1] == pytest.approx(1.2, abs=0.35)
    # an AU that did not happen reads low
    moved = L + au_displacements(L, {"AU12": 1.0})
    assert estimator.predict(np.stack([L, moved]))[1, j1] < 0.3
    # one-sided: the subject's left side only
    left, right = estimator.predict_sides(np.stack([L, L + au_displacements(L, {"AU12": 1.0}, side_scale=(1.0, 0.0))]))
    assert left[1, j12] > 0.6 and right[1, j12] < 0.3
    # the neutral frame reads zero
    assert np.allclose(estimator.predict(L[None])[0], 0, atol=1e-6)


def test_roundtrip_and_errors(identity, estimator):
    again = LandmarkAUEstimator.from_dict(estimator.to_dict())
    L = identity.landmarks
    seq = np.stack([L, L + au_displacements(L, {"AU26": 0.8})])
    np.testing.assert_allclose(again.predict(seq), estimator.predict(seq))
    with pytest.raises(ConfigError):
        LandmarkAUEstimator().predict(seq)
    with pytest.raises(DataError):
        estimator.predict(np.zeros((2, 10, 2)))


def test_sided_keys():
    assert sided_au_dict({"AU12": 0.5, "AU1": 0.0}, {"AU12": 0.2}) == {"L12": 0.5, "R12": 0.2}


def test_transfer_with_known_landmarks_moves_the_target(identity, estimator, tmp_path):
    target = make_identity(1, 3)
    frames, truth = render_clip(identity, {"AU12": 1.2}, nuisances="none", seed=0)
    step = max(1, truth.n_frames // 8)
    keep = np.arange(0, truth.n_frames, step)
    res = transfer_clip(frames[keep], target.image, estimator, target_landmarks=target.landmarks,
                        source_landmarks=truth.landmarks[keep], half_width=0)
    assert res.frames.shape == (len(keep),) + target.image.shape
    j = estimator.aus.index("AU12")
    apex = int(np.argmax(truth.profile[keep]))
    assert res.left[apex, j] > 0.5 and res.left[0, j] == 0
    np.testing.assert_array_equal(res.frames[0], target.image)  # onset: nothing moves
    diff = np.abs(res.frames[apex].astype(int) - target.image.astype(int)).mean(axis=2)
    mouth = target.landmarks[48:60]
    x0, y0 = mouth.min(0).astype(int) - 5
    x1, y1 = mouth.max(0).astype(int) + 5
    assert diff[y0:y1, x0:x1].mean() > 3 * diff.mean()  # the motion is around the mouth

    # without side support the pipeline joins two half-face generations
    class Symmetric:
        def __call__(self, image, landmarks, aus_left, aus_right):
            return WarpAUGenerator()(image, landmarks, aus_left, aus_left)

    joined = animate_face(target.image, target.landmarks, res.left[apex:apex + 1], res.right[apex:apex + 1],
                          estimator.aus, Symmetric())
    assert joined.shape == (1,) + target.image.shape

    clip = GeneratedClip("01", "GEN_01", res.frames, apex_index=apex, emotion="happiness", action_units=12)
    root = write_casme2_clips(tmp_path / "gen", [clip])
    from microexp.datasets.casme2 import load_casme2

    table = load_casme2(root)
    assert len(table) == 1 and table.df.loc[0, "label"] == "happiness"
    assert int(table.df.loc[0, "offset"]) - int(table.df.loc[0, "onset"]) + 1 == len(keep)
