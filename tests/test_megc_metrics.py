"""MEGC spotting metrics, the reference script's many-to-many counts, STRS and the chance spotter,
on hand-made cases whose answers are worked out in the comments."""
from __future__ import annotations

import pandas as pd
import pytest

from microexp.errors import DataError
from microexp.spotting.megc_chance import chance_scores
from microexp.spotting.megc_metrics import (
    iou_matrix,
    many_to_many_counts,
    match_one_to_one,
    one_to_one_counts,
    precision_recall_f1,
    spot_then_recognise,
    spotting_matches,
    spotting_scores,
)


def table(rows, columns=("video", "onset", "offset", "type")):
    return pd.DataFrame(list(rows), columns=list(columns))


def test_iou_counts_frames_inclusively():
    iou = iou_matrix([(1, 2), (0, 9), (5, 4)], [(1, 4), (5, 14)])
    assert iou[0, 0] == 0.5                      # 2 shared frames of 4
    assert iou[1, 1] == pytest.approx(5 / 15)    # frames 5..9 shared, 0..14 in the union
    assert iou[0, 1] == 0.0                      # disjoint
    assert (iou[2] == 0).all()                   # an empty interval overlaps nothing
    assert iou_matrix([(3, 3)], [(3, 3)])[0, 0] == 1.0


def test_iou_of_exactly_half_is_a_hit():
    assert one_to_one_counts([(1, 2)], [(1, 4)]) == (1, 0, 0)
    assert one_to_one_counts([(1, 1)], [(1, 3)]) == (0, 1, 1)   # 1/3 < 0.5
    assert many_to_many_counts([(1, 2)], [(1, 4)]) == (1, 0, 0)


def test_two_predictions_on_one_truth_one_to_one_versus_many_to_many():
    pred, true = [(0, 9), (1, 10)], [(0, 10)]
    assert one_to_one_counts(pred, true) == (1, 1, 0)      # the second is a false positive
    assert many_to_many_counts(pred, true) == (1, 0, 0)    # the reference script forgives it
    # the kept pair is the better one (IoU 10/11 each: a tie, broken by the assignment's order)
    assert len(match_one_to_one(pred, true)) == 1


def test_matching_maximises_the_number_of_pairs_not_greedy():
    # p1 overlaps A best (9/11) but can also take B (7/13 >= .5); p2 only fits A (6/10).
    # Greedy by IoU takes p1-A and leaves p2 and B unmatched; the maximum matching takes both.
    pred, true = [(1, 10), (0, 5)], [(0, 9), (4, 13)]
    pairs = match_one_to_one(pred, true)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (1, 0)]
    assert one_to_one_counts(pred, true) == (2, 0, 0)


def test_ties_go_to_the_larger_iou():
    # two ways to match both predictions; the one with IoUs 1.0 + 1.0 wins over 10/12 + 10/12
    pairs = match_one_to_one([(0, 9), (0, 11)], [(0, 11), (0, 9)])
    assert [(i, j) for i, j, _ in pairs] == [(0, 1), (1, 0)]
    assert [iou for *_, iou in pairs] == [1.0, 1.0]
    # one prediction, two truths it fits: the closer one is taken
    assert [(i, j) for i, j, _ in match_one_to_one([(0, 9)], [(0, 11), (0, 9)])] == [(0, 1)]


def test_many_to_many_can_give_negative_false_positives():
    # one prediction hitting two overlapping truths: TP 2, FP = 1 prediction - 2 hits = -1
    assert many_to_many_counts([(0, 10)], [(0, 9), (1, 10)]) == (2, -1, 0)
    assert one_to_one_counts([(0, 10)], [(0, 9), (1, 10)]) == (1, 0, 1)
    assert many_to_many_counts([], [(0, 9)]) == (0, 0, 1)
    assert many_to_many_counts([(0, 9)], []) == (0, 1, 0)


