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


def test_scores_from_confusion_matrices_match_the_scores_of_predictions():
    from microexp.metrics import confusion_matrix, uf1_uar_from_confusion, unweighted_average_recall, unweighted_f1

    rng = np.random.default_rng(0)
    cases = [(rng.integers(0, 4, 50), rng.integers(0, 4, 50)),
             (np.array([0, 0, 1, 1]), np.array([0, 2, 1, 1])),      # class 2 predicted, never true
             (np.array([0, 0, 1, 3]), np.array([0, 1, 1, 1]))]      # class 2 neither true nor predicted
    cms = []
    for y, p in cases:
        cm = confusion_matrix(y, p, 4)
        uf1, uar = uf1_uar_from_confusion(cm)
        assert uf1 == pytest.approx(unweighted_f1(y, p, 4)) and uar == pytest.approx(unweighted_average_recall(y, p, 4))
        cms.append(cm)
    uf1s, _ = uf1_uar_from_confusion(np.stack(cms))  # a stack scores each matrix
    assert uf1s == pytest.approx([unweighted_f1(y, p, 4) for y, p in cases])
