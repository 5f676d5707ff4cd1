"""Paired subject-bootstrap comparison of two conditions over seeds."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.errors import DataError
from microexp.evaluation.paired import mean_and_std, paired_subject_bootstrap
from microexp.metrics import unweighted_f1


def _case(seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 60)
    subjects = np.repeat(np.arange(12), 5)
    return y, subjects, rng


def test_identical_conditions_differ_by_nothing():
    y, subjects, rng = _case()
    p = rng.integers(0, 3, 60)
    r = paired_subject_bootstrap([p, p], [p, p], y, subjects, 3, n_resamples=200)
    assert r["uf1_difference"] == 0 and r["uf1_ci95"] == [0, 0] and r["uar_ci95"] == [0, 0]
    assert r["seeds"] == 2 and r["subjects"] == 12
    assert r["only_first_correct"] == r["only_second_correct"] == 0


def test_difference_is_the_mean_over_seeds_and_the_interval_contains_it():
    y, subjects, rng = _case(1)
    a = [np.where(rng.random(60) < 0.8, y, (y + 1) % 3) for _ in range(3)]
    b = [np.where(rng.random(60) < 0.4, y, (y + 1) % 3) for _ in range(3)]
    r = paired_subject_bootstrap(a, b, y, subjects, 3, n_resamples=300)
    expected = np.mean([unweighted_f1(y, pa, 3) - unweighted_f1(y, pb, 3) for pa, pb in zip(a, b)])
    assert r["uf1_difference"] == pytest.approx(expected)
    lo, hi = r["uf1_ci95"]
    assert lo < r["uf1_difference"] < hi and lo > 0  # a clearly better condition
    assert r["only_first_correct"] > r["only_second_correct"]


def test_unpaired_runs_are_refused():
    y, subjects, rng = _case()
    p = rng.integers(0, 3, 60)
    with pytest.raises(DataError, match="pair up"):
        paired_subject_bootstrap([p, p], [p], y, subjects, 3)
    with pytest.raises(DataError, match="one prediction per test sample"):
        paired_subject_bootstrap([p[:10]], [p], y, subjects, 3)


def test_mean_and_std():
    stats = mean_and_std([0.5, 0.7])
    assert stats["mean"] == pytest.approx(0.6) and stats["values"] == [0.5, 0.7]
    assert stats["std"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert mean_and_std([0.4])["std"] == 0.0


def test_class_indices_outside_the_classes_are_refused():
    y = np.array([0, 1, 2, 0])
    with pytest.raises(DataError, match="preds_b"):
        paired_subject_bootstrap(y, np.array([0, 1, 3, 0]), y, np.array(["a", "a", "b", "b"]), 3, n_resamples=10)