def test_counts_are_pooled_over_videos_and_videos_without_intervals_count():
    truth = table([("v1", 0, 9, "micro"), ("v2", 100, 109, "micro"), ("v3", 5, 9, "micro")])
    pred = table([("v1", 0, 9, "micro"),                                       # TP
                  ("v2", 0, 9, "micro"), ("v2", 20, 29, "micro"), ("v2", 40, 49, "micro"),  # 3 FP (+1 FN)
                  ("v4", 0, 9, "micro")])                                      # FP: v4 has no truth
    s = spotting_scores(pred, truth)["micro"]
    assert (s["tp"], s["fp"], s["fn"]) == (1, 4, 2)                           # v3 has no prediction: FN
    assert s["precision"] == pytest.approx(1 / 5) and s["recall"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(2 * (1 / 5) * (1 / 3) / (1 / 5 + 1 / 3))
    empty = spotting_scores(table([]), truth)
    assert empty["micro"]["fn"] == 3 and empty["micro"]["f1"] == 0.0 and empty["overall"]["f1"] == 0.0


def test_types_are_matched_separately_and_overall_pools_them():
    truth = table([("v", 0, 9, "macro"), ("v", 50, 55, "micro"), ("v", 80, 89, "macro")])
    pred = table([("v", 0, 9, "micro"),      # right place, wrong type: FP micro, and macro 0..9 is missed
                  ("v", 50, 55, "micro"),    # TP micro
                  ("v", 80, 90, "macro")])   # TP macro (IoU 10/11)
    s = spotting_scores(pred, truth, type_agnostic=True)
    assert (s["micro"]["tp"], s["micro"]["fp"], s["micro"]["fn"]) == (1, 1, 0)
    assert (s["macro"]["tp"], s["macro"]["fp"], s["macro"]["fn"]) == (1, 0, 1)
    assert (s["overall"]["tp"], s["overall"]["fp"], s["overall"]["fn"]) == (2, 1, 1)
    assert s["overall"]["f1"] == pytest.approx(2 / 3)
    assert (s["any_type"]["tp"], s["any_type"]["fp"], s["any_type"]["fn"]) == (3, 0, 0)
    with pytest.raises(DataError, match="types"):
        spotting_scores(table([("v", 0, 9, "Micro - 1/2")]), truth)


def test_predictions_past_the_end_are_clipped_to_the_video():
    truth = table([("v", 90, 99, "macro", 100, 0)], ("video", "onset", "offset", "type", "video_length",
                                                      "first_frame"))
    pred = table([("v", 92, 130, "macro"),    # 92..99 after clipping: IoU 8/10
                  ("v", 150, 160, "macro")])  # wholly past the end: still a false positive
    s = spotting_scores(pred, truth)["macro"]
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 0)
    raw = spotting_scores(pred, truth, clip=False)["macro"]   # 92..130 vs 90..99: IoU 8/41
    assert (raw["tp"], raw["fp"], raw["fn"]) == (0, 2, 1)
    # lengths from a separate video table (1-based frames: last frame 100)
    videos = pd.DataFrame({"video": ["v"], "video_length": [100], "first_frame": [1]})
    t2 = truth.drop(columns=["video_length", "first_frame"]).assign(onset=91, offset=100)
    s2 = spotting_scores(table([("v", 93, 140, "macro")]), t2, videos=videos)["macro"]
    assert s2["tp"] == 1   # 93..100 vs 91..100: 8/10


def test_spotting_matches_and_many_to_many_over_tables():
    truth = table([("v", 0, 9, "micro"), ("w", 0, 9, "micro")])
    pred = table([("w", 0, 9, "micro"), ("v", 1, 9, "micro"), ("v", 0, 8, "micro")])
    pairs = spotting_matches(pred, truth)
    assert sorted(map(tuple, pairs[["pred", "truth"]].to_numpy())) in ([(0, 1), (1, 0)], [(0, 1), (2, 0)])
    one = spotting_scores(pred, truth)["micro"]
    many = spotting_scores(pred, truth, matching="many_to_many")["micro"]
    assert (one["tp"], one["fp"], one["fn"]) == (2, 1, 0)
    assert (many["tp"], many["fp"], many["fn"]) == (2, 0, 0)


