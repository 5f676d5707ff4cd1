"""Calibrating the landmark AU estimator on rendered clips with known AU curves.

Detected landmarks react to subtle motion less than the true points move (the shape model pulls
them toward its mean shape), so a regression fitted on exact geometry under-reads real detections.
Fitting on landmarks *detected* in simulated clips, against the simulator's true AU curves,
absorbs that attenuation and the detector's jitter.
"""
from __future__ import annotations

import numpy as np

from .au_estimation import DEFAULT_AUS, DEFAULT_RIDGE, LandmarkAUEstimator, calibrate_on_landmark_sequences
from .au_estimation import random_au_vectors


def render_calibration_clips(identity_indices, clips_per_identity: int = 4, seed: int = 0, aus=DEFAULT_AUS,
                             nuisances: str = "easy", detect: bool = True, fps: float = 200.0):
    """Landmark sequences (T, 68, 2), AU curves (T, A) and (left, right) side scales of random clips.

    Each clip shows 1–3 random AUs with random intensity and asymmetry on one simulated identity.
    ``detect``: landmarks found by dlib in the frames (True) or the simulator's true ones (False).
    """
    from ...simulate.clip import render_clip
    from ...simulate.emotions import ExpressionSpec
    from ...simulate.identities import make_identity
    from .transfer import track_landmarks

    rng = np.random.default_rng(seed)
    landmark_seqs, au_seqs, scales = [], [], []
    identity_indices = list(identity_indices)
    # one draw for all clips, so the round-robin of primary units spans identities
    intensities, side_scales = random_au_vectors(len(identity_indices) * clips_per_identity, aus, rng)
    for c, idx in enumerate(identity_indices):
        identity = make_identity(int(idx), seed)
        part = slice(c * clips_per_identity, (c + 1) * clips_per_identity)
        for I, side in zip(intensities[part], side_scales[part]):
            spec = ExpressionSpec(None, {a: float(v) for a, v in zip(aus, I) if v > 0},
                                  (float(side[0]), float(side[1])))
            frames, truth = render_clip(identity, spec, fps=fps, nuisances=nuisances, seed=rng)
            curves = np.stack([truth.au_intensity.get(a, np.zeros(truth.n_frames)) for a in aus], axis=1)
            landmark_seqs.append(track_landmarks(frames) if detect else truth.landmarks)
            au_seqs.append(curves)
            scales.append(tuple(side))
    return landmark_seqs, au_seqs, scales


def calibrate_on_rendered_clips(identity_indices, clips_per_identity: int = 4, seed: int = 0, aus=DEFAULT_AUS,
                                nuisances: str = "easy", detect: bool = True,
                                ridge: float = DEFAULT_RIDGE) -> LandmarkAUEstimator:
    """A :class:`LandmarkAUEstimator` fitted on :func:`render_calibration_clips`."""
    lms, curves, scales = render_calibration_clips(identity_indices, clips_per_identity, seed, aus, nuisances, detect)
    return calibrate_on_landmark_sequences(lms, curves, scales, aus, ridge)
