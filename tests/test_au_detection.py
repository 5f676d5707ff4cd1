"""AU detection: the multi-label detector, the subject-aware evaluation beside its baselines, the
`microexp evaluate --task au` results directory, and the landmark estimator's flow sampling."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from cli_main import run_main
from conftest import write_composite_fixture
from test_au_labels import write_au_sheets

from microexp.datasets.au_labels import attach_au_labels
from microexp.datasets.megc2019 import load_megc2019
from microexp.errors import ConfigError
from microexp.evaluation import au_evaluation
from microexp.evaluation.au_evaluation import AUEvaluationConfig, evaluate_aus
from microexp.recognisers import create_estimator
from microexp.recognisers.au_detection import AUDetector

torch.set_num_threads(1)


def _multilabel_data(n: int = 60, seed: int = 0):
    """Flows whose channel means carry two AUs; a third AU is never present; some labels unknown."""
    rng = np.random.default_rng(seed)
    Y = np.stack([rng.random(n) < 0.4, rng.random(n) < 0.3, np.zeros(n, bool)], axis=1).astype(float)
    X = rng.random((n, 3, 6, 6)).astype(np.float32)
    X[:, 0] += Y[:, 0, None, None]
    X[:, 1] += Y[:, 1, None, None]
    Y[:5, 0] = np.nan
    return X, Y


def test_the_detector_learns_each_au_and_leaves_unknown_labels_out():
    X, Y = _multilabel_data()
    det = create_estimator("au_svm", num_classes=3).fit(X[:40], Y[:40])
    pred, scores = det.predict(X[40:]), det.decision_function(X[40:])
    assert pred.shape == scores.shape == (20, 3) and set(np.unique(pred)) <= {0, 1}
    assert (pred[:, :2] == Y[40:, :2]).mean() > 0.9
    assert det.models_[2] is None and (pred[:, 2] == 0).all()  # never present in training: predicted absent
    assert det.models_[0][-1].shape_fit_[0] == 35  # the five unknown labels of AU 0 are not trained on


def test_mirrored_flows_keep_their_labels_and_one_d_labels_give_classes():
    X, Y = _multilabel_data()
    det = AUDetector(mirror=True).fit(X, np.nan_to_num(Y))
    assert det.models_[0][-1].shape_fit_[0] == 120
    y = np.arange(len(X)) % 3
    X[np.arange(len(X)), y] += 2.0
    clf = AUDetector(classifier="logistic").fit(X, y)
    assert (clf.predict(X) == y).mean() > 0.95 and clf.num_classes_ == 3


@pytest.fixture
def au_composite(tmp_path):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=3, per_subject=6)
    sheets = write_au_sheets(tmp_path / "annotations", root)
    return root, sheets


def test_loso_beats_both_baselines_and_writes_its_results(au_composite, tmp_path):
    root, sheets = au_composite
    table, _ = attach_au_labels(load_megc2019(root), sheets)
    res = evaluate_aus(table, AUEvaluationConfig(model="au_svm", aus=[4, 12, 1]), tmp_path / "run")
    m = res.metrics
    assert m["n_samples"] == 36 and m["folds"] == 6  # SMIC rows have no AU labels
    full = m["full"]
    assert full["mean_f1"] > 0.9 and full["majority_mean_f1"] == 0.0
    p = full["per_au"]["4"]["positives"] / full["per_au"]["4"]["n"]
    assert full["per_au"]["4"]["prior_f1"] == pytest.approx(2 * p / (1 + p))
    assert set(m["by_dataset"]) == {"casme2", "samm"}
    files = sorted(x.name for x in (tmp_path / "run").iterdir())
    assert files == ["au_f1.png", "config.yaml", "metrics.json", "per_au.csv", "predictions.csv"]
    per_au = pd.read_csv(tmp_path / "run" / "per_au.csv")
    assert list(per_au["au"]) == [1, 4, 12] and per_au["f1"].min() > 0.8
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert len(preds) == 36 and {"true:4", "pred:4", "score:4", "fold"} <= set(preds.columns)
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["aus"] == [1, 4, 12]
    with pytest.raises(ConfigError, match="other settings"):
        evaluate_aus(table, AUEvaluationConfig(model="au_logistic", aus=[4]), tmp_path / "run")
    evaluate_aus(table, AUEvaluationConfig(model="au_logistic", aus=[4]), tmp_path / "run", overwrite=True)


def test_no_fold_trains_on_its_test_subject(au_composite, monkeypatch):
    root, sheets = au_composite
    table, _ = attach_au_labels(load_megc2019(root), sheets)
    seen: list[set] = []

    class Spy:
        def fit(self, X, Y, groups):
            seen.append(set(groups))
            assert not np.isnan(Y).all()
            return self

        def decision_function(self, X):
            return np.zeros((len(X), 2))

        def predict(self, X):
            return np.zeros((len(X), 2), int)

    monkeypatch.setattr(au_evaluation, "create_estimator", lambda *a, **k: Spy())
    for protocol in ("loso", "lodo"):
        seen.clear()
        res = evaluate_aus(table, AUEvaluationConfig(protocol=protocol, aus=[4, 12]))
        folds = res.predictions.groupby("fold", sort=False)["subject"].apply(set)
        assert len(seen) == len(folds) > 1
        for training, tested in zip(seen, folds):
            assert not training & tested


def test_evaluate_task_au_writes_the_results_directory(au_composite, tmp_path, capsys):
    root, sheets = au_composite
    out = tmp_path / "cli"
    code, text = run_main(["evaluate", "--task", "au", "--root", root, "--sheets", sheets, "--protocol", "lodo",
                           "--aus", "4,12, 1", "--out", out, "--quiet"], capsys)
    assert code == 0, text
    assert "AU4" in text and "prior F1" in text and "36 AU-coded samples" in text
    assert (out / "au_f1.png").stat().st_size > 0 and (out / "per_au.csv").is_file()
    code, text = run_main(["evaluate", "--task", "au", "--config", out / "config.yaml", "--out", tmp_path / "again",
                           "--quiet"], capsys)  # a run's own config.yaml reproduces it
    assert code == 0, text
    assert (pd.read_csv(tmp_path / "again" / "per_au.csv")["f1"] == pd.read_csv(out / "per_au.csv")["f1"]).all()
    code, text = run_main(["evaluate", "--task", "au", "--root", root, "--sheets", tmp_path, "--out", out], capsys)
    assert code == 2 and "no casme2 coding sheet" in text
    code, text = run_main(["evaluate", "--task", "au", "--root", root, "--sheets", sheets, "--aus", "4;12",
                           "--out", out], capsys)
    assert code == 2 and "--aus must list AU numbers" in text
    code, text = run_main(["evaluate", "--task", "colour", "--root", root, "--out", out], capsys)
    assert code == 2 and "unknown task 'colour'" in text


def test_flow_displacement_is_sampled_where_the_face_moved():
    from microexp.evaluation.landmark_au_check import FLOW_PEAK_IOD, flow_displacement_at

    flow = np.full((3, 28, 28), 0.5)
    flow[1, :7, :] = 0.0  # the top quarter of the face moves up (v < 0), the rest does not
    points = np.zeros((68, 2))
    points[:] = (100, 180)
    points[36:42] = (60, 100)  # eyes 80 px apart: one IOD = 80 px
    points[42:48] = (140, 100)
    points[:10] = (100, 20)  # in the moving band
    shift = flow_displacement_at(flow, points, (224, 224))
    assert shift[:10, 1] == pytest.approx(-FLOW_PEAK_IOD * 80) and np.abs(shift[:10, 0]).max() == 0
    assert np.abs(shift[10:]).max() == 0


def test_landmark_jitter_on_the_ten_real_frames(shared_data):
    from microexp.evaluation.landmark_au_check import real_frames_check
    from microexp.io import read_image

    paths = sorted((shared_data / "casme2-sample").glob("*.jpg"))
    if len(paths) != 10:
        pytest.skip("the ten real CASME II frames are absent")
    check = real_frames_check([read_image(p, "rgb") for p in paths], [1, 4, 12])
    assert check["landmarks_found"] == 10
    assert 0 < check["median_jitter_iod"] < check["flow_peak_iod"]
    assert set(check["max_intensity"]) == {"1", "4", "12"}


def test_without_sheets_the_default_folder_is_used_only_when_it_exists(tmp_path, monkeypatch):
    from microexp.pipeline.au_evaluation import annotations_folder

    monkeypatch.setenv("MICROEXP_SHARED_DATA", str(tmp_path))
    with pytest.raises(ConfigError, match="give --sheets DIR"):
        annotations_folder(None)
    (tmp_path / "annotations").mkdir()
    assert annotations_folder(None) == tmp_path / "annotations"
    assert annotations_folder(tmp_path / "mine") == tmp_path / "mine"