def test_precision_recall_f1_zero_denominators():
    assert precision_recall_f1(0, 0, 0) == {"tp": 0, "fp": 0, "fn": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert precision_recall_f1(3, 1, 1)["f1"] == pytest.approx(0.75)


def test_spot_then_recognise_by_hand():
    cols = ("video", "onset", "offset", "type", "emotion")
    truth = table([
        ("v", 0, 9, "micro", "negative"), ("v", 20, 29, "micro", "negative"), ("v", 40, 49, "micro", "positive"),
        ("v", 60, 69, "micro", "surprise"), ("v", 80, 89, "micro", "positive"),     # 80..89 is missed
        ("v", 200, 260, "macro", "negative"),                                         # macro: not scored
    ], cols)
    pred = table([
        ("v", 0, 9, "micro", "negative"),    # TP, right
        ("v", 20, 29, "micro", "positive"),  # TP, negative read as positive
        ("v", 40, 49, "micro", "positive"),  # TP, right
        ("v", 60, 69, "micro", "negative"),  # TP, surprise read as negative
        ("v", 120, 129, "micro", "negative"),  # FP
        ("v", 200, 260, "macro", "positive"),
    ], cols)
    r = spot_then_recognise(pred, truth)
    # spotting: TP 4, FP 1, FN 1 -> P = R = F1 = 0.8
    assert (r["spot_tp"], r["spot_fp"], r["spot_fn"]) == (4, 1, 1)
    assert r["spot_f1"] == pytest.approx(0.8)
    # classes negative, positive, surprise over the 4 pairs (true -> predicted):
    #   neg->neg, neg->pos, pos->pos, sur->neg
    #   negative: TP 1, FP 1, FN 1 -> P 1/2, R 1/2, F1 1/2
    #   positive: TP 1, FP 1, FN 0 -> P 1/2, R 1,   F1 2/3
    #   surprise: TP 0, FP 0, FN 1 -> P 0,   R 0,   F1 0
    assert r["classes"] == ["negative", "positive", "surprise"] and r["n_pairs"] == 4
    p, rec = (0.5 + 0.5 + 0) / 3, (0.5 + 1 + 0) / 3
    assert r["analysis_precision"] == pytest.approx(p) and r["analysis_recall"] == pytest.approx(rec)
    assert r["analysis_f1"] == pytest.approx(2 * p * rec / (p + rec))           # 0.4
    assert r["analysis_f1"] == pytest.approx(0.4)
    assert r["uf1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert r["uar"] == pytest.approx(0.5)
    assert r["strs"] == pytest.approx(0.8 * 0.4)
    assert r["strs_uf1"] == pytest.approx(0.8 * (0.5 + 2 / 3) / 3)
    # both types: the macro pair joins spotting (TP 5) and analysis (negative read as positive)
    both = spot_then_recognise(pred, truth, types=("micro", "macro"))
    assert (both["spot_tp"], both["spot_fp"], both["spot_fn"]) == (5, 1, 1) and both["n_pairs"] == 5
    # a class list leaves out pairs whose true class is not in it
    only = spot_then_recognise(pred, truth, classes=["negative", "positive"])
    assert only["n_pairs"] == 3
    with pytest.raises(DataError, match="emotion"):
        spot_then_recognise(pred.drop(columns="emotion"), truth)


def _chance_table():
    videos = pd.DataFrame({"dataset": "d", "subject": ["s1", "s1", "s2"], "video": ["a", "b", "c"],
                           "video_length": [600, 900, 300], "fps": 30.0, "first_frame": 0})
    rows = [("d", "s1", "a", 10, 19, "micro"), ("d", "s1", "a", 100, 160, "macro"), ("d", "s1", "b", 300, 340, "macro"),
            ("d", "s1", "b", 500, 511, "micro"), ("d", "s1", "b", 700, 780, "macro")]
    df = pd.DataFrame(rows, columns=["dataset", "subject", "video", "onset", "offset", "type"])
    df.attrs["videos"] = videos
    return df


def test_chance_spotter_is_reproducible_and_sane():
    df = _chance_table()
    a = chance_scores(df, n_draws=20, seed=3)
    b = chance_scores(df, n_draws=20, seed=3)
    assert a["overall_f1"] == b["overall_f1"] and a["micro_f1"] == b["micro_f1"]
    assert 0.0 <= a["micro_f1"] <= a["overall_f1"] + 0.2 and a["overall_f1"] < 0.5
    d = a["per_draw"]
    assert len(d) == 20
    # every truth is either found or missed, in every draw
    assert ((d["micro_tp"] + d["micro_fn"]) == 2).all() and ((d["macro_tp"] + d["macro_fn"]) == 3).all()
    # placed intervals: Poisson around 5 per draw (rate × 1800 frames), so never hundreds
    assert (d["overall_tp"] + d["overall_fp"]).mean() == pytest.approx(5, abs=2)


def test_chance_spotter_finds_truths_that_fill_the_video():
    # a single video whose one macro-expression spans the whole video: every placed interval of
    # that duration lands on it, so chance F1 is close to 1
    videos = pd.DataFrame({"dataset": ["d"], "subject": ["s"], "video": ["v"], "video_length": [50],
                           "fps": [30.0], "first_frame": [0]})
    df = pd.DataFrame({"dataset": ["d"], "subject": ["s"], "video": ["v"], "onset": [0], "offset": [49],
                       "type": ["macro"]})
    r = chance_scores(df, n_draws=50, seed=0, videos=videos)
    # N ~ Poisson(1): F1 = 1 when N = 1 (37%), 2/(N+1) when N > 1, 0 when N = 0 (37%)
    assert 0.4 < r["macro_f1"] < 0.75
    assert r["micro_f1"] == 0.0
