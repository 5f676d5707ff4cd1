"""MEGC long-video spotting metrics, and the spot-then-recognise score (STRS).

Intervals are inclusive frame ranges ``[onset, offset]``. Their IoU counts frames:
``|[a, b] ∩ [c, d]| = max(0, min(b, d) - max(a, c) + 1)`` and the union likewise
(``(b - a + 1) + (d - c + 1) - intersection``).

Spotting (MEGC 2019–2024 long-video track), as implemented by :func:`spotting_scores`:

* within each video, and separately for each type (micro, macro), predicted intervals of type
  ``t`` are matched ONE-TO-ONE to true intervals of type ``t``; a pair may be matched when its
  IoU >= 0.5 (an IoU of exactly 0.5 counts). The matching has the most pairs possible (maximum
  cardinality, :func:`scipy.optimize.linear_sum_assignment`); among such matchings the one of
  largest total IoU is taken, so ties go to the better-overlapping pairs deterministically;
* TP = matched pairs, FP = predictions left unmatched, FN = truths left unmatched, summed over
  all videos (pooled, never averaged per video); precision, recall and F1 from the sums;
* ``overall`` pools the two analyses: TP = TP_micro + TP_macro, FP and FN likewise (the MEGC
  convention since the challenge asked for both types: each submitted interval carries its type
  and is only ever compared with true intervals of that type). ``type_agnostic=True`` adds
  ``any_type``: one matching per video over all intervals, ignoring types;
* predictions are clipped to the video (``first_frame .. first_frame + video_length - 1``) when
  lengths are known; one that lies wholly outside matches nothing and stays a false positive.
  Predictions in videos without truths are false positives.

The reference script (:func:`many_to_many_counts`): the evaluation code that circulates with
MEGC baselines counts, per video, TP = the true intervals hit by at least one prediction
(IoU >= 0.5), FP = predictions - (all hitting (prediction, truth) pairs), FN = truths - TP. It is
many-to-many: two predictions on one truth give one TP and NO false positive, and a prediction
that hits two (overlapping) truths removes two false positives, so FP can even be negative. The
one-to-one matcher counts the second prediction on a truth as a false positive.

Spot-then-recognise (MEGC 2023/2024), :func:`spot_then_recognise`, following the STRS script of
Liong et al. (2023) that the challenge circulates:

* spotting F1 as above, over the chosen types (default micro only);
* the analysis task looks only at the true-positive pairs whose true emotion is one of the
  classes (default: the distinct true emotions); for each class c, one-vs-rest on those pairs:
  P_c = TP_c / (TP_c + FP_c), R_c = TP_c / (TP_c + FN_c) (0 when undefined);
* ``analysis_f1`` = 2·P·R / (P + R) with P, R the means of P_c and R_c: this is what the script
  multiplies; ``STRS = spotting F1 × analysis_f1``;
* also reported: ``uf1`` = mean of the per-class F1 (sklearn ``f1_score(average='macro')``),
  ``uar`` = mean of R_c, and ``strs_uf1`` = spotting F1 × UF1.

Where this differs from that script: it matches greedily in prediction order and lets one
prediction claim several truths; here the one-to-one matching above is used. Its UAR is the
mean of the per-class precisions (a slip); here it is the mean recall. When a class is the only
label among all the pairs, the script's ``confusion_matrix(...).ravel()`` fails and it scores
that class 0; here it scores what it is (1 when all are right).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..errors import DataError

#: MEGC: a predicted interval matches a true one when their IoU is at least 0.5.
MEGC_IOU_THRESHOLD = 0.5
TYPES = ("micro", "macro")
VIDEO_KEYS = ("dataset", "subject", "video")
MATCHINGS = ("one_to_one", "many_to_many")
_EPS = 1e-12


# ------------------------------------------------------------------------------------ per video
def _as_intervals(intervals) -> np.ndarray:
    a = np.asarray(intervals, dtype=np.int64).reshape(-1, 2) if len(intervals) else np.zeros((0, 2), np.int64)
    return a


def iou_matrix(predicted, true) -> np.ndarray:
    """``(n_pred, n_true)`` frame-inclusive IoUs of two lists of ``(onset, offset)`` intervals.
    An empty interval (offset < onset) has IoU 0 with everything."""
    p, t = _as_intervals(predicted), _as_intervals(true)
    if len(p) == 0 or len(t) == 0:
        return np.zeros((len(p), len(t)))
    inter = np.minimum(p[:, None, 1], t[None, :, 1]) - np.maximum(p[:, None, 0], t[None, :, 0]) + 1
    inter = np.clip(inter, 0, None)
    lp = np.clip(p[:, 1] - p[:, 0] + 1, 0, None)
    lt = np.clip(t[:, 1] - t[:, 0] + 1, 0, None)
    union = lp[:, None] + lt[None, :] - inter
    out = np.zeros(inter.shape)
    ok = (union > 0) & (lp[:, None] > 0) & (lt[None, :] > 0)
    out[ok] = inter[ok] / union[ok]
    return out


def match_one_to_one(predicted, true, threshold: float = MEGC_IOU_THRESHOLD) -> list[tuple[int, int, float]]:
    """One-to-one matching of one video's intervals: ``[(pred index, true index, iou), …]``
    sorted by prediction index. Only pairs with IoU >= ``threshold`` may match; the number of
    pairs is the largest possible and, among such matchings, the total IoU is the largest."""
    iou = iou_matrix(predicted, true)
    hit = iou >= threshold - _EPS
    if not hit.any():
        return []
    rows, cols = np.flatnonzero(hit.any(1)), np.flatnonzero(hit.any(0))
    sub_hit, sub_iou = hit[np.ix_(rows, cols)], iou[np.ix_(rows, cols)]
    if (sub_hit.sum(1) <= 1).all() and (sub_hit.sum(0) <= 1).all():  # no competition: every hit is a match
        r, c = np.nonzero(sub_hit)
    else:
        # a bonus larger than any total IoU makes every extra pair worth more than all IoUs together
        bonus = float(min(sub_hit.shape) + 1)
        r, c = linear_sum_assignment(np.where(sub_hit, bonus + sub_iou, 0.0), maximize=True)
        keep = sub_hit[r, c]
        r, c = r[keep], c[keep]
    pairs = sorted((int(rows[i]), int(cols[j]), float(sub_iou[i, j])) for i, j in zip(r, c))
    return pairs


def one_to_one_counts(predicted, true, threshold: float = MEGC_IOU_THRESHOLD) -> tuple[int, int, int]:
    """``(TP, FP, FN)`` of one video under the one-to-one matching (:func:`match_one_to_one`)."""
    n_p, n_t = len(_as_intervals(predicted)), len(_as_intervals(true))
    tp = len(match_one_to_one(predicted, true, threshold)) if n_p and n_t else 0
    return tp, n_p - tp, n_t - tp


def many_to_many_counts(predicted, true, threshold: float = MEGC_IOU_THRESHOLD) -> tuple[int, int, int]:
    """``(TP, FP, FN)`` of one video as the circulated MEGC reference script counts them.

    For each true interval, the number of predictions with IoU >= ``threshold`` is counted;
    TP = true intervals with at least one such prediction, FP = predictions - the number of all
    such (prediction, truth) pairs, FN = true intervals - TP. Unlike :func:`one_to_one_counts`,
    a second prediction on an already-found truth is not a false positive, and a prediction
    that hits k truths lowers FP by k (FP < 0 is possible when truths overlap).
    """
    iou = iou_matrix(predicted, true)
    hits = (iou >= threshold - _EPS).sum(axis=0) if iou.size else np.zeros(iou.shape[1], int)
    tp = int((hits > 0).sum())
    fp = int(iou.shape[0] - hits.sum())
    return tp, fp, int(iou.shape[1] - tp)


def precision_recall_f1(tp: int, fp: int, fn: int) -> dict[str, float]:
    """``{'tp', 'fp', 'fn', 'precision', 'recall', 'f1'}``; a ratio with a zero denominator is 0."""
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"tp": int(tp), "fp": int(fp), "fn": int(fn), "precision": precision, "recall": recall, "f1": f1}


# ---------------------------------------------------------------------------------- over tables
def _keys(predictions: pd.DataFrame, truth: pd.DataFrame) -> list[str]:
    keys = [k for k in VIDEO_KEYS if k in predictions.columns and k in truth.columns]
    if "video" not in keys:
        raise DataError("predictions and truth both need a 'video' column (and 'subject', 'dataset' when "
                        "video names repeat across subjects or databases)")
    return keys


def _check_columns(df: pd.DataFrame, what: str, extra: Sequence[str] = ()) -> None:
    missing = [c for c in ("onset", "offset", "type", *extra) if c not in df.columns]
    if missing:
        raise DataError(f"{what} lack columns {missing}")
    bad = sorted(set(map(str, df["type"])) - set(TYPES))
    if bad:
        raise DataError(f"{what} have types {bad}; expected 'micro' or 'macro'")


def _video_bounds(truth: pd.DataFrame, videos: pd.DataFrame | None, keys: list[str]) -> dict[tuple, tuple[int, int]]:
    """``key → (first frame, last frame)`` from ``videos``, ``truth.attrs['videos']`` and the
    truth rows' ``video_length`` / ``first_frame`` (0 when not given)."""
    tables = [t for t in (videos, truth.attrs.get("videos"), truth) if isinstance(t, pd.DataFrame)]
    bounds: dict[tuple, tuple[int, int]] = {}
    for table in reversed(tables):  # later tables override: the explicit ``videos`` wins
        if "video_length" not in table.columns or not all(k in table.columns for k in keys):
            continue
        first = table["first_frame"] if "first_frame" in table.columns else pd.Series(0, index=table.index)
        for key, length, f in zip(table[keys].itertuples(index=False, name=None), table["video_length"], first):
            bounds[tuple(key)] = (int(f), int(f) + int(length) - 1)
    return bounds


