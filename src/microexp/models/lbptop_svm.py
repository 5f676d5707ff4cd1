"""LBP-TOP histograms + linear-kernel SVM: the classical baseline of the micro-expression literature.

Zhao & Pietikäinen (2007) LBP-TOP; used with an SVM in paper 000 (with LPQ-TOP) and as the
MEGC2019 baseline (published .5882 UF1 / .5785 UAR on the composite).

Input kind ``lbptop``: (N, D) LBP-TOP feature vectors (e.g. concatenated block histograms from
``microexp.motion.lbp_top``) — or (N, T, H, W) grayscale clips, which are turned into features
with ``microexp.motion.lbp_top.lbp_top`` on the fly. Histograms are square-rooted (Hellinger
map, so a linear SVM approximates the χ² similarity LBP histograms are usually compared with) and
standardised with training-fold statistics.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from ..errors import DataError
from .registry import register_model


def _features(X) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim == 2:
        return X.astype(np.float64)
    if X.ndim == 4:
        from ..motion.lbp_top import lbp_top  # lazy: heavy and only needed for raw clips

        return np.stack([np.asarray(lbp_top(clip), dtype=np.float64).ravel() for clip in X])
    raise DataError(f"lbptop_svm expects (N, D) features or (N, T, H, W) clips, got shape {X.shape}")


@register_model("lbptop_svm", input_kind="lbptop", family="sklearn",
                paper="Zhao & Pietikäinen 2007 LBP-TOP + SVM (paper 000; MEGC2019 baseline)")
class LBPTOPSVM(ClassifierMixin, BaseEstimator):
    def __init__(self, C: float = 1.0, kernel: str = "linear", class_weight: str | None = "balanced",
                 hellinger: bool = True, seed: int = 0):
        self.C = C
        self.kernel = kernel
        self.class_weight = class_weight
        self.hellinger = hellinger
        self.seed = seed

    def _prepare(self, X) -> np.ndarray:
        F = _features(X)
        return np.sqrt(np.clip(F, 0, None)) if self.hellinger else F

    def fit(self, X, y, groups=None):
        svc = SVC(C=self.C, kernel=self.kernel, class_weight=self.class_weight, random_state=self.seed)
        self.pipeline_ = make_pipeline(StandardScaler(), svc).fit(self._prepare(X), np.asarray(y))
        self.classes_ = self.pipeline_.classes_
        return self

    def predict(self, X) -> np.ndarray:
        return self.pipeline_.predict(self._prepare(X))

    def decision_function(self, X) -> np.ndarray:
        return self.pipeline_.decision_function(self._prepare(X))
