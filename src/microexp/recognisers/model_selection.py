"""Hyper-parameters chosen inside the training fold: grouped inner cross-validation.

An outer protocol (LOSO, leave-one-dataset-out, …) hands an estimator its training subjects only.
:class:`TunedSVM` splits those subjects again into ``inner_folds`` groups, scores every (C, γ)
of its grid by the UF1 of the pooled inner predictions (the outer protocol's headline metric),
and refits the winner on the whole training fold. The test subject is never seen, so the choice
is as honest as a fixed setting, and it is made afresh in every outer fold.

Speed: for each inner fold the standardised training and validation pixels give one squared
distance matrix, reused for every γ of the grid (``kernel="precomputed"``), so a 5 × 5 grid costs
about one second per outer fold on the composite's 28×28×3 flows.

Shapes: (N, ...) arrays → (N, num_classes) decision values / labels.
"""
from __future__ import annotations

from itertools import product

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.metaestimators import available_if

from ..errors import ConfigError, ProtocolError
from ..metrics import unweighted_f1
from ..models.registry import register_model
from ..training.augment import flip_flow_horizontally
from ..training.classifier import as_image_tensor


def inner_subject_folds(groups, y, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split training samples into ``n_folds`` (train, validation) pairs, whole subjects per side.

    Class proportions are balanced across folds where the subjects allow (StratifiedGroupKFold,
    shuffled with ``seed``). Without ``groups`` the folds are stratified over samples instead.
    """
    y = np.asarray(y)
    if groups is None:
        n = min(n_folds, int(np.bincount(y).min()))
        if n < 2:
            raise ProtocolError("inner cross-validation needs at least two samples of every class")
        return list(StratifiedKFold(n, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    groups = np.asarray(groups)
    n_subjects = len(np.unique(groups))
    if n_subjects < 2:
        raise ProtocolError("inner cross-validation needs at least two training subjects")
    n = min(n_folds, n_subjects)
    splitter = StratifiedGroupKFold(n, shuffle=True, random_state=seed)
    return [(tr, va) for tr, va in splitter.split(np.zeros(len(y)), y, groups)]


def with_mirrored_flows(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Training samples plus their left–right mirrors (u → 1 − u), labels repeated."""
    if X.ndim != 4:
        raise ProtocolError(f"mirroring needs (N, C, H, W) flow maps, got shape {X.shape}")
    mirrored = flip_flow_horizontally(as_image_tensor(X)).numpy()
    return np.concatenate([X, mirrored]), np.concatenate([y, y])


def pooled_uf1(y: np.ndarray, predictions: np.ndarray, covered: np.ndarray, num_classes: int) -> list[float]:
    """UF1 (unweighted mean of per-class F1, as the outer protocol scores) of each row of
    ``predictions`` over the samples the inner folds predicted."""
    return [unweighted_f1(y[covered], p[covered], num_classes) for p in predictions]


def _sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def _scale_gamma(z: np.ndarray) -> float:
    """scikit-learn's ``gamma="scale"``: 1 / (n_features · Var(X))."""
    var = float(z.var())
    return 1.0 / (z.shape[1] * var) if var > 0 else 1.0


@register_model("svm_tuned", input_kind="flow", family="sklearn",
                paper="RBF SVM on flow pixels, C and gamma chosen per training fold by grouped inner CV")
class TunedSVM(ClassifierMixin, BaseEstimator):
    """Standardise, RBF SVM; (C, γ-scale) picked by the inner-CV UF1 of the training subjects.

    ``gamma_scales`` multiply scikit-learn's ``"scale"`` value. ``flip_augment`` adds mirrored flow
    maps (u → 1 − u) to every training set, inner ones included, never to validation samples.
    Ties go to the grid point listed first in ``Cs`` × ``gamma_scales`` order.

    ``predict_proba`` maps the SVM's one-vs-rest decision values to probabilities with a
    multinomial logistic regression fitted on the chosen grid point's out-of-fold decision values
    (inner folds, class-balanced, so the probabilities carry equal class priors like the networks'
    class-weighted training does): the calibration, too, is learnt from training subjects only.
    """

    def __init__(self, Cs: tuple = (0.5, 1.0, 2.0, 4.0), gamma_scales: tuple = (0.25, 0.5, 1.0, 2.0),
                 inner_folds: int = 5, flip_augment: bool = True, class_weight: str | None = "balanced",
                 seed: int = 0):
        self.Cs = Cs
        self.gamma_scales = gamma_scales
        self.inner_folds = inner_folds
        self.flip_augment = flip_augment
        self.class_weight = class_weight
        self.seed = seed

    def _augment(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return with_mirrored_flows(X, y) if self.flip_augment else (X, y)

    def fit(self, X, y, groups=None):
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=int)
        grid = list(product(self.Cs, self.gamma_scales))
        if not grid:
            raise ProtocolError("svm_tuned needs at least one C and one gamma scale")
        self.num_classes_ = int(y.max()) + 1
        labels = np.arange(self.num_classes_)
        folds = inner_subject_folds(groups, y, self.inner_folds, self.seed)
        decisions = np.zeros((len(grid), len(y), self.num_classes_))
        covered = np.zeros(len(y), dtype=bool)
        for tr, va in folds:
            Xtr, ytr = self._augment(X[tr], y[tr])
            scaler = StandardScaler().fit(Xtr.reshape(len(Xtr), -1))
            ztr = scaler.transform(Xtr.reshape(len(Xtr), -1))
            zva = scaler.transform(X[va].reshape(len(va), -1))
            d_tr, d_va = _sq_distances(ztr, ztr), _sq_distances(zva, ztr)
            base = _scale_gamma(ztr)
            for g_scale in self.gamma_scales:
                k_tr, k_va = np.exp(-base * g_scale * d_tr), np.exp(-base * g_scale * d_va)
                for C in self.Cs:
                    svc = SVC(C=C, kernel="precomputed", class_weight=self.class_weight).fit(k_tr, ytr)
                    decisions[grid.index((C, g_scale)), va] = _full_decisions(svc, k_va, self.num_classes_)
            covered[va] = True
        yc = y[covered]
        scores = pooled_uf1(y, decisions.argmax(2), covered, self.num_classes_)
        best = int(np.argmax(scores))
        self.inner_scores_ = {f"C={C:g},gamma_scale={g:g}": float(s) for (C, g), s in zip(grid, scores)}
        self.C_, self.gamma_scale_ = grid[best]
        self.inner_uf1_ = float(scores[best])
        self.calibrator_ = None
        if len(np.unique(yc)) > 1:
            self.calibrator_ = LogisticRegression(class_weight="balanced", max_iter=1000).fit(
                np.nan_to_num(decisions[best][covered], neginf=-1e6), yc)

        Xa, ya = self._augment(X, y)
        flat = Xa.reshape(len(Xa), -1)
        scaler = StandardScaler().fit(flat)
        self.gamma_ = _scale_gamma(scaler.transform(flat)) * self.gamma_scale_
        svc = SVC(C=self.C_, gamma=self.gamma_, class_weight=self.class_weight, random_state=self.seed)
        self.pipeline_ = make_pipeline(scaler, svc).fit(flat, ya)
        self.classes_ = labels
        return self

    def decision_function(self, X) -> np.ndarray:
        """(N, num_classes) one-vs-rest decision values (columns of classes absent in training: −inf)."""
        X = np.asarray(X, dtype=np.float32)
        return _full_decisions(self.pipeline_, X.reshape(len(X), -1), self.num_classes_)

    def predict_proba(self, X) -> np.ndarray:
        d = self.decision_function(X)
        if self.calibrator_ is None:  # one class in training: certainty for it
            return (d == d.max(1, keepdims=True)).astype(float)
        p = np.zeros((len(d), self.num_classes_))
        p[:, self.calibrator_.classes_] = self.calibrator_.predict_proba(np.nan_to_num(d, neginf=-1e6))
        return p

    def predict(self, X) -> np.ndarray:
        return self.decision_function(X).argmax(1)


def _full_decisions(model, X, num_classes: int) -> np.ndarray:
    """One-vs-rest decision values as (N, num_classes), whatever classes the model was trained on."""
    d = model.decision_function(X)
    classes = model.classes_
    if d.ndim == 1:  # two classes: one signed margin
        d = np.stack([-d, d], axis=1)
    out = np.full((len(d), num_classes), -np.inf)
    out[:, classes] = d
    return out


@register_model("nested", input_kind="base", family="sklearn",
                paper="any registered model, its hyper-parameters chosen per training fold by grouped inner CV")
class NestedSearch(ClassifierMixin, BaseEstimator):
    """Grid search inside the training fold, for any registered model.

    ``grid`` maps a setting of ``base`` to the values to try: a model keyword (``C``, ``width``) or,
    for deep models, ``trainer.<name>`` (``trainer.epochs``, ``trainer.lr``). Each grid point is
    trained on ``inner_folds`` − 1 folds of the training subjects and scored by the UF1 of its
    pooled predictions on the held-out ones; the best point (ties: the first in grid order) is
    refitted on the whole training fold. The outer test subject is never seen.
    Cost: ``len(grid points) × inner_folds + 1`` fits per outer fold.
    """

    def __init__(self, base: str = "svm", grid: dict | None = None, base_kwargs: dict | None = None,
                 trainer: dict | None = None, inner_folds: int = 5, seed: int = 0):
        self.base = base
        self.grid = grid
        self.base_kwargs = base_kwargs
        self.trainer = trainer
        self.inner_folds = inner_folds
        self.seed = seed

    def _points(self) -> list[dict]:
        if not self.grid:
            raise ConfigError("nested: give the settings to search, e.g. model_kwargs: {base: svm, grid: {C: [0.5, 1, 2]}}")
        grid = dict(self.grid)
        for key, values in grid.items():
            if not isinstance(values, (list, tuple)) or not values:
                raise ConfigError(f"nested: grid key {key!r} needs a non-empty list of values, got {values!r}")
        keys = list(grid)
        return [dict(zip(keys, vals)) for vals in product(*(grid[k] for k in keys))]

    def _make(self, point: dict, num_classes: int):
        from .factory import create_estimator, get_spec

        if get_spec(self.base).name == "nested":
            raise ConfigError("nested: the base model cannot itself be 'nested'")
        model_kwargs, trainer = dict(self.base_kwargs or {}), dict(self.trainer or {})
        for key, value in point.items():
            if key.startswith("trainer."):
                trainer[key[len("trainer."):]] = value
            else:
                model_kwargs[key] = value
        return create_estimator(self.base, num_classes=num_classes, seed=self.seed, trainer=trainer, **model_kwargs)

    def fit(self, X, y, groups=None):
        X, y = np.asarray(X), np.asarray(y, dtype=int)
        self.num_classes_ = int(y.max()) + 1
        labels = np.arange(self.num_classes_)
        points = self._points()
        folds = inner_subject_folds(groups, y, self.inner_folds, self.seed)
        predictions = np.zeros((len(points), len(y)), dtype=int)
        covered = np.zeros(len(y), dtype=bool)
        g = None if groups is None else np.asarray(groups)
        for tr, va in folds:
            for i, point in enumerate(points):
                est = self._make(point, self.num_classes_).fit(X[tr], y[tr], None if g is None else g[tr])
                predictions[i, va] = np.asarray(est.predict(X[va]), dtype=int)
            covered[va] = True
        scores = pooled_uf1(y, predictions, covered, self.num_classes_)
        best = int(np.argmax(scores))
        self.inner_scores_ = [{"setting": p, "inner_uf1": float(s)} for p, s in zip(points, scores)]
        self.best_setting_ = points[best]
        self.inner_uf1_ = float(scores[best])
        self.estimator_ = self._make(self.best_setting_, self.num_classes_).fit(X, y, groups)
        self.classes_ = labels
        return self

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.estimator_.predict(X), dtype=int)

    @available_if(lambda self: hasattr(self.estimator_, "predict_proba"))
    def predict_proba(self, X) -> np.ndarray:
        return self.estimator_.predict_proba(X)

    @available_if(lambda self: hasattr(self.estimator_, "decision_function"))
    def decision_function(self, X) -> np.ndarray:
        return self.estimator_.decision_function(X)