def _grouped(df: pd.DataFrame, keys: list[str], by_type: bool) -> dict[tuple, list[tuple[int, int, int]]]:
    """``(video key…[, type]) → [(onset, offset, row position), …]``."""
    groups: dict[tuple, list] = {}
    cols = keys + ["type"] if by_type else keys
    for pos, (key, on, off) in enumerate(zip(df[cols].itertuples(index=False, name=None), df["onset"], df["offset"])):
        groups.setdefault(tuple(key), []).append((int(on), int(off), pos))
    return groups


def _clip(pred: pd.DataFrame, bounds: dict[tuple, tuple[int, int]], keys: list[str]) -> pd.DataFrame:
    """Predictions cut to their video's frames (videos of unknown length are left alone)."""
    if not bounds:
        return pred
    big = np.iinfo(np.int64).max // 4
    lo, hi = zip(*(bounds.get(tuple(k), (-big, big)) for k in pred[keys].itertuples(index=False, name=None))) \
        if len(pred) else ((), ())
    pred = pred.copy()
    pred["onset"] = np.maximum(pred["onset"].to_numpy(np.int64), np.asarray(lo, np.int64))
    pred["offset"] = np.minimum(pred["offset"].to_numpy(np.int64), np.asarray(hi, np.int64))
    return pred


