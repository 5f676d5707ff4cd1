"""Save and load a fitted recogniser (an estimator from :func:`create_estimator`) without pickles.

Two formats, chosen by what the estimator is; neither can run code when it is read:

* ``torch_state_dict`` — the shared deep-model trainer (``TorchClassifier``): ``estimator.pt`` holds
  tensors only (every member's state dict + normalisation statistics) and is read with
  ``torch.load(weights_only=True)``. The trainer's hyper-parameters are in the record, so the
  estimator is rebuilt from the registry, then filled.
* ``json_npz`` — everything else (scikit-learn estimators, ensembles, nested searches):
  ``estimator.json`` is a tree of plain data naming only allowed classes, ``estimator.npz`` its
  arrays, read with ``np.load(allow_pickle=False)`` (see :mod:`microexp.recognisers.state`).

The record :func:`save_estimator` returns (``model.json``'s ``estimator`` entry) lists every file
with its SHA-256. :func:`load_estimator` refuses a record without checksums, a file whose checksum
differs, a file path that leaves the model folder (absolute, ``..``, or a link pointing out), and
an unknown format.
"""
from __future__ import annotations

import hashlib
import io
import json
import pickle
import re
import zipfile
from pathlib import Path, PureWindowsPath

import numpy as np

from ..errors import ConfigError, DataError
from ..io import atomic_write_bytes, atomic_write_text
from .state import estimator_from_state, estimator_to_state

#: The model card of a model folder (see :mod:`.model_folder`).
MODEL_CARD = "model.json"

TORCH_FORMAT = "torch_state_dict"
JSON_NPZ_FORMAT = "json_npz"
#: File of each role in a model folder, per format.
ESTIMATOR_FILES = {TORCH_FORMAT: {"weights": "estimator.pt"},
                   JSON_NPZ_FORMAT: {"tree": "estimator.json", "arrays": "estimator.npz"}}
#: Files older versions wrote; a re-trained folder drops them.
_STALE_FILES = ("estimator.pkl",)
#: TorchClassifier parameters that are not trainer settings (or cannot be written as JSON).
_NOT_TRAINER_PARAMS = ("model_name", "num_classes", "seed", "model_kwargs", "augmenter", "checkpoint_path")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_torch_trainer(estimator) -> bool:
    return type(estimator).__module__ == "microexp.training.classifier" and type(estimator).__name__ == "TorchClassifier"


# ------------------------------------------------------------------------------ what a fitted model eats
def fitted_class_count(estimator) -> int | None:
    """How many classes the estimator's outputs index: ``num_classes_`` / ``num_classes``, else one
    more than the largest integer label in ``classes_`` (the labels are indices into the card's
    class names), else the length of ``classes_``."""
    for attr in ("num_classes_", "num_classes"):
        value = getattr(estimator, attr, None)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return None
    classes = np.asarray(classes)
    if classes.dtype.kind in "iu" and classes.size:
        return int(classes.max()) + 1
    return len(classes)


def fitted_input(estimator) -> dict:
    """What the estimator was fitted on: ``{"n_features": flattened input length}`` for models on
    flattened arrays and/or ``{"channels": C}`` for deep models (which resize any H × W)."""
    out: dict = {}

    def visit(obj) -> None:
        if obj is None:
            return
        name = type(obj).__name__
        if _is_torch_trainer(obj):
            mean = getattr(obj, "mean_", None)
            if mean is not None and getattr(mean, "ndim", 0) == 4:
                out.setdefault("channels", int(mean.shape[1]))
            return
        if name == "LBPTOPSVM":  # its features are computed from the input: no input shape to compare
            return
        if name == "Pipeline" and type(obj).__module__.startswith("sklearn."):
            n = getattr(obj, "n_features_in_", None)
            if n is not None:
                out.setdefault("n_features", int(n))
            return
        visit(getattr(obj, "pipeline_", None))
        for attr in ("nets_", "svm_", "estimator_"):
            visit(getattr(obj, attr, None))
        for net in [*(getattr(obj, "extra_nets_", None) or []), *(getattr(obj, "frozen_nets_", None) or [])]:
            visit(net)

    visit(estimator)
    return out


