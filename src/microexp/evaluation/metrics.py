"""Recognition metrics: accuracy, UF1 (macro F1), UAR (mean per-class recall), per-class scores.

Convention of the published MEGC2019 tables (and our default): for leave-one-subject-out, metrics
are computed once on the predictions of all folds pooled together (a subject with one sample
would otherwise make per-fold F1 meaningless). ``mean_over_folds`` offers the other variant.
Classes absent from both truth and prediction are left out of the macro averages.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``cm[i, j]`` = number of samples of true class i predicted as j."""
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _per_class(cm: np.ndarray):
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(2 * tp + (support - tp) + (predicted - tp) > 0,
                      2 * tp / (2 * tp + (support - tp) + (predicted - tp)), 0.0)
    return precision, recall, f1, support, predicted


def accuracy(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def unweighted_f1(y_true, y_pred, n_classes: int | None = None) -> float:
    """UF1: mean over classes of F1 = 2TP / (2TP + FP + FN); classes never seen nor predicted are skipped."""
    n = n_classes or int(max(np.max(y_true), np.max(y_pred)) + 1)
    cm = confusion_matrix(y_true, y_pred, n)
    _, _, f1, support, predicted = _per_class(cm)
    present = (support + predicted) > 0
    return float(f1[present].mean())


def unweighted_average_recall(y_true, y_pred, n_classes: int | None = None) -> float:
    """UAR: mean over classes present in the truth of recall = TP / support."""
    n = n_classes or int(max(np.max(y_true), np.max(y_pred)) + 1)
    cm = confusion_matrix(y_true, y_pred, n)
    _, recall, _, support, _ = _per_class(cm)
    return float(recall[support > 0].mean())


def classification_report(y_true, y_pred, classes: Sequence[str]) -> dict:
    """Everything at once: accuracy, uf1, uar, n, per-class precision/recall/f1/support, confusion matrix."""
    n = len(classes)
    cm = confusion_matrix(y_true, y_pred, n)
    precision, recall, f1, support, _ = _per_class(cm)
    return {
        "uf1": unweighted_f1(y_true, y_pred, n),
        "uar": unweighted_average_recall(y_true, y_pred, n),
        "accuracy": accuracy(y_true, y_pred),
        "n": int(len(y_true)),
        "per_class": {c: {"precision": float(precision[k]), "recall": float(recall[k]), "f1": float(f1[k]),
                          "support": int(support[k])} for k, c in enumerate(classes)},
        "confusion_matrix": cm.tolist(),
    }


def mean_over_folds(y_true, y_pred, folds, n_classes: int) -> dict:
    """The per-fold variant: metrics per fold, then their mean and standard deviation."""
    y_true, y_pred, folds = map(np.asarray, (y_true, y_pred, folds))
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
    t, p = np.asarray(true_frames, float), np.asarray(predicted_frames, float)
    return float(np.mean(np.abs(t - p)))
