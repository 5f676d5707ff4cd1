"""The generator follows its class condition: on an easy problem a classifier fitted on real data
assigns samples asked for class k to class k far more often than chance."""
from __future__ import annotations

import numpy as np
import torch

from microexp.augment.cgan import FlowGANAugmenter, class_fidelity, diversity

torch.set_num_threads(1)


def easy_problem(n_per_class=40, size=12, seed=0):
    """Class k = channel k bright, others dark, plus noise (separable by a linear classifier)."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(3):
        base = np.full((n_per_class, 3, size, size), 0.2, np.float32)
        base[:, k] = 0.8
        X.append(np.clip(base + rng.normal(0, 0.08, base.shape), 0, 1).astype(np.float32))
        y.append(np.full(n_per_class, k))
    return np.concatenate(X), np.concatenate(y)


def test_samples_follow_their_class_condition():
    X, y = easy_problem()
    aug = FlowGANAugmenter(per_class=30, epochs=15, seed=0, generator_width=16, discriminator_width=8, latent_dim=16)
    X_syn, y_syn = aug.fit_generate(X, y, None, 0)
    from sklearn.linear_model import LogisticRegression

    fid = class_fidelity(X, y, X_syn, y_syn, classifier=LogisticRegression(max_iter=200))
    assert fid["chance"] == 1 / 3
    assert fid["accuracy"] > 0.6, fid  # chance is 0.33
    div = diversity(X, y, X_syn, y_syn)
    assert set(div) == {0, 1, 2}
    assert all(np.isfinite(v["spread_ratio"]) and v["spread_ratio"] > 0 for v in div.values())