# ------------------------------------------------------------------------------------------------ save
def save_estimator(estimator, directory: str | Path) -> dict:
    """Write a fitted ``estimator`` into ``directory`` (each file atomically); returns the JSON
    record :func:`load_estimator` needs: ``{"format", "files": {role: {"file", "sha256"}},
    "n_classes", "input"[, "model_name", "num_classes", "seed", "model_kwargs", "trainer"]}``.

    Raises :class:`ConfigError` naming an attribute that cannot be stored as plain data.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    record: dict = {}
    if _is_torch_trainer(estimator):
        fmt = TORCH_FORMAT
        estimator.save(directory / ESTIMATOR_FILES[fmt]["weights"])
        params = estimator.get_params(deep=False)
        record = {"model_name": params["model_name"], "num_classes": int(params["num_classes"]),
                  "seed": int(params["seed"]), "model_kwargs": dict(params.get("model_kwargs") or {}),
                  "trainer": {k: v for k, v in params.items() if k not in _NOT_TRAINER_PARAMS}}
        if params.get("augmenter") is not None:
            record["note"] = "trained with an augmenter; it is not needed (and not saved) for prediction"
    else:
        fmt = JSON_NPZ_FORMAT
        tree, arrays = estimator_to_state(estimator)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write_bytes(directory / ESTIMATOR_FILES[fmt]["arrays"], buf.getvalue())
        atomic_write_text(directory / ESTIMATOR_FILES[fmt]["tree"], json.dumps(tree, allow_nan=False) + "\n")
    files = ESTIMATOR_FILES[fmt]
    stale = [f for other, names in ESTIMATOR_FILES.items() if other != fmt for f in names.values()]
    for name in (*stale, *_STALE_FILES):  # a re-trained folder keeps one format's files
        if (directory / name).is_file():
            (directory / name).unlink()
    n_classes = fitted_class_count(estimator)
    return {"format": fmt,
            "files": {role: {"file": name, "sha256": _sha256((directory / name).read_bytes())}
                      for role, name in files.items()},
            "n_classes": n_classes, "input": fitted_input(estimator), **record}


# ------------------------------------------------------------------------------------------------ load
def _inside(directory: Path, name, role: str, card: Path) -> Path:
    """``directory / name`` when ``name`` is a relative path that stays in ``directory``."""
    if not isinstance(name, str) or not name:
        raise DataError(f"estimator record: files.{role}.file must be a file name, got {name!r}", card)
    if Path(name).is_absolute() or PureWindowsPath(name).is_absolute() or PureWindowsPath(name).drive:
        raise DataError(f"estimator record: file {name!r} is an absolute path; model files must lie in the "
                        "model folder", card)
    if ".." in Path(name).parts or ".." in PureWindowsPath(name).parts:
        raise DataError(f"estimator record: file {name!r} contains '..'; model files must lie in the model folder",
                        card)
    path = (directory / name).resolve()
    if not path.is_relative_to(directory.resolve()):  # a link pointing out of the folder
        raise DataError(f"estimator record: file {name!r} resolves to {path}, outside the model folder", card)
    return path


def _verified_bytes(directory: Path, record: dict, role: str, card: Path) -> tuple[Path, bytes]:
    entry = (record.get("files") or {}).get(role) if isinstance(record.get("files"), dict) else None
    if not isinstance(entry, dict):
        raise DataError(f"estimator record lacks files.{role} (its file and sha256)", card)
    path = _inside(directory, entry.get("file"), role, card)
    checksum = entry.get("sha256")
    if not isinstance(checksum, str) or not _SHA256.fullmatch(checksum):
        raise DataError(f"estimator record: files.{role} has no valid sha256 checksum; model files are "
                        "loaded only when their checksum is recorded", card)
    if not path.is_file():
        raise DataError(f"model file {path.name} is missing", path)
    data = path.read_bytes()
    if _sha256(data) != checksum:
        raise DataError(f"model file does not match its checksum in {MODEL_CARD} (corrupted or replaced)", path)
    return path, data


def _legacy_torch_record(record: dict) -> dict:
    """Deep-model records of earlier versions named one file at the top level."""
    if record.get("format") == TORCH_FORMAT and "files" not in record and "file" in record:
        entry = {"file": record["file"]}
        if "sha256" in record:
            entry["sha256"] = record["sha256"]
        return {**record, "files": {"weights": entry}}
    return record


def load_estimator(directory: str | Path, record: dict):
    """The estimator saved by :func:`save_estimator` (``record`` = what it returned).

    Raises :class:`DataError` naming ``model.json`` when the record is unusable (unknown format,
    a checksum missing, a file path leaving the folder) and naming the model file when it is
    missing, does not match its checksum or cannot be read as data.
    """
    directory = Path(directory)
    card = directory / MODEL_CARD
    if not isinstance(record, dict):
        raise DataError("the estimator record must be a JSON object", card)
    record = _legacy_torch_record(record)
    fmt = record.get("format")
    if fmt == "pickle":
        raise DataError("this model folder holds a pickle, which is no longer loaded (reading one can run code); "
                        "train the model again with `microexp train`", card)
    if fmt not in ESTIMATOR_FILES:
        raise DataError(f"unknown estimator format {fmt!r}; expected one of {sorted(ESTIMATOR_FILES)}", card)
    if fmt == JSON_NPZ_FORMAT:
        tree_path, tree_bytes = _verified_bytes(directory, record, "tree", card)
        arrays_path, arrays_bytes = _verified_bytes(directory, record, "arrays", card)
        try:
            tree = json.loads(tree_bytes.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise DataError(f"not a JSON estimator tree ({exc})", tree_path) from exc
        try:
            arrays = np.load(io.BytesIO(arrays_bytes), allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise DataError(f"not an array file ({exc})", arrays_path) from exc
        if not isinstance(arrays, np.lib.npyio.NpzFile):
            raise DataError("expected an .npz archive of named arrays", arrays_path)
        with arrays:
            return estimator_from_state(tree, arrays, tree_path, arrays_path)
    from .factory import create_estimator

    path, _ = _verified_bytes(directory, record, "weights", card)
    try:
        estimator = create_estimator(str(record["model_name"]), num_classes=int(record["num_classes"]),
                                     seed=int(record.get("seed", 0)), trainer=dict(record.get("trainer") or {}),
                                     **dict(record.get("model_kwargs") or {}))
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise DataError(f"estimator record does not describe a deep model ({type(exc).__name__}: {exc})", card) from exc
    if not _is_torch_trainer(estimator):
        raise DataError(f"estimator record names {record['model_name']!r}, which is not a deep model", card)
    try:
        return estimator.load(path)
    except (pickle.UnpicklingError, RuntimeError, KeyError, ValueError, TypeError, AttributeError, EOFError,
            OSError, zipfile.BadZipFile, ConfigError) as exc:  # code in the file, shape mismatch, foreign file …
        raise DataError(f"cannot load the model weights as tensors ({type(exc).__name__}: {exc})", path) from exc