def _count(predictions: pd.DataFrame, truth: pd.DataFrame, videos: pd.DataFrame | None, threshold: float,
           clip: bool, type_agnostic: bool, matching: str) -> tuple[list[tuple], dict[str, dict[str, int]]]:
    if matching not in MATCHINGS:
        raise DataError(f"matching must be one of {MATCHINGS}, got {matching!r}")
    _check_columns(predictions, "predictions")
    _check_columns(truth, "true intervals")
    keys = _keys(predictions, truth)
    if clip:
        predictions = _clip(predictions, _video_bounds(truth, videos, keys), keys)
    passes = [(True, TYPES)] + ([(False, ("any_type",))] if type_agnostic else [])
    pairs, counts = [], {}
    for by_type, names in passes:
        gp, gt = _grouped(predictions, keys, by_type), _grouped(truth, keys, by_type)
        totals = {n: [0, 0, 0] for n in names}
        for key in set(gp) | set(gt):
            p, t = gp.get(key, []), gt.get(key, [])
            name = key[-1] if by_type else "any_type"
            p_iv, t_iv = [x[:2] for x in p], [x[:2] for x in t]
            if matching == "many_to_many":
                c = many_to_many_counts(p_iv, t_iv, threshold)
            else:
                matched = match_one_to_one(p_iv, t_iv, threshold) if p and t else []
                c = (len(matched), len(p) - len(matched), len(t) - len(matched))
                if by_type:
                    pairs += [(p[i][2], t[j][2], iou, name) for i, j, iou in matched]
            totals[name] = [a + b for a, b in zip(totals[name], c)]
        counts.update({n: dict(zip(("tp", "fp", "fn"), v)) for n, v in totals.items()})
    return pairs, counts


def spotting_matches(predictions: pd.DataFrame, truth: pd.DataFrame, *, videos: pd.DataFrame | None = None,
                     threshold: float = MEGC_IOU_THRESHOLD, clip: bool = True) -> pd.DataFrame:
    """The one-to-one matched pairs over all videos: columns ``pred`` and ``truth`` (row
    positions in the two tables), ``iou`` and ``type``."""
    pairs, _ = _count(predictions, truth, videos, threshold, clip, False, "one_to_one")
    return pd.DataFrame(pairs, columns=["pred", "truth", "iou", "type"])


