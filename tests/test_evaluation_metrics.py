import numpy as np
import pytest

from microexp.metrics import (accuracy, classification_report, confusion_matrix, mean_absolute_error,
                                         mean_over_folds, unweighted_average_recall, unweighted_f1)


def test_confusion_matrix_counts():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_uf1_uar_hand_computed():
    y = [0, 0, 0, 0, 1, 1, 2, 2]
    p = [0, 0, 1, 2, 1, 1, 2, 0]
    # class 0: TP2 FP1 FN2 -> F1 = 4/7 ; recall 2/4
    # class 1: TP2 FP1 FN0 -> F1 = 4/5 ; recall 1
    # class 2: TP1 FP1 FN1 -> F1 = 1/2 ; recall 1/2
    assert unweighted_f1(y, p, 3) == pytest.approx((4 / 7 + 4 / 5 + 1 / 2) / 3)
    assert unweighted_average_recall(y, p, 3) == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert accuracy(y, p) == pytest.approx(5 / 8)


def test_perfect_and_constant_predictions():
    y = np.array([0, 1, 2, 0, 1, 2])
    assert unweighted_f1(y, y, 3) == 1.0
    assert unweighted_average_recall(y, y, 3) == 1.0
    const = np.zeros_like(y)
    assert unweighted_average_recall(y, const, 3) == pytest.approx(1 / 3)
    # F1 of class 0 = 2*2/(2*2+4+0) = 0.5 ; classes 1, 2 have F1 0
    assert unweighted_f1(y, const, 3) == pytest.approx(0.5 / 3)


def test_absent_class_is_not_averaged():
    # class 2 neither present nor predicted: macro averages over classes 0 and 1 only
    assert unweighted_f1([0, 1], [0, 1], 3) == 1.0
    assert unweighted_average_recall([0, 1], [0, 0], 3) == pytest.approx(0.5)


def test_report_per_class_and_mean_over_folds():
    y = [0, 1, 2, 2]
    p = [0, 1, 1, 2]
    rep = classification_report(y, p, ("a", "b", "c"))
    assert rep["per_class"]["b"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert rep["confusion_matrix"][2] == [0, 1, 1]
    mf = mean_over_folds(y, p, ["f1", "f1", "f2", "f2"], 3)
    assert mf["folds"] == 2
    assert mf["accuracy"] == pytest.approx((1.0 + 0.5) / 2)


def test_mae():
    assert mean_absolute_error([10, 20], [12, 17]) == pytest.approx(2.5)
