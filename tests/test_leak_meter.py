"""The leak meter: per-epoch test predictions measure test-set selection, and nothing honest reads them."""
import json

import numpy as np
import pytest
import torch

from microexp.datasets.megc2019 import load_megc2019
from microexp.errors import ConfigError
from microexp.evaluation import EvaluationConfig, evaluate
from microexp.evaluation.leak_meter import leak_meter_report, select_epochs
from microexp.metrics import classification_report
from microexp.recognisers import create_estimator
from microexp.training.classifier import TorchClassifier

CLASSES = ("negative", "positive", "surprise")
TINY_TRAINER = {"epochs": 4, "batch_size": 16, "lr": 3e-3, "threads": 1}


def test_selection_takes_each_subjects_most_accurate_epoch_ties_to_the_later():
    y = [np.array([0, 1, 2]), np.array([1, 1])]
    preds = [np.array([[0, 1, 2], [0, 0, 0], [0, 1, 2], [2, 2, 2]]),   # epochs 1 and 3 perfect: the later, 3
             np.array([[1, 1], [0, 0], [0, 1], [0, 0]])]                # epoch 1 only
    assert select_epochs(preds, y) == [2, 0]


def test_selected_score_is_never_below_the_honest_last_epoch_on_a_constructed_run():
    rng = np.random.default_rng(0)
    y_tests = [rng.integers(0, 3, size=rng.integers(2, 9)) for _ in range(12)]
    # a model that learns and then drifts: the last epoch is noisier than the middle ones
    epoch_preds = []
    for y in y_tests:
        rows = []
        for e in range(10):
            noise = 0.7 if e < 3 else (0.2 if e < 7 else 0.5)
            flip = rng.random(len(y)) < noise
            rows.append(np.where(flip, rng.integers(0, 3, len(y)), y))
        epoch_preds.append(np.array(rows))
    y = np.concatenate(y_tests)
    honest = classification_report(y, np.concatenate([p[-1] for p in epoch_preds]), CLASSES)
    report = leak_meter_report(epoch_preds, y_tests, CLASSES, honest)
    assert report["selected"]["accuracy"] >= honest["accuracy"]
    assert report["selected"]["uf1"] > honest["uf1"] + 0.1
    assert report["inflation"]["uf1"] == pytest.approx(report["selected"]["uf1"] - honest["uf1"])
    assert report["per_epoch_uf1"][-1] == pytest.approx(honest["uf1"], abs=1e-6)
    assert report["best_fixed_epoch"]["uf1"] == pytest.approx(max(report["per_epoch_uf1"]), abs=1e-6)
    assert "leaks" in report["label"]


