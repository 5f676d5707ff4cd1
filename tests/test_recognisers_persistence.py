"""Saved recognisers: every registered model reloads with identical outputs, and a model folder
whose files would run code (or disagree with their card) is refused before anything runs."""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import write_composite_fixture
from test_models_registry import TINY

from microexp.errors import ConfigError, DataError
from microexp.pipeline.train import MODEL_CARD, load_trained, train_model
from microexp.recognisers import create_estimator, create_model, get_spec, list_models
from microexp.recognisers.persistence import (
    fitted_class_count,
    load_estimator,
    save_estimator,
)

torch.set_num_threads(1)
SRC = Path(__file__).resolve().parents[1] / "src"

#: Small budgets per recogniser (deep models: TINY widths, one epoch).
FIT_KWARGS = {
    "flow_ensemble": {"epochs": 1},
    "flow_ensemble_tuned": {"epochs": 1},
    "flow_ensemble_wide": {"epochs": 1},
    "flow_ensemble_x3": {"epochs": 1, "members": 2},  # two seeds: a list of networks inside the tree
    "svm_tuned": {"Cs": (0.5, 1.0), "gamma_scales": (1.0,), "inner_folds": 2},
    "nested": {"base": "svm", "grid": {"C": [0.5, 1.0]}, "inner_folds": 2},
}


def _data(kind: str, n_subjects: int = 4, per_subject: int = 6):
    """Separable tiny inputs: (N, 3, 28, 28) float for image models, (N, 40) for LBP-TOP features."""
    rng = np.random.default_rng(0)
    n = n_subjects * per_subject
    y = np.arange(n) % 3
    groups = np.repeat(np.arange(n_subjects), per_subject)
    if kind == "lbptop":
        X = rng.random((n, 40))
        X[np.arange(n), y] += 2.0
        return X, y, groups
    X = rng.random((n, 3, 28, 28)).astype(np.float32)
    X[np.arange(n), y] += 0.5
    return X, y, groups


def _outputs(est, X) -> dict:
    return {m: np.asarray(getattr(est, m)(X)) for m in ("predict", "predict_proba", "decision_function")
            if hasattr(est, m)}


def _round_trip(est, X, folder: Path):
    record = json.loads(json.dumps(save_estimator(est, folder)))  # as model.json holds it
    loaded = load_estimator(folder, record)
    before, after = _outputs(est, X), _outputs(loaded, X)
    assert set(before) == set(after)
    for method in before:
        np.testing.assert_array_equal(before[method], after[method], err_msg=method)
    return record, loaded


@pytest.mark.parametrize("name", list_models())
def test_every_recogniser_reloads_with_identical_outputs(name, tmp_path):
    spec = get_spec(name)
    X, y, groups = _data("lbptop" if spec.input_kind == "lbptop" else "image")
    if spec.family == "torch":
        est = create_estimator(name, num_classes=3, seed=0, trainer={"epochs": 1, "batch_size": 8},
                               **TINY.get(name, {}))
    else:
        est = create_estimator(name, num_classes=3, seed=0, **FIT_KWARGS.get(name, {}))
    est.fit(X, y, groups)
    record, loaded = _round_trip(est, X, tmp_path)
    assert type(loaded) is type(est) and fitted_class_count(loaded) == 3
    files = sorted(p.name for p in tmp_path.iterdir())
    if spec.family == "torch":
        assert record["format"] == "torch_state_dict" and files == ["estimator.pt"]
        assert record["input"] == {"channels": 3}
    else:
        assert record["format"] == "json_npz" and files == ["estimator.json", "estimator.npz"]
        with np.load(tmp_path / "estimator.npz", allow_pickle=False) as arrays:
            assert all(arrays[k].dtype.kind in "biufcU" for k in arrays.files)
    for role, entry in record["files"].items():
        assert entry["sha256"] == hashlib.sha256((tmp_path / entry["file"]).read_bytes()).hexdigest(), role


def test_nested_search_over_a_deep_model_reloads(tmp_path):
    """A network inside the JSON tree (``estimator_``): settings + state dicts, rebuilt from the registry."""
    X, y, groups = _data("image")
    # built from the registry directly: create_estimator keeps its own ``trainer`` for deep models
    est = create_model("nested", base="ststnet", grid={"trainer.lr": [1e-3, 3e-3]},
                       trainer={"epochs": 1, "batch_size": 8}, inner_folds=2).fit(X, y, groups)
    record, loaded = _round_trip(est, X, tmp_path)
    assert record["format"] == "json_npz" and record["input"] == {"channels": 3}
    assert type(loaded.estimator_).__name__ == "TorchClassifier" and loaded.best_setting_ == est.best_setting_


