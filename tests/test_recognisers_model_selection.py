"""Grouped inner cross-validation: folds of whole training subjects, the tuned SVM built on them."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.errors import ProtocolError
from microexp.recognisers import create_model
from microexp.recognisers.model_selection import TunedSVM, inner_subject_folds


def toy_flow(n_subjects: int = 8, per_subject: int = 6, seed: int = 0, noise: float = 0.5):
    """(N, 3, 12, 12) flow-like arrays whose class shows as a brighter patch in one channel."""
    rng = np.random.default_rng(seed)
    n = n_subjects * per_subject
    y = np.tile(np.arange(3), n // 3 + 1)[:n]
    X = rng.random((n, 3, 12, 12)).astype(np.float32) * noise
    for c in range(3):
        X[y == c, c, 2 + 3 * c:5 + 3 * c, 2:6] += 0.5
    groups = np.repeat([f"s{i}" for i in range(n_subjects)], per_subject)
    return X, y, groups


def test_inner_folds_keep_subjects_whole_and_cover_every_sample_once():
    _, y, g = toy_flow(n_subjects=10)
    folds = inner_subject_folds(g, y, 5, seed=3)
    assert len(folds) == 5
    seen = np.concatenate([va for _, va in folds])
    assert sorted(seen.tolist()) == list(range(len(y)))
    for tr, va in folds:
        assert not set(g[tr]) & set(g[va])
    again = inner_subject_folds(g, y, 5, seed=3)
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again))


def test_inner_folds_need_two_subjects():
    _, y, g = toy_flow(n_subjects=1)
    with pytest.raises(ProtocolError, match="two training subjects"):
        inner_subject_folds(g, y, 5, seed=0)


def test_tuned_svm_avoids_a_grid_point_that_cannot_fit():
    X, y, g = toy_flow()
    # γ 10⁴ times "scale": every kernel value off the diagonal is ~0, nothing generalises
    est = TunedSVM(Cs=(1.0,), gamma_scales=(1e4, 1.0), inner_folds=4).fit(X, y, g)
    assert len(est.inner_scores_) == 2
    assert est.inner_scores_["C=1,gamma_scale=1"] > est.inner_scores_["C=1,gamma_scale=10000"] + 0.3
    assert est.gamma_scale_ == 1.0
    p = est.predict_proba(X)
    assert p.shape == (len(X), 3) and np.allclose(p.sum(1), 1.0)
    assert (p.argmax(1) == y).mean() > 0.9


def test_tuned_svm_never_sees_the_test_subjects_labels():
    X, y, g = toy_flow(noise=1.5)
    te = g == "s0"
    shuffled = y.copy()
    shuffled[te] = np.roll(y[te], 1)
    honest = TunedSVM(inner_folds=4).fit(X[~te], y[~te], g[~te]).predict_proba(X[te])
    honest_shuffled = TunedSVM(inner_folds=4).fit(X[~te], shuffled[~te], g[~te]).predict_proba(X[te])
    np.testing.assert_array_equal(honest, honest_shuffled)
    peeking = TunedSVM(inner_folds=4).fit(X, y, g).predict_proba(X[te])
    peeking_shuffled = TunedSVM(inner_folds=4).fit(X, shuffled, g).predict_proba(X[te])
    assert not np.allclose(peeking, peeking_shuffled)


def test_flow_ensemble_tuned_averages_network_and_tuned_svm():
    X, y, g = toy_flow()
    est = create_model("flow_ensemble_tuned", epochs=1, batch_size=16, threads=1, seed=0).fit(X, y, g)
    assert isinstance(est.svm_, TunedSVM)
    p = est.predict_proba(X)
    assert p.shape == (len(X), 3) and np.allclose(p.sum(1), 1.0)
    np.testing.assert_allclose(p, (est.nets_.predict_proba(X) + est.svm_.predict_proba(X)) / 2)


def test_nested_search_chooses_inside_the_training_fold():
    from microexp.recognisers.model_selection import NestedSearch

    X, y, g = toy_flow()
    est = NestedSearch(base="svm", grid={"gamma": [1000.0, "scale"]}, inner_folds=4).fit(X, y, g)
    assert [s["setting"] for s in est.inner_scores_] == [{"gamma": 1000.0}, {"gamma": "scale"}]
    assert est.inner_scores_[1]["inner_uf1"] > est.inner_scores_[0]["inner_uf1"] + 0.3
    assert est.best_setting_ == {"gamma": "scale"} and est.estimator_.gamma == "scale"
    assert (est.predict(X) == y).mean() > 0.9
    te = g == "s0"
    shuffled = y.copy()
    shuffled[te] = np.roll(y[te], 1)
    make = lambda: NestedSearch(base="svm", grid={"C": [0.5, 1.0]}, inner_folds=3)  # noqa: E731
    np.testing.assert_array_equal(make().fit(X[~te], y[~te], g[~te]).predict(X[te]),
                                  make().fit(X[~te], shuffled[~te], g[~te]).predict(X[te]))


def test_nested_search_over_a_trainer_setting_of_a_deep_model():
    from microexp.recognisers.model_selection import NestedSearch

    X, y, g = toy_flow(n_subjects=4)
    est = NestedSearch(base="ststnet", grid={"trainer.epochs": [1, 2]}, inner_folds=2,
                       trainer={"batch_size": 16, "threads": 1}).fit(X, y, g)
    assert est.best_setting_ in ({"trainer.epochs": 1}, {"trainer.epochs": 2})
    assert est.estimator_.epochs == est.best_setting_["trainer.epochs"]
    p = est.predict_proba(X)
    assert p.shape == (len(X), 3) and np.allclose(p.sum(1), 1.0)


def test_nested_takes_its_base_models_input_and_refuses_bad_grids():
    from microexp.errors import ConfigError
    from microexp.recognisers import input_kind_of
    from microexp.recognisers.model_selection import NestedSearch

    assert input_kind_of("nested", {"base": "smallcnn"}) == "face"
    assert input_kind_of("nested") == "flow"  # default base: the SVM
    X, y, g = toy_flow()
    with pytest.raises(ConfigError, match="settings to search"):
        NestedSearch(base="svm").fit(X, y, g)
    with pytest.raises(ConfigError, match="non-empty list"):
        NestedSearch(base="svm", grid={"C": []}).fit(X, y, g)
    with pytest.raises(ConfigError, match="cannot itself be 'nested'"):
        NestedSearch(base="nested", grid={"C": [1.0]}).fit(X, y, g)


def test_nested_model_under_the_outer_protocol(composite_fixture, tmp_path):
    """`model: nested` runs through the ordinary evaluation, eating its base model's arrays."""
    from microexp.datasets.megc2019 import load_megc2019
    from microexp.evaluation import EvaluationConfig, evaluate

    table = load_megc2019(composite_fixture)
    cfg = EvaluationConfig(model="nested", model_kwargs={"base": "svm", "grid": {"gamma": [1000.0, "scale"]},
                                                         "inner_folds": 3})
    assert cfg.resolved().input_kind == "flow"
    res = evaluate(table, cfg, tmp_path / "run", jobs=1, progress=False)
    assert res.metrics["full"]["uf1"] > 0.9


def test_a_configs_trainer_reaches_a_nested_deep_base():
    from microexp.recognisers import create_estimator

    est = create_estimator("nested", num_classes=3, trainer={"epochs": 2},
                           base="ststnet", grid={"trainer.lr": [0.001, 0.01]})
    assert est.trainer == {"epochs": 2}
    assert create_estimator("svm", num_classes=3, trainer={"epochs": 2}).C == 1.0  # no trainer for a plain SVM
