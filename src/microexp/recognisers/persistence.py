"""Save and load a fitted recogniser (an estimator from :func:`create_estimator`).

Two formats, chosen by what the estimator is:

* ``torch_state_dict`` — the shared deep-model trainer (``TorchClassifier``): its own ``save``
  writes tensors only (state dicts of every member + normalisation statistics), and loading uses
  ``torch.load(weights_only=True)``, which cannot run code. The trainer's hyper-parameters go
  into the returned record (JSON), so the estimator is rebuilt from the registry, then filled.
* ``pickle`` — everything else (scikit-learn estimators, composite estimators). **Loading a
  pickle runs code from the file: load model folders only from a source you trust.** A SHA-256
  of the file is stored in the record and checked before unpickling, which catches a corrupted
  or swapped file, not a malicious model folder as a whole.
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from ..errors import ConfigError, DataError
from ..io import atomic_write_bytes

TORCH_FORMAT = "torch_state_dict"
PICKLE_FORMAT = "pickle"
#: File name of the weights in a model folder, per format.
ESTIMATOR_FILES = {TORCH_FORMAT: "estimator.pt", PICKLE_FORMAT: "estimator.pkl"}
#: TorchClassifier parameters that are not trainer settings (or cannot be written as JSON).
_NOT_TRAINER_PARAMS = ("model_name", "num_classes", "seed", "model_kwargs", "augmenter", "checkpoint_path")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_torch_trainer(estimator) -> bool:
    """Duck-typed ``TorchClassifier`` check (models must not import the training layer)."""
    return all(callable(getattr(estimator, m, None)) for m in ("save", "load", "get_params")) \
        and hasattr(estimator, "model_name") and hasattr(estimator, "models_")


def save_estimator(estimator, directory: str | Path) -> dict:
    """Write a fitted ``estimator`` into ``directory`` atomically; returns the JSON record
    ``{"format", "file", "sha256"[, "model_name", "num_classes", "seed", "model_kwargs", "trainer"]}``
    that :func:`load_estimator` needs."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if _is_torch_trainer(estimator):
        fmt = TORCH_FORMAT
        path = directory / ESTIMATOR_FILES[fmt]
        estimator.save(path)
        params = estimator.get_params(deep=False)
        record = {"model_name": params["model_name"], "num_classes": int(params["num_classes"]),
                  "seed": int(params["seed"]), "model_kwargs": dict(params.get("model_kwargs") or {}),
                  "trainer": {k: v for k, v in params.items() if k not in _NOT_TRAINER_PARAMS}}
        if params.get("augmenter") is not None:
            record["note"] = "trained with an augmenter; it is not needed (and not saved) for prediction"
    else:
        fmt = PICKLE_FORMAT
        path = directory / ESTIMATOR_FILES[fmt]
        atomic_write_bytes(path, pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL))
        record = {}
    for other_fmt, other in ESTIMATOR_FILES.items():  # a re-trained folder keeps one weights file
        if other_fmt != fmt and (directory / other).is_file():
            (directory / other).unlink()
    return {"format": fmt, "file": path.name, "sha256": _sha256(path), **record}


def load_estimator(directory: str | Path, record: dict):
    """The estimator saved by :func:`save_estimator` (``record`` = what it returned).

    Raises :class:`DataError` when the weights file is missing or does not match its checksum.
    """
    directory = Path(directory)
    fmt = record.get("format")
    if fmt not in ESTIMATOR_FILES:
        raise ConfigError(f"unknown estimator format {fmt!r}; expected one of {sorted(ESTIMATOR_FILES)}")
    path = directory / str(record.get("file") or ESTIMATOR_FILES[fmt])
    if not path.is_file():
        raise DataError(f"model weights file {path.name} is missing", path)
    if record.get("sha256") and _sha256(path) != record["sha256"]:
        raise DataError("model weights file does not match the checksum in model.json (corrupted or replaced)", path)
    if fmt == PICKLE_FORMAT:
        try:
            return pickle.loads(path.read_bytes())
        except Exception as exc:  # unpickling raises many kinds (missing class, truncated data …)
            raise DataError(f"cannot unpickle the model ({type(exc).__name__}: {exc})", path) from exc
    from .factory import create_estimator

    estimator = create_estimator(record["model_name"], num_classes=int(record["num_classes"]),
                                 seed=int(record.get("seed", 0)), trainer=dict(record.get("trainer") or {}),
                                 **dict(record.get("model_kwargs") or {}))
    try:
        return estimator.load(path)
    except (RuntimeError, KeyError, ValueError) as exc:  # shape mismatch, foreign file …
        raise DataError(f"cannot load the model weights ({exc})", path) from exc