def test_a_deep_model_record_of_format_version_1_still_loads(tmp_path):
    """Version 1 cards named the weights file and its checksum at the top level of the record."""
    X, y, groups = _data("image")
    est = create_estimator("ststnet", num_classes=3, trainer={"epochs": 1, "batch_size": 8}).fit(X, y, groups)
    record = save_estimator(est, tmp_path)
    legacy = {k: v for k, v in record.items() if k not in ("files", "n_classes", "input")}
    legacy.update(record["files"]["weights"])
    np.testing.assert_array_equal(load_estimator(tmp_path, legacy).predict_proba(X), est.predict_proba(X))
    del legacy["sha256"]
    with pytest.raises(DataError, match="sha256"):
        load_estimator(tmp_path, legacy)


def test_an_attribute_that_is_not_data_is_not_saved(tmp_path):
    X, y, groups = _data("image")
    est = create_estimator("svm", num_classes=3).fit(X, y, groups)
    est.hook_ = lambda: None
    with pytest.raises(ConfigError, match="hook_"):
        save_estimator(est, tmp_path)


# ------------------------------------------------------------------------------------ model folders
class _CreatesMarker:
    """Unpickling this creates ``marker``: what a model file must never get to do."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def svm_folder(tmp_path_factory):
    root = write_composite_fixture(tmp_path_factory.mktemp("megc") / "megc", subjects_per_dataset=2, per_subject=3)
    out = tmp_path_factory.mktemp("models") / "svm"
    train_model(dataset="megc2019", root=root, out=out, model="svm", echo=lambda s: None)
    return out


@pytest.fixture
def folder(svm_folder, tmp_path) -> Path:
    """A fresh copy of the trained SVM folder to tamper with."""
    return Path(shutil.copytree(svm_folder, tmp_path / "model"))


def _card(folder: Path) -> dict:
    return json.loads((folder / MODEL_CARD).read_text())


def _write_card(folder: Path, card: dict) -> None:
    (folder / MODEL_CARD).write_text(json.dumps(card))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _analyse_exit(folder: Path, tmp_path: Path, monkeypatch, capsys) -> tuple[int, str]:
    """``microexp analyse CLIP --model FOLDER --out OUT`` through the CLI's entry point."""
    from microexp.cli.main import main

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not reached: the model folder is checked first")
    monkeypatch.setattr(sys, "argv", ["microexp", "analyse", str(clip), "--model", str(folder),
                                      "--out", str(tmp_path / "report")])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr().err


def test_trained_folder_holds_no_pickle(svm_folder):
    card = _card(svm_folder)
    record = card["estimator"]
    assert card["format_version"] == 2 and record["format"] == "json_npz" and set(record["files"]) == {"tree", "arrays"}
    assert record["n_classes"] == 3 and record["input"] == {"n_features": 3 * 28 * 28}
    assert not list(svm_folder.glob("*.pkl"))
    tree = json.loads((svm_folder / "estimator.json").read_text())
    assert tree["estimator"]["__class__"] == "microexp.models.svm.FlattenedSVM"


def test_missing_checksum_is_refused(folder, tmp_path, monkeypatch, capsys):
    card = _card(folder)
    del card["estimator"]["files"]["arrays"]["sha256"]
    _write_card(folder, card)
    code, err = _analyse_exit(folder, tmp_path, monkeypatch, capsys)
    assert code == 2 and "sha256" in err and MODEL_CARD in err


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_a_file_outside_the_folder_is_refused(how, folder, tmp_path, monkeypatch, capsys):
    marker = tmp_path / "payload_ran"
    payload = (folder.parent / "outside.pkl")
    import pickle

    payload.write_bytes(pickle.dumps(_CreatesMarker(marker)))
    name = {"dotdot": "../outside.pkl", "absolute": str(payload), "symlink": "linked.pkl"}[how]
    if how == "symlink":
        (folder / "linked.pkl").symlink_to(payload)
    card = _card(folder)
    card["estimator"]["files"]["tree"] = {"file": name, "sha256": _sha256(payload.read_bytes())}
    _write_card(folder, card)
    code, err = _analyse_exit(folder, tmp_path, monkeypatch, capsys)
    assert code == 2 and MODEL_CARD in err
    assert {"dotdot": "'..'", "absolute": "absolute path", "symlink": "outside the model folder"}[how] in err
    assert not marker.exists()


def test_code_in_a_torch_weights_file_is_refused(folder, tmp_path, monkeypatch, capsys):
    marker = tmp_path / "payload_ran"
    weights = folder / "estimator.pt"
    torch.save({"mean": torch.zeros(1, 3, 1, 1), "std": torch.ones(1, 3, 1, 1),
                "members": [_CreatesMarker(marker)]}, weights)
    armed = tmp_path / "armed_copy_ran"  # the payload is live: an unrestricted load would run it
    torch.save({"members": [_CreatesMarker(armed)]}, tmp_path / "armed.pt")
    torch.load(tmp_path / "armed.pt", weights_only=False)
    assert armed.exists()

    card = _card(folder)
    card["estimator"] = {"format": "torch_state_dict", "model_name": "ststnet", "num_classes": 3, "seed": 0,
                         "model_kwargs": {}, "trainer": {"epochs": 1},
                         "files": {"weights": {"file": "estimator.pt", "sha256": _sha256(weights.read_bytes())}}}
    _write_card(folder, card)
    code, err = _analyse_exit(folder, tmp_path, monkeypatch, capsys)
    assert code == 2 and "estimator.pt" in err and "tensors" in err
    assert not marker.exists()