def _flows(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 3, 28, 28)).astype(np.float32)
    X[:, 0, :8, :8] += y[:, None, None] * 1.5
    return X, y, np.repeat(np.arange(n // 4), 4)


def test_watching_leaves_training_and_predictions_bit_identical():
    X, y, g = _flows()
    kw = dict(num_classes=3, seed=1, epochs=3, batch_size=16, threads=1, tta_flip=True)
    plain = TorchClassifier("ststnet", **kw).fit(X[:32], y[:32], g[:32])
    watched = TorchClassifier("ststnet", **kw).watch(X[32:]).fit(X[:32], y[:32], g[:32])
    np.testing.assert_array_equal(plain.predict_proba(X[32:]), watched.predict_proba(X[32:]))
    assert watched.epoch_probas_.shape == (3, 8, 3)
    np.testing.assert_allclose(watched.epoch_probas_[-1], watched.predict_proba(X[32:]), atol=1e-6)
    assert plain.epoch_probas_ is None


def test_the_ensemble_watches_through_its_network():
    X, y, g = _flows()
    est = create_estimator("flow_ensemble", num_classes=3, seed=0, epochs=2, threads=1)
    est.watch(X[32:]).fit(X[:32], y[:32], g[:32])
    assert est.epoch_probas_.shape == (2, 8, 3)
    np.testing.assert_allclose(est.epoch_probas_[-1], est.predict_proba(X[32:]), atol=1e-6)


def _run(table, out, **extra):
    cfg = EvaluationConfig(model="ststnet", trainer=TINY_TRAINER, leak_meter=True, **extra)
    return evaluate(table, cfg, out, jobs=1, progress=False)


def test_the_honest_path_never_reads_the_per_epoch_records(composite_fixture, tmp_path):
    table = load_megc2019(composite_fixture)
    out = tmp_path / "run"
    first = _run(table, out)
    meter = json.loads((out / "leak_meter.json").read_text())
    assert meter["available"] and meter["epochs"] == TINY_TRAINER["epochs"]
    assert meter["honest"]["uf1"] == first.metrics["full"]["uf1"]
    assert meter["selected"]["accuracy"] >= first.metrics["full"]["accuracy"]   # the last epoch is a candidate
    assert (out / "leak_meter.png").is_file()
    # Rewrite every per-epoch record as a wrong guess: a run whose honest numbers read these
    # records would now score 0; the honest result must not move.
    for path in (out / "epochs").glob("*.json"):
        rec = json.loads(path.read_text())
        wrong = ((table.y[np.asarray(rec["test"])] + 1) % 3).tolist()
        rec["epoch_pred"] = [wrong] * len(rec["epoch_pred"])
        path.write_text(json.dumps(rec))
    (out / "metrics.json").unlink()
    second = _run(table, out)
    assert second.folds_resumed == second.metrics["folds"]
    assert second.metrics["full"] == first.metrics["full"]
    poisoned = json.loads((out / "leak_meter.json").read_text())
    assert poisoned["selected"]["uf1"] == 0.0
    assert second.metrics["full"]["uf1"] > 0.5


def test_a_classical_model_reports_no_leak_meter(composite_fixture, tmp_path):
    table = load_megc2019(composite_fixture)
    evaluate(table, EvaluationConfig(model="svm", leak_meter=True), tmp_path / "run", jobs=1, progress=False)
    meter = json.loads((tmp_path / "run" / "leak_meter.json").read_text())
    assert meter["available"] is False and "no epochs" in meter["reason"]


def test_auxiliary_targets_train_a_second_head_and_leave_the_network_plain():
    X, y, g = _flows()
    aux = np.stack([(y == 0), (y == 2)], axis=1).astype(float)
    aux[::5] = np.nan                                     # unknown labels are masked
    kw = dict(num_classes=3, seed=0, epochs=3, batch_size=16, threads=1)
    plain = TorchClassifier("ststnet", **kw).fit(X, y, g)
    multi = TorchClassifier("ststnet", aux_weight=1.0, **kw).fit(X, y, g, aux=aux)
    assert not np.allclose(plain.predict_proba(X), multi.predict_proba(X))
    net = multi.models_[0]
    assert set(net.state_dict()) == set(plain.models_[0].state_dict())
    assert all(not m._forward_pre_hooks for m in net.modules() if isinstance(m, torch.nn.Linear))
    with pytest.raises(Exception, match="1 \\(present\\), 0 \\(absent\\) or NaN"):
        TorchClassifier("ststnet", aux_weight=1.0, **kw).fit(X, y, g, aux=aux * 3)


def test_aux_targets_must_be_columns_of_the_table(composite_fixture, tmp_path):
    table = load_megc2019(composite_fixture)
    cfg = EvaluationConfig(model="ststnet", trainer={**TINY_TRAINER, "aux_weight": 0.5}, aux_targets=["au:12"])
    with pytest.raises(ConfigError, match="au:12"):
        evaluate(table, cfg, tmp_path / "run", jobs=1, progress=False)
    assert not (tmp_path / "run" / "config.yaml").exists()


def test_aux_targets_reach_the_trainer_through_a_run(composite_fixture, tmp_path, monkeypatch):
    table = load_megc2019(composite_fixture)
    table.df["au:x"] = (table.y == 1).astype(float)
    table.df.loc[table.df["dataset"] == "smic", "au:x"] = np.nan
    seen = []
    real_fit = TorchClassifier.fit

    def recording_fit(self, X, y, groups=None, aux=None):
        seen.append((len(y), None if aux is None else np.asarray(aux)))
        return real_fit(self, X, y, groups, aux=aux)

    monkeypatch.setattr(TorchClassifier, "fit", recording_fit)
    cfg = EvaluationConfig(model="ststnet", trainer={**TINY_TRAINER, "aux_weight": 1.0, "epochs": 1},
                           aux_targets=["au:x"])
    res = evaluate(table, cfg, tmp_path / "multi", jobs=1, progress=False)
    assert len(seen) == res.metrics["folds"]
    for n, aux in seen:                      # each fold trains on its training rows' labels only
        assert aux.shape == (n, 1) and np.isnan(aux).any() and np.nanmax(aux) == 1.0
    # the aux labels are part of the run's identity: changed labels are not resumed
    table.df["au:x"] = (table.y == 2).astype(float)
    with pytest.raises(ConfigError, match="samples"):
        evaluate(table, cfg, tmp_path / "multi", jobs=1, progress=False)


def test_evaluate_cli_leak_meter_prints_the_leaked_score_apart(composite_fixture, tmp_path, capsys):
    import yaml
    from cli_main import run_main

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump({"model": "ststnet", "trainer": TINY_TRAINER}))
    out = tmp_path / "cli"
    code, text = run_main(["evaluate", "--root", composite_fixture, "--config", cfg, "--out", out,
                           "--leak-meter", "--jobs", "1", "--quiet"], capsys)
    assert code == 0, text
    meter = json.loads((out / "leak_meter.json").read_text())
    assert meter["available"] and yaml.safe_load((out / "config.yaml").read_text())["leak_meter"] is True
    assert "test-selected, LEAKS" in text and f"{meter['selected']['uf1']:.4f}" in text
