"""Action-unit detectors: one class-balanced binary classifier per AU on flattened inputs.

``fit(X, Y, groups)`` with ``Y`` of shape (N, K) (1 present, 0 absent, NaN unknown: a sample is
left out of the AUs it has no label for) makes a multi-label detector: ``predict`` gives (N, K)
0/1 and ``decision_function`` (N, K) scores, positive for "present". With a 1-D ``y`` of class
indices it is a one-vs-rest classifier like every other recogniser (``predict`` gives the class of
the highest score), so it runs under the emotion protocols and saves and reloads like them.

Settings are fixed, not tuned on any test subject: the emotion baseline's RBF SVM (C = 1,
γ = ``scale``, standardised inputs, class-balanced weights), decision threshold 0. An AU whose
training labels hold a single value is predicted as that value. ``mirror=True`` adds each
training flow's left–right mirror (u → 1 − u): the AU labels do not name a side, so a mirrored
flow keeps its labels.

Shapes: (N, ...) arrays; flows (N, 3, H, W) float, faces (N, H, W, 3) uint8 (made grey and
resized to ``image_size`` when set).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from ..errors import ConfigError, DataError
from ..models.registry import register_model

CLASSIFIERS = ("svm", "logistic")


def _grey_resized(X: np.ndarray, size: int) -> np.ndarray:
    """(N, size, size) grey images from (N, H, W, 3) uint8 or (N, C, H, W) float batches."""
    import cv2

    X = np.asarray(X)
    if X.ndim == 4 and X.shape[-1] in (1, 3) and X.shape[1] not in (1, 3):
        X = X.transpose(0, 3, 1, 2)
    X = X.astype(np.float32) / (255.0 if X.dtype == np.uint8 else 1.0)
    grey = X.mean(axis=1) if X.ndim == 4 else X
    return np.stack([cv2.resize(g, (size, size), interpolation=cv2.INTER_AREA) for g in grey])


class AUDetector(ClassifierMixin, BaseEstimator):
    """Per-AU binary classifiers (see the module docstring)."""

    def __init__(self, classifier: str = "svm", C: float = 1.0, gamma: str | float = "scale",
                 class_weight: str | None = "balanced", mirror: bool = False, image_size: int | None = None,
                 seed: int = 0):
        self.classifier = classifier
        self.C = C
        self.gamma = gamma
        self.class_weight = class_weight
        self.mirror = mirror
        self.image_size = image_size
        self.seed = seed

    # ------------------------------------------------------------------------------------ features
    def _features(self, X) -> np.ndarray:
        X = np.asarray(X)
        if self.image_size:
            X = _grey_resized(X, int(self.image_size))
        return np.asarray(X, dtype=np.float32).reshape(len(X), -1)

    def _with_mirrors(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(X)
        if X.ndim != 4 or X.shape[1] != 3 or X.dtype == np.uint8:
            raise DataError(f"mirror=True needs (N, 3, H, W) flow maps (u, v, strain), got shape {X.shape}")
        mirrored = X[..., ::-1].copy()
        mirrored[:, 0] = 1.0 - mirrored[:, 0]
        return np.concatenate([X, mirrored]), np.concatenate([Y, Y])

    def _make(self):
        if self.classifier == "svm":
            clf = SVC(C=self.C, gamma=self.gamma, class_weight=self.class_weight, random_state=self.seed)
        elif self.classifier == "logistic":
            clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000)
        else:
            raise ConfigError(f"unknown AU classifier {self.classifier!r}; choose one of {list(CLASSIFIERS)}")
        return make_pipeline(StandardScaler(), clf)

    # ---------------------------------------------------------------------------------------- fit
    def fit(self, X, y, groups=None):
        Y = np.asarray(y, dtype=float)
        self.multilabel_ = Y.ndim == 2
        if not self.multilabel_:
            classes = np.asarray(y).astype(int)
            self.classes_ = np.unique(classes)
            Y = (classes[:, None] == self.classes_[None, :]).astype(float)
        if len(Y) != len(X):
            raise DataError(f"{len(X)} samples but {len(Y)} rows of labels")
        if self.mirror:
            X, Y = self._with_mirrors(X, Y)
        F = self._features(X)
        self.num_classes_ = int(Y.shape[1])
        self.models_: list = []
        constants = []
        for k in range(Y.shape[1]):
            known = ~np.isnan(Y[:, k])
            values = np.unique(Y[known, k])
            if len(values) < 2:  # nothing to separate: predict the one value seen (absent when none)
                self.models_.append(None)
                constants.append(float(values[0]) if len(values) else 0.0)
                continue
            model = self._make()
            model.fit(F[known], Y[known, k].astype(int))
            self.models_.append(model)
            constants.append(np.nan)
        self.constants_ = np.asarray(constants, dtype=float)
        return self

    # ------------------------------------------------------------------------------------- predict
    def decision_function(self, X) -> np.ndarray:
        """(N, K) scores; positive means present (a constant AU scores ±1)."""
        F = self._features(X)
        scores = np.empty((len(F), self.num_classes_))
        for k, model in enumerate(self.models_):
            scores[:, k] = (2.0 * self.constants_[k] - 1.0) if model is None else model.decision_function(F)
        return scores

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if self.multilabel_:
            return (scores > 0).astype(int)
        return self.classes_[scores.argmax(axis=1)]


@register_model("au_svm", input_kind="flow", family="sklearn", task="action_units",
                paper="action units of real micro-expressions (docs/action_units.md): per-AU RBF SVMs on flow pixels")
def au_svm(**kwargs) -> AUDetector:
    return AUDetector(**{"classifier": "svm", **kwargs})


@register_model("au_svm_face", input_kind="face", family="sklearn", task="action_units",
                paper="action units of real micro-expressions (docs/action_units.md): per-AU RBF SVMs on grey "
                      "apex faces")
def au_svm_face(**kwargs) -> AUDetector:
    return AUDetector(**{"classifier": "svm", "image_size": 32, **kwargs})


@register_model("au_logistic", input_kind="flow", family="sklearn", task="action_units",
                paper="action units of real micro-expressions (docs/action_units.md): per-AU logistic regressions "
                      "on flow pixels")
def au_logistic(**kwargs) -> AUDetector:
    return AUDetector(**{"classifier": "logistic", **kwargs})


__all__ = ["AUDetector", "CLASSIFIERS", "au_logistic", "au_svm", "au_svm_face"]
