"""Speed and signal quality of the streamed long-recording feature extractor, per flow method.

    python benchmarks/long_feature_speed.py [--seconds 40] [--seed 1001]

One simulated 640x480, 30 fps recording (CAS(ME)^2 profile, 6 micro-expressions per minute) is
rendered once and fed, frame by frame, to one extractor per flow method in lockstep (so rendering
is not timed). Speed is frames per CPU-second of the extractor on one core (``cv2.setNumThreads(1)``;
on a busy machine wall-clock time says little). Quality: the ROC AUC with which each
method's training-free signal (``nb_short_face``) and best region feature separate the frames
inside micro-expressions from the frames outside any expression (blinks, talking, head turns
and light changes included). Then the recording is written as mp4 and read back through
:func:`microexp.spotting.long_features.cached_features` with the default method, timing decoding
plus extraction. Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    from scipy.stats import rankdata

    pos, neg = pos[np.isfinite(pos)], neg[np.isfinite(neg)]
    if not len(pos) or not len(neg):
        return float("nan")
    ranks = rankdata(np.r_[pos, neg])
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def main(argv=None) -> dict:
    import cv2

    from microexp.simulate.long_recording import simulate_recording, write_recording
    from microexp.spotting.long_features import (FEATURE_NAMES, FLOW_PRESETS, FeatureSettings, FeatureStream,
                                                 cached_features)

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--seed", type=int, default=1001)
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    rec = simulate_recording("casme_sq", seconds=args.seconds, seed=args.seed, micro_per_minute=6.0)
    fps = rec.fps
    streams = {m: FeatureStream(fps, FeatureSettings(flow=m)) for m in FLOW_PRESETS}
    rows = {m: [] for m in FLOW_PRESETS}
    cpu = {m: 0.0 for m in FLOW_PRESETS}
    for frame in rec.frames():  # every method sees the same frame, rendered once
        for m, stream in streams.items():
            t = time.process_time()
            rows[m] += stream.push(frame)
            cpu[m] += time.process_time() - t
    for m, stream in streams.items():
        t = time.process_time()
        rows[m] += stream.close()
        cpu[m] += time.process_time() - t
    n = rec.n_frames
    inside = np.zeros(n, bool)
    micro = np.zeros(n, bool)
    for r in rec.intervals.itertuples():
        inside[r.onset:r.offset + 1] = True
        if r.type == "micro":
            micro[r.onset:r.offset + 1] = True
    result = {"frames": n, "frame_size": list(rec.frame_size), "fps": fps, "seed": args.seed, "methods": {}}
    for m in FLOW_PRESETS:
        values = np.stack([r[1] for r in rows[m]])
        nb = values[:, FEATURE_NAMES.index("nb_short_face")]
        per_feature = {name: auc(values[micro, i], values[~inside, i]) for i, name in enumerate(FEATURE_NAMES)}
        best = max((k for k in per_feature if k.startswith("short_") and "head" not in k), key=per_feature.get)
        result["methods"][m] = {"frames_per_cpu_s": round(n / cpu[m], 1), "auc_nb_short_face": round(auc(
            nb[micro], nb[~inside]), 4), "best_region": best, "auc_best_region": round(per_feature[best], 4)}
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "rec.mp4"
        write_recording(video, rec)
        t, w = time.process_time(), time.perf_counter()
        cached_features(video, fps, Path(tmp) / "cache")
        result["mp4_decode_and_default_features"] = {"frames_per_cpu_s": round(n / (time.process_time() - t), 1),
                                                     "frames_per_wall_s": round(n / (time.perf_counter() - w), 1)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