def spotting_scores(predictions: pd.DataFrame, truth: pd.DataFrame, *, videos: pd.DataFrame | None = None,
                    threshold: float = MEGC_IOU_THRESHOLD, matching: str = "one_to_one", clip: bool = True,
                    type_agnostic: bool = False) -> dict[str, dict[str, float]]:
    """MEGC spotting scores: ``{'micro': {...}, 'macro': {...}, 'overall': {...}}`` with
    ``tp, fp, fn, precision, recall, f1`` each (and ``'any_type'`` with ``type_agnostic``).

    ``predictions`` and ``truth``: tables with ``onset``, ``offset``, ``type`` (``micro`` or
    ``macro``) and the video columns they share among ``dataset``, ``subject``, ``video``.
    ``videos``: video lengths for clipping (default: ``truth.attrs['videos']`` and the truth rows'
    ``video_length``/``first_frame``). ``matching``: ``'one_to_one'`` (MEGC) or
    ``'many_to_many'`` (the circulated reference script, :func:`many_to_many_counts`).
    """
    _, counts = _count(predictions, truth, videos, threshold, clip, type_agnostic, matching)
    out = {t: precision_recall_f1(**counts[t]) for t in TYPES}
    out["overall"] = precision_recall_f1(*(counts["micro"][k] + counts["macro"][k] for k in ("tp", "fp", "fn")))
    if type_agnostic:
        out["any_type"] = precision_recall_f1(**counts["any_type"])
    return out


def spot_then_recognise(predictions: pd.DataFrame, truth: pd.DataFrame, *, types: Sequence[str] = ("micro",),
                        classes: Sequence[str] | None = None, emotion_column: str = "emotion",
                        videos: pd.DataFrame | None = None, threshold: float = MEGC_IOU_THRESHOLD,
                        clip: bool = True) -> dict[str, float]:
    """Spot-then-recognise score of MEGC 2023/2024 (see the module docstring for the definition).

    ``predictions`` need an emotion in ``emotion_column`` as well as their interval and type.
    Returns the spotting counts and ``spot_precision``, ``spot_recall``, ``spot_f1``; the
    analysis ``analysis_precision``, ``analysis_recall``, ``analysis_f1``, ``uf1``, ``uar``,
    ``n_pairs`` (true-positive pairs scored) and ``classes``; ``strs`` (= spot_f1 × analysis_f1)
    and ``strs_uf1`` (= spot_f1 × uf1).
    """
    from sklearn.metrics import f1_score

    bad = sorted(set(types) - set(TYPES))
    if bad or not types:
        raise DataError(f"types must be among {TYPES}, got {list(types)}")
    _check_columns(predictions, "predictions", (emotion_column,))
    _check_columns(truth, "true intervals", (emotion_column,))
    pred = predictions[predictions["type"].isin(types)].reset_index(drop=True)
    true = truth[truth["type"].isin(types)].reset_index(drop=True)
    videos = videos if videos is not None else truth.attrs.get("videos")
    pairs, counts = _count(pred, true, videos, threshold, clip, False, "one_to_one")
    tp, fp, fn = (sum(counts[t][k] for t in types) for k in ("tp", "fp", "fn"))
    spot = precision_recall_f1(tp, fp, fn)
    if classes is None:
        classes = sorted({str(e) for e in true[emotion_column] if str(e)})
    classes = list(classes)
    y_true = [str(true[emotion_column].iat[j]) for _, j, _, _ in pairs]
    y_pred = [str(pred[emotion_column].iat[i]) for i, _, _, _ in pairs]
    keep = [k for k, y in enumerate(y_true) if y in classes]
    y_true, y_pred = [y_true[k] for k in keep], [y_pred[k] for k in keep]
    precisions, recalls = [], []
    for c in classes:
        tp_c = sum(a == c and b == c for a, b in zip(y_true, y_pred))
        fp_c = sum(a != c and b == c for a, b in zip(y_true, y_pred))
        fn_c = sum(a == c and b != c for a, b in zip(y_true, y_pred))
        precisions.append(tp_c / (tp_c + fp_c) if tp_c + fp_c else 0.0)
        recalls.append(tp_c / (tp_c + fn_c) if tp_c + fn_c else 0.0)
    p_mean = float(np.mean(precisions)) if classes else 0.0
    r_mean = float(np.mean(recalls)) if classes else 0.0
    analysis_f1 = 2 * p_mean * r_mean / (p_mean + r_mean) if p_mean + r_mean > 0 else 0.0
    uf1 = float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)) if y_true and classes else 0.0
    return {
        "spot_tp": spot["tp"], "spot_fp": spot["fp"], "spot_fn": spot["fn"],
        "spot_precision": spot["precision"], "spot_recall": spot["recall"], "spot_f1": spot["f1"],
        "n_pairs": len(y_true), "classes": classes,
        "analysis_precision": p_mean, "analysis_recall": r_mean, "analysis_f1": analysis_f1,
        "uf1": uf1, "uar": r_mean,
        "strs": spot["f1"] * analysis_f1, "strs_uf1": spot["f1"] * uf1,
    }


__all__ = [
    "MEGC_IOU_THRESHOLD", "iou_matrix", "many_to_many_counts", "match_one_to_one", "one_to_one_counts",
    "precision_recall_f1", "spot_then_recognise", "spotting_matches", "spotting_scores",
]
