"""A model folder: a fitted recogniser with its model card (``model.json``), as ``microexp train``
writes it and ``microexp analyse`` reads it.

``MODEL_DIR`` layout::

    estimator.pt                   deep models: tensors only (see persistence)
    estimator.json + .npz          other models: a JSON tree of allowed classes + numeric arrays
    model.json                     the model card: model, kwargs, trainer, classes, input encoding,
                                   training data summary, LOSO scores (when run), microexp version,
                                   the estimator's files with their SHA-256 checksums
    loso/                          the leave-one-subject-out run of the same configuration, when run
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from .persistence import MODEL_CARD, fitted_class_count, fitted_input, load_estimator

#: Version of the model folder layout; bumped when model.json changes incompatibly
#: (2: non-deep estimators as estimator.json + estimator.npz, every file with its checksum).
MODEL_FORMAT_VERSION = 2
#: The recogniser ``microexp analyse`` uses unless told otherwise: STSTNet trained on simulated
#: micro-expressions only (no real person in it), shipped with the package; its card gives its
#: score on the real MEGC2019 composite. ``python benchmarks/builtin_recogniser.py`` rebuilds it.
BUILTIN_MODEL = Path(__file__).resolve().parents[1] / "resources" / "recogniser_sim"
#: Keys every model.json must have for :func:`load_trained`.
REQUIRED_CARD_KEYS = ("format_version", "model", "input_kind", "classes", "input_encoding", "estimator")

@dataclass
class TrainedModel:
    """A fitted estimator with its model card (``model.json``)."""

    directory: Path
    card: dict
    estimator: object

    @property
    def classes(self) -> list[str]:
        return list(self.card["classes"])

    @property
    def encoding(self) -> dict:
        return dict(self.card["input_encoding"])

    def scores(self, X) -> tuple[np.ndarray, str]:
        """``(N, n_classes)`` class scores and their kind: ``"probability"`` (``predict_proba``)
        or ``"decision"`` (one-vs-rest decision values; larger = more likely). Classes the
        estimator never saw get NaN."""
        est = self.estimator
        n = len(self.classes)
        if hasattr(est, "predict_proba"):
            raw, kind = np.asarray(est.predict_proba(X), dtype=float), "probability"
        elif hasattr(est, "decision_function"):
            raw, kind = np.asarray(est.decision_function(X), dtype=float), "decision"
            if raw.ndim == 1:  # two classes: one signed margin for the second
                raw = np.stack([-raw, raw], axis=1)
        else:
            pred = np.asarray(est.predict(X), dtype=int)
            return np.eye(n)[pred], "one_hot"
        seen = np.asarray(getattr(est, "classes_", np.arange(raw.shape[1])), dtype=int)
        out = np.full((raw.shape[0], n), np.nan)
        out[:, seen] = raw
        return out, kind

    def predict(self, X) -> np.ndarray:
        scores, _ = self.scores(X)
        return np.nanargmax(scores, axis=1)


def trained_on_simulation(card: dict) -> bool:
    """Whether the card's recogniser learned from simulated faces only (the built-in one does)."""
    return (card.get("training_data") or {}).get("dataset") == "simulated"


def resolve_model(model: str | Path | None) -> Path:
    """The model folder ``model`` means: ``None`` or ``"builtin"`` → the packaged recogniser
    (:data:`BUILTIN_MODEL`), anything else → that folder (a folder named ``builtin`` is reached as
    ``./builtin``)."""
    return BUILTIN_MODEL if model is None or str(model) == "builtin" else Path(model)


def read_model_card(model_dir: str | Path) -> dict:
    """``model.json`` of a model folder, checked; raises :class:`DataError` naming what is missing."""
    import json

    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise DataError("model folder does not exist (make one with `microexp train`)", model_dir)
    path = model_dir / MODEL_CARD
    if not path.is_file():
        raise DataError(f"not a model folder: {MODEL_CARD} is missing (make one with `microexp train`)", path)
    try:
        card = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"model card is not valid JSON ({exc})", path) from exc
    missing = [k for k in REQUIRED_CARD_KEYS if k not in card] if isinstance(card, dict) else list(REQUIRED_CARD_KEYS)
    if missing:
        raise DataError(f"model card lacks keys {missing}", path)
    if int(card["format_version"]) > MODEL_FORMAT_VERSION:
        raise DataError(f"model folder format {card['format_version']} is newer than this microexp understands "
                        f"({MODEL_FORMAT_VERSION}); upgrade microexp", path)
    return card


def _card_input_shapes(card: dict) -> list[tuple[str, tuple[int, ...]]]:
    """The input shapes the card states: ``training_data.input_shape`` and the encoding's
    (channels, size, size)."""
    shapes = []
    data = card.get("training_data")
    shape = data.get("input_shape") if isinstance(data, dict) else None
    if shape is not None:
        shapes.append(("training_data.input_shape", tuple(int(v) for v in shape)))
    enc = card["input_encoding"]
    if isinstance(enc, dict) and enc.get("size") is not None:
        size = int(enc["size"])
        channels = enc.get("channels")
        shapes.append(("input_encoding.size/channels",
                       (len(channels), size, size) if isinstance(channels, list) else (size, size)))
    return shapes


def check_card_against_estimator(card: dict, estimator, path: str | Path) -> None:
    """Refuse a card that disagrees with its estimator: the number of class names against the
    classes the estimator's outputs index, and the stated input shape against the one it was
    fitted on (also as recorded when it was saved). Raises :class:`DataError` naming ``path``."""

    classes = card["classes"]
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise DataError(f"classes must be a list of class names, got {classes!r}", path)
    n_classes = fitted_class_count(estimator)
    if n_classes is not None and n_classes != len(classes):
        raise DataError(f"classes lists {len(classes)} names {classes} but the estimator predicts "
                        f"{n_classes} classes", path)
    fitted = fitted_input(estimator)
    record = card["estimator"]
    for key in ("n_classes", "input"):
        saved = record.get(key)
        now = n_classes if key == "n_classes" else fitted
        if saved is not None and saved != now:
            raise DataError(f"estimator.{key} says {saved!r} but the saved estimator has {now!r}", path)
    try:
        shapes = _card_input_shapes(card)
    except (TypeError, ValueError) as exc:
        raise DataError(f"input shape of the card is not a list of integers ({exc})", path) from exc
    for where, shape in shapes:
        if "n_features" in fitted and int(np.prod(shape)) != fitted["n_features"]:
            raise DataError(f"{where} gives inputs of shape {list(shape)} ({int(np.prod(shape))} values) but the "
                            f"estimator was fitted on {fitted['n_features']} values per sample", path)
        if "channels" in fitted and len(shape) == 3 and shape[0] != fitted["channels"]:
            raise DataError(f"{where} gives inputs of shape {list(shape)} but the estimator was fitted on "
                            f"{fitted['channels']} channels", path)


def load_trained(model_dir: str | Path) -> TrainedModel:
    """The model folder written by :func:`train_model` (or ``"builtin"``, see :func:`resolve_model`),
    ready to predict; its card is checked against its estimator (see :func:`check_card_against_estimator`)."""

    model_dir = resolve_model(model_dir)
    card = read_model_card(model_dir)
    estimator = load_estimator(model_dir, card["estimator"])
    check_card_against_estimator(card, estimator, model_dir / MODEL_CARD)
    return TrainedModel(model_dir, card, estimator)
