"""Leak-free evaluation: subject-aware protocols, metrics, and a resumable fold runner."""
from ..metrics import (accuracy, classification_report, confusion_matrix, mean_absolute_error, mean_over_folds,
                      unweighted_average_recall, unweighted_f1)
from .protocols import (Fold, holdout, inner_validation_split, leave_one_dataset_out, leave_one_subject_out,
                        make_folds, stratified_subject_kfold, subject_holdout)
from .runner import EvaluationConfig, EvaluationResult, evaluate, summarise

__all__ = [
    "EvaluationConfig", "EvaluationResult", "Fold", "accuracy", "classification_report", "confusion_matrix", "evaluate",
    "holdout", "inner_validation_split", "leave_one_dataset_out", "leave_one_subject_out", "make_folds",
    "mean_absolute_error", "mean_over_folds", "stratified_subject_kfold", "subject_holdout", "summarise",
    "unweighted_average_recall", "unweighted_f1",
]