def test_an_object_array_is_refused(folder, tmp_path):
    marker = tmp_path / "payload_ran"
    buf = io.BytesIO()
    np.savez(buf, a0=np.array([_CreatesMarker(marker)], dtype=object))
    (folder / "estimator.npz").write_bytes(buf.getvalue())
    card = _card(folder)
    card["estimator"]["files"]["arrays"]["sha256"] = _sha256(buf.getvalue())
    _write_card(folder, card)
    with pytest.raises(DataError, match=r"estimator\.npz.*unpickling"):
        load_trained(folder)
    assert not marker.exists()


def test_a_class_outside_the_allow_list_is_refused(folder):
    tree_file = folder / "estimator.json"
    text = tree_file.read_text().replace("microexp.models.svm.FlattenedSVM", "builtins.eval")
    tree_file.write_text(text)
    card = _card(folder)
    card["estimator"]["files"]["tree"]["sha256"] = _sha256(text.encode())
    _write_card(folder, card)
    with pytest.raises(DataError, match=r"estimator\.json.*'builtins\.eval' is not one a model may contain"):
        load_trained(folder)


def test_inconsistent_svm_arrays_are_refused(folder):
    tree = json.loads((folder / "estimator.json").read_text())
    name = re.search(r'"_n_support": \{"__array__": "(a\d+)"\}', json.dumps(tree)).group(1)
    with np.load(folder / "estimator.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[name] = arrays[name] + 5  # counts beyond the stored support vectors
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (folder / "estimator.npz").write_bytes(buf.getvalue())
    card = _card(folder)
    card["estimator"]["files"]["arrays"]["sha256"] = _sha256(buf.getvalue())
    _write_card(folder, card)
    with pytest.raises(DataError, match="disagree in size"):
        load_trained(folder)


def test_a_changed_file_or_an_unknown_format_is_refused(folder):
    (folder / "estimator.npz").write_bytes(b"PK not the saved arrays")
    with pytest.raises(DataError, match=r"estimator\.npz: model file does not match its checksum"):
        load_trained(folder)
    card = _card(folder)
    card["estimator"]["format"] = "pickle"
    _write_card(folder, card)
    with pytest.raises(DataError, match=r"model\.json: .*pickle, which is no longer loaded"):
        load_trained(folder)
    card["estimator"]["format"] = "joblib"
    _write_card(folder, card)
    with pytest.raises(DataError, match="unknown estimator format 'joblib'"):
        load_trained(folder)


def test_class_names_must_match_the_estimator(folder, tmp_path, monkeypatch, capsys):
    card = _card(folder)
    card["classes"] = ["a", "b", "c", "d", "e"]  # five names on a three-class SVM
    _write_card(folder, card)
    with pytest.raises(DataError, match=r"model\.json: classes lists 5 names .* predicts 3 classes"):
        load_trained(folder)
    code, err = _analyse_exit(folder, tmp_path, monkeypatch, capsys)
    assert code == 2 and "classes" in err


@pytest.mark.parametrize("edit", ["input_shape", "encoding_size", "encoding_channels"])
def test_input_shape_must_match_the_estimator(edit, folder):
    card = _card(folder)
    if edit == "input_shape":
        card["training_data"]["input_shape"] = [3, 32, 32]
    elif edit == "encoding_size":
        card["input_encoding"]["size"] = 32
    else:
        card["input_encoding"]["channels"] = ["u", "v"]
    _write_card(folder, card)
    with pytest.raises(DataError, match=r"model\.json: .*fitted on 2352 values per sample"):
        load_trained(folder)


def test_no_unrestricted_unpickling_in_the_package():
    """Nothing under src/ reads a pickle: no pickle/joblib loads, no torch.load without weights_only=True."""
    banned = re.compile(r"pickle\.loads?\(|pickle\.Unpickler|joblib\.load|read_pickle|allow_pickle=True|"
                        r"weights_only=False|cloudpickle|\bdill\b")
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text()
        offenders += [f"{path.relative_to(SRC)}: {m.group(0)}" for m in banned.finditer(text)]
        for m in re.finditer(r"torch\.load\(", text):
            call = text[m.end():text.find(")", m.end()) + 1]
            if "weights_only=True" not in call:
                offenders.append(f"{path.relative_to(SRC)}: torch.load({call}")
    assert not offenders, offenders
