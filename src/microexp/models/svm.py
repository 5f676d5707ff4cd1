"""RBF SVM on flattened inputs (the classical baseline on the composite's flow pixels)."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from .registry import register_model


@register_model("svm", input_kind="flow", family="sklearn", paper="classical baseline (RBF SVM on flow pixels)")
class FlattenedSVM(ClassifierMixin, BaseEstimator):
    """Standardise (statistics of the training fold only) then an RBF SVM on flattened arrays."""

    def __init__(self, C: float = 1.0, gamma: str | float = "scale", class_weight: str | None = "balanced",
                 standardise: bool = True, seed: int = 0):
        self.C = C
        self.gamma = gamma
        self.class_weight = class_weight
        self.standardise = standardise
        self.seed = seed

    def _flat(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        return X.reshape(len(X), -1)

    def fit(self, X, y, groups=None):
        svc = SVC(C=self.C, gamma=self.gamma, class_weight=self.class_weight, random_state=self.seed)
        self.pipeline_ = make_pipeline(StandardScaler(), svc) if self.standardise else make_pipeline(svc)
        self.pipeline_.fit(self._flat(X), np.asarray(y))
        self.classes_ = self.pipeline_.classes_
        return self

    def predict(self, X) -> np.ndarray:
        return self.pipeline_.predict(self._flat(X))

    def decision_function(self, X) -> np.ndarray:
        return self.pipeline_.decision_function(self._flat(X))
