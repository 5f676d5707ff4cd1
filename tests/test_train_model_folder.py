"""`microexp train`: a model fitted on every sample, saved, loaded back with identical predictions."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import write_composite_fixture

from microexp.datasets import load_dataset
from microexp.errors import ConfigError, DataError
from microexp.pipeline.train import MODEL_CARD, load_trained, train_model


@pytest.fixture(scope="module")
def composite(tmp_path_factory):
    return write_composite_fixture(tmp_path_factory.mktemp("megc") / "megc", subjects_per_dataset=2, per_subject=6)


@pytest.fixture(scope="module")
def svm_folder(composite, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "svm"
    train_model(dataset="megc2019", root=composite, out=out, model="svm", evaluate_loso=True, jobs=1,
                progress=False, echo=lambda s: None)
    return out


def test_svm_folder_round_trip_gives_identical_predictions(composite, svm_folder):
    card = json.loads((svm_folder / MODEL_CARD).read_text())
    assert card["model"] == "svm" and card["input_kind"] == "flow"
    assert card["classes"] == ["negative", "positive", "surprise"]
    assert card["input_encoding"]["kind"] == "megc2019_composite" and card["input_encoding"]["size"] == 28
    assert card["input_encoding"]["channels"] == ["u", "v", "strain"]
    data = card["training_data"]
    assert data["samples"] == 36 and data["subjects"] == 6 and set(data["per_database"]) == {"casme2", "samm", "smic"}
    assert card["estimator"]["format"] == "json_npz"
    assert sorted(p.name for p in svm_folder.glob("estimator.*")) == ["estimator.json", "estimator.npz"]
    assert card["estimator"]["n_classes"] == 3 and card["estimator"]["input"] == {"n_features": 3 * 28 * 28}
    # the LOSO run came first, fold per subject, and its scores are in the card
    assert card["loso"]["folds"] == 6 and (svm_folder / "loso" / "metrics.json").is_file()
    assert card["loso"]["full"]["uf1"] > 0.8  # the fixture's classes are separable

    X = load_dataset("megc2019", composite).arrays("flow")
    first, again = load_trained(svm_folder), load_trained(svm_folder)
    s1, kind = first.scores(X)
    s2, _ = again.scores(X)
    assert kind == "decision" and s1.shape == (36, 3)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(first.predict(X), np.asarray(first.estimator.predict(X)))
    # trained on everything: it reproduces the separable training labels
    assert (first.predict(X) == load_dataset("megc2019", composite).y).mean() > 0.9


def test_torch_model_round_trip(composite, tmp_path):
    import torch

    torch.set_num_threads(1)
    config = tmp_path / "tiny.yaml"
    config.write_text("model: ststnet\ntrainer: {epochs: 2, batch_size: 16}\n")
    out = tmp_path / "ststnet"
    trained = train_model(dataset="megc2019", root=composite, out=out, config=config, echo=lambda s: None)
    card = json.loads((out / MODEL_CARD).read_text())
    assert card["estimator"]["format"] == "torch_state_dict" and card["estimator"]["trainer"]["epochs"] == 2
    state = torch.load(out / "estimator.pt", weights_only=True)  # tensors only
    assert "members" in state
    X = load_dataset("megc2019", composite).arrays("flow")
    p1, kind = trained.scores(X)
    p2, _ = load_trained(out).scores(X)
    assert kind == "probability"
    np.testing.assert_allclose(p1, p2, atol=1e-6)
    np.testing.assert_allclose(p2.sum(axis=1), 1.0, atol=1e-5)


def test_model_folder_errors(svm_folder, tmp_path, composite):
    with pytest.raises(DataError, match="model folder does not exist"):
        load_trained(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="model.json is missing"):
        load_trained(tmp_path / "empty")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / MODEL_CARD).write_text((svm_folder / MODEL_CARD).read_text())
    with pytest.raises(DataError, match="estimator.json is missing"):
        load_trained(broken)
    (broken / "estimator.json").write_bytes(b"not the saved model")
    with pytest.raises(DataError, match="estimator.json: model file does not match its checksum"):
        load_trained(broken)
    (broken / MODEL_CARD).write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_trained(broken)
    with pytest.raises(ConfigError, match="analyse"):
        train_model(dataset="megc2019", root=composite, out=tmp_path / "m", model="smallcnn", echo=lambda s: None)


def test_train_cli_writes_a_model_folder(composite, tmp_path):
    from typer.testing import CliRunner

    from microexp.cli.main import app

    out = tmp_path / "cli_model"
    res = CliRunner().invoke(app, ["train", "--root", str(composite), "--model", "best", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / MODEL_CARD).is_file()
    assert load_trained(out).card["model_requested"] == "best"


def test_nested_model_folder_eats_its_base_models_input(composite, tmp_path):
    cfg = tmp_path / "nested.yaml"
    cfg.write_text("model: nested\nmodel_kwargs: {base: svm, grid: {C: [0.5, 1.0]}, inner_folds: 3}\n")
    out = tmp_path / "nested"
    train_model(dataset="megc2019", root=composite, out=out, config=cfg, jobs=1, progress=False, echo=lambda s: None)
    card = json.loads((out / MODEL_CARD).read_text())
    assert card["model"] == "nested" and card["input_kind"] == "flow"
    trained = load_trained(out)
    assert trained.estimator.best_setting_ in ({"C": 0.5}, {"C": 1.0})
    X = load_dataset("megc2019", composite).arrays("flow")
    np.testing.assert_array_equal(trained.predict(X), trained.estimator.predict(X))
