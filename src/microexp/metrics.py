"""Recognition metrics, one implementation (scikit-learn's) for reporting and for every inner
selection alike: accuracy, UF1 (macro F1), UAR (mean per-class recall), per-class scores; and the
same UF1 / UAR from confusion matrices, for resampling loops.

Convention of the published MEGC2019 tables (and our default): for leave-one-subject-out, metrics
are computed once on the predictions of all folds pooled together (a subject with one sample
would otherwise make per-fold F1 meaningless). ``mean_over_folds`` offers the other variant.
Classes absent from both truth and prediction are left out of the UF1 average; UAR averages the
classes present in the truth. This module sits below every stage, so models tuned inside a
training fold score their inner folds with exactly the functions the reports use.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn import metrics as _sk


def _ints(a) -> np.ndarray:
    return np.asarray(a, dtype=int).ravel()


def _n(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None) -> int:
    if n_classes is not None:
        return int(n_classes)
    return int(max(y_true.max(initial=-1), y_pred.max(initial=-1)) + 1)


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``cm[i, j]`` = number of samples of true class i predicted as j."""
    return _sk.confusion_matrix(_ints(y_true), _ints(y_pred), labels=np.arange(n_classes)).astype(np.int64)


def accuracy(y_true, y_pred) -> float:
    y_true, y_pred = _ints(y_true), _ints(y_pred)
    return float(_sk.accuracy_score(y_true, y_pred)) if len(y_true) else float("nan")


def unweighted_f1(y_true, y_pred, n_classes: int | None = None) -> float:
    """UF1: mean over classes of F1 = 2TP / (2TP + FP + FN); classes never seen nor predicted are skipped."""
    y_true, y_pred = _ints(y_true), _ints(y_pred)
    labels = np.arange(_n(y_true, y_pred, n_classes))
    present = labels[np.isin(labels, y_true) | np.isin(labels, y_pred)]
    return float(_sk.f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))


def unweighted_average_recall(y_true, y_pred, n_classes: int | None = None) -> float:
    """UAR: mean over classes present in the truth of recall = TP / support."""
    y_true, y_pred = _ints(y_true), _ints(y_pred)
    labels = np.arange(_n(y_true, y_pred, n_classes))
    present = labels[np.isin(labels, y_true)]
    return float(_sk.recall_score(y_true, y_pred, labels=present, average="macro", zero_division=0))


def uf1_uar_from_confusion(cm) -> tuple[np.ndarray, np.ndarray]:
    """UF1 and UAR of confusion matrices ``(..., K, K)`` (rows: truth), by the conventions above.

    For resampling loops: summing per-subject confusion matrices and scoring the sums is far cheaper
    than rescoring predictions, and gives what :func:`unweighted_f1` and
    :func:`unweighted_average_recall` give on the same samples (a test checks it).
    """
    cm = np.asarray(cm, dtype=float)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support, predicted = cm.sum(axis=-1), cm.sum(axis=-2)
    f1_present, recall_present = (support + predicted) > 0, support > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros_like(tp), where=f1_present)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=recall_present)
    with np.errstate(invalid="ignore"):
        uf1 = (f1 * f1_present).sum(axis=-1) / f1_present.sum(axis=-1)
        uar = (recall * recall_present).sum(axis=-1) / recall_present.sum(axis=-1)
    return uf1, uar


def classification_report(y_true, y_pred, classes: Sequence[str]) -> dict:
    """Everything at once: accuracy, uf1, uar, n, per-class precision/recall/f1/support, confusion matrix."""
    y_true, y_pred = _ints(y_true), _ints(y_pred)
    n = len(classes)
    labels = np.arange(n)
    precision, recall, f1, support = _sk.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "uf1": unweighted_f1(y_true, y_pred, n),
        "uar": unweighted_average_recall(y_true, y_pred, n),
        "accuracy": accuracy(y_true, y_pred),
        "n": int(len(y_true)),
        "per_class": {c: {"precision": float(precision[k]), "recall": float(recall[k]), "f1": float(f1[k]),
                          "support": int(support[k])} for k, c in enumerate(classes)},
        "confusion_matrix": confusion_matrix(y_true, y_pred, n).tolist(),
    }


def mean_over_folds(y_true, y_pred, folds, n_classes: int) -> dict:
    """The per-fold variant: metrics per fold, then their mean and standard deviation."""
    y_true, y_pred, folds = _ints(y_true), _ints(y_pred), np.asarray(folds)
    rows = []
    for f in np.unique(folds):
        m = folds == f
        rows.append((unweighted_f1(y_true[m], y_pred[m], n_classes),
                     unweighted_average_recall(y_true[m], y_pred[m], n_classes), accuracy(y_true[m], y_pred[m])))
    arr = np.array(rows)
    return {"uf1": float(arr[:, 0].mean()), "uf1_std": float(arr[:, 0].std()),
            "uar": float(arr[:, 1].mean()), "uar_std": float(arr[:, 1].std()),
            "accuracy": float(arr[:, 2].mean()), "accuracy_std": float(arr[:, 2].std()), "folds": int(len(rows))}


def mean_absolute_error(true_frames, predicted_frames) -> float:
    """MAE in frames (apex spotting)."""
    return float(_sk.mean_absolute_error(np.asarray(true_frames, float), np.asarray(predicted_frames, float)))
