"""A model folder: a fitted recogniser with its model card (``model.json``), as ``microexp train``
writes it and ``microexp analyse`` reads it.

``MODEL_DIR`` layout::

    estimator.npz | estimator.pt   the fitted estimator (arrays + JSON / tensors only; see persistence)
    model.json                     the model card: model, kwargs, trainer, classes, input encoding,
                                   training data summary, LOSO scores (when run), microexp version
    loso/                          the leave-one-subject-out run of the same configuration, when run
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

MODEL_CARD = "model.json"
#: Version of the model folder layout; bumped when model.json changes incompatibly.
MODEL_FORMAT_VERSION = 1
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


def load_trained(model_dir: str | Path) -> TrainedModel:
    """The model folder written by :func:`train_model`, ready to predict."""
    from .persistence import load_estimator

    model_dir = Path(model_dir)
    card = read_model_card(model_dir)
    return TrainedModel(model_dir, card, load_estimator(model_dir, card["estimator"]))
