"""The recogniser `microexp analyse` uses by default: the simulator-trained STSTNet as a model folder,
its card honest about what trained it and how it scores on real data; the benchmark that rebuilds it."""
from __future__ import annotations

import json

import numpy as np
import pytest

from microexp.identity import file_digest
from microexp.recognisers.ensemble import SIM_NET_WEIGHTS
from microexp.recognisers.model_folder import BUILTIN_MODEL, load_trained, resolve_model
from microexp.training.classifier import TorchClassifier


def test_builtin_is_the_packaged_simulator_network():
    trained = load_trained("builtin")  # checked like any model folder: checksums, classes, input shape
    assert trained.directory == BUILTIN_MODEL == resolve_model(None)
    assert resolve_model("models/svm").name == "svm"
    card = trained.card
    assert card["training_data"]["dataset"] == "simulated" and card["training_data"]["real_samples"] == 0
    assert card["classes"] == ["negative", "positive", "surprise"] and card["loso"] is None
    # the same tensors as the third vote of `best`, so the figures measured for that network apply
    assert card["estimator"]["files"]["weights"]["sha256"] == file_digest(SIM_NET_WEIGHTS)
    x = np.random.default_rng(0).random((12, 3, 28, 28), dtype=np.float32)
    direct = TorchClassifier("ststnet", num_classes=3, tta_flip=True).load(SIM_NET_WEIGHTS)
    assert np.allclose(trained.scores(x)[0], direct.predict_proba(x), atol=1e-6)


def test_its_card_gives_its_real_scores(megc2019_root):
    from microexp.datasets.megc2019 import load_megc2019
    from microexp.metrics import classification_report

    table = load_megc2019(megc2019_root)
    held = load_trained("builtin").card["held_out"]
    assert held["samples"] == len(table) == 442 and held["subjects"] == table.df["subject"].nunique()
    pred = load_trained("builtin").predict(table.arrays("flow"))
    for name in ("full", "casme2", "samm", "smic"):
        keep = np.ones(len(pred), bool) if name == "full" else table.df["dataset"].to_numpy() == name
        rep = classification_report(table.y[keep], pred[keep], table.classes)
        assert held[name]["uf1"] == pytest.approx(rep["uf1"], abs=1e-4), name
        assert held[name]["uar"] == pytest.approx(rep["uar"], abs=1e-4), name


def test_the_benchmark_rebuilds_an_equal_folder(load_benchmark, composite_fixture, tmp_path, capsys):
    out = tmp_path / "rec"
    summary = load_benchmark("builtin_recogniser").main(["--root", str(composite_fixture), "--out", str(out)])
    assert summary["folder_predicts_as_the_network"] and summary["samples"] > 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["full"] == summary["full"]
    rebuilt, shipped = load_trained(out).card, load_trained("builtin").card
    assert rebuilt["estimator"]["files"] == shipped["estimator"]["files"]
    assert rebuilt["held_out"]["full"] == line["full"] and rebuilt["training_data"]["subjects"] == 60


def test_a_bad_pretrain_file_exits_2_naming_it_and_writes_nothing(load_benchmark, composite_fixture, tmp_path, capsys):
    bench = load_benchmark("builtin_recogniser")
    bad = tmp_path / "pretrain.json"
    for content, words in (("{not json", "not JSON"), ('{"weights_sha256": "00"}', "other weights")):
        bad.write_text(content)
        out = tmp_path / "rec"
        with pytest.raises(SystemExit) as exc:
            bench.main(["--root", str(composite_fixture), "--pretrain", str(bad), "--out", str(out)])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and str(bad) in err and words in err and not out.exists(), err
