"""Chance level of MEGC long-video spotting, from the ground-truth sheets alone.

The chance spotter knows only each database's statistics: for every video and type it places
``N ~ Poisson(rate × video length)`` intervals, where ``rate`` is the database's number of
intervals of that type per frame of video (all its videos counted, also those without
intervals); each interval's duration is drawn from the database's durations of that type
(resampled from the sheet, cut to the video's length) and its onset uniformly among the positions
where it fits in the video. The draws are scored with
:func:`microexp.spotting.megc_metrics.spotting_scores` (one-to-one, IoU >= 0.5, pooled) and the
F1 scores averaged over draws. A spotter that does not beat these numbers has learnt nothing
about where expressions are.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from .megc_metrics import (
    MEGC_IOU_THRESHOLD,
    TYPES,
    match_one_to_one,
    precision_recall_f1,
)

_KEYS = ("dataset", "subject", "video")


def _videos(df: pd.DataFrame, videos: pd.DataFrame | None) -> pd.DataFrame:
    if videos is None:
        videos = df.attrs.get("videos")
    if videos is None:
        cols = [c for c in (*_KEYS, "video_length", "first_frame") if c in df.columns]
        videos = df.loc[:, cols].drop_duplicates([c for c in _KEYS if c in df.columns])
    if "video_length" not in videos.columns:
        raise DataError("chance_scores needs video lengths (a 'video_length' column or df.attrs['videos'])")
    videos = videos.reset_index(drop=True).copy()
    if "dataset" not in videos.columns:
        videos["dataset"] = ""
    if "subject" not in videos.columns:
        videos["subject"] = ""
    if "first_frame" not in videos.columns:
        videos["first_frame"] = 0
    return videos


def chance_scores(df: pd.DataFrame, n_draws: int = 100, seed: int = 0, *, videos: pd.DataFrame | None = None,
                  threshold: float = MEGC_IOU_THRESHOLD) -> dict:
    """Mean spotting scores of the chance spotter above over ``n_draws`` draws.

    ``df``: an interval table (:mod:`microexp.datasets.long_videos`), one or more databases; each
    database is calibrated on its own rows. ``videos``: its video table (default
    ``df.attrs['videos']``, else the videos of its rows). Returns ``overall_f1``, ``micro_f1``,
    ``macro_f1`` (means), their standard deviations over draws (``*_f1_std``), the mean
    ``overall_precision``/``overall_recall``, ``n_draws`` and ``per_draw`` (a table of every
    draw's counts and F1).
    """
    if n_draws < 1:
        raise DataError(f"n_draws must be >= 1, got {n_draws}")
    df = df.copy()
    for c in ("dataset", "subject"):
        if c not in df.columns:
            df[c] = ""
    vids = _videos(df, videos)
    index = {k: i for i, k in enumerate(vids[list(_KEYS)].itertuples(index=False, name=None))}
    lengths = vids["video_length"].to_numpy(np.int64)
    firsts = vids["first_frame"].to_numpy(np.int64)
    # true intervals by (video index, type)
    truth: dict[tuple[int, str], np.ndarray] = {}
    for key, grp in df.groupby([*_KEYS, "type"], sort=False):
        v = index.get(tuple(key[:3]))
        if v is None:
            raise DataError(f"video {key[:3]} of the intervals is not in the video table")
        truth[(v, key[3])] = grp[["onset", "offset"]].to_numpy(np.int64)
    # per database and type: rate per frame and the durations to resample
    plan = []
    for dataset in sorted(set(vids["dataset"])):
        members = np.flatnonzero(vids["dataset"].to_numpy() == dataset)
        total = lengths[members].sum()
        d = df[df["dataset"] == dataset]
        for t in TYPES:
            g = d[d["type"] == t]
            durations = (g["offset"] - g["onset"] + 1).to_numpy(np.int64)
            rate = len(g) / total if total else 0.0
            with_truth = [(k, truth[(v, t)]) for k, v in enumerate(members) if (v, t) in truth]
            n_true = sum(len(iv) for _, iv in with_truth)
            plan.append((members, t, rate, durations, with_truth, n_true))

    rng = np.random.default_rng(seed)
    rows = []
    for draw in range(n_draws):
        counts = {t: [0, 0, 0] for t in TYPES}
        for members, t, rate, durations, with_truth, n_true in plan:
            if durations.size == 0 or rate == 0:
                counts[t][2] += n_true
                continue
            n = rng.poisson(rate * lengths[members])
            owner = np.repeat(members, n)
            dur = np.minimum(rng.choice(durations, size=owner.size), lengths[owner])
            onset = firsts[owner] + np.floor(rng.random(owner.size) * (lengths[owner] - dur + 1)).astype(np.int64)
            pred = np.stack([onset, onset + dur - 1], axis=1)
            starts = np.concatenate([[0], np.cumsum(n)])
            tp = 0
            for k, true_iv in with_truth:
                if n[k]:
                    tp += len(match_one_to_one(pred[starts[k]:starts[k + 1]], true_iv, threshold))
            counts[t][0] += tp
            counts[t][1] += owner.size - tp
            counts[t][2] += n_true - tp
        row = {"draw": draw}
        for name, c in (("micro", counts["micro"]), ("macro", counts["macro"]),
                        ("overall", [a + b for a, b in zip(counts["micro"], counts["macro"])])):
            s = precision_recall_f1(*c)
            row.update({f"{name}_{k}": s[k] for k in ("tp", "fp", "fn", "precision", "recall", "f1")})
        rows.append(row)
    per_draw = pd.DataFrame(rows)
    out = {f"{n}_f1": float(per_draw[f"{n}_f1"].mean()) for n in ("overall", "micro", "macro")}
    out.update({f"{n}_f1_std": float(per_draw[f"{n}_f1"].std(ddof=0)) for n in ("overall", "micro", "macro")})
    out.update({"overall_precision": float(per_draw["overall_precision"].mean()),
                "overall_recall": float(per_draw["overall_recall"].mean()), "n_draws": n_draws,
                "per_draw": per_draw})
    return out


__all__ = ["chance_scores"]
