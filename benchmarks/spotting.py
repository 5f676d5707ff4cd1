"""Apex and interval spotting on simulated clips with exact ground truth.

Apex (paper 004): MAE in frames under 5-fold cross-validation split by samples, for every
continuous label function x decoder (Max, SW-Max) with the modified VGG-M, and the four
short-path variants with the linear label; against the training-free baseline (peak of
onset→frame flow magnitude, eyes masked, head motion removed), the same without masking or
head compensation, and the middle of onset–offset. Intervals (MEGC style): long clips made of
neutral stretches (blinks, head drift) and micro-expressions; threshold and extent are tuned on
one half of the subjects and scored on the other (both ways), interval F1 at IoU >= 0.5.

    python benchmarks/spotting.py            # the full run (< 10 min on one free core)
    python benchmarks/spotting.py --fast     # a smoke run

Ends with one JSON line of figures; the run directory holds config.yaml, metrics.json,
predictions.csv, interval_predictions.csv and plots/.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

from microexp.io import atomic_write_json, atomic_write_text
from microexp.spotting import (LABEL_KINDS, FlowPreparation, IntensityRegressor, IntervalSpotter, SpottingClip,
                               baseline_curve, cross_validate_spotter, decode_apex, interval_f1,
                               mean_absolute_error, neighbour_flows, prepare_clip, regressor_inputs, sample_folds,
                               spotting_mae, subject_folds, tune_interval_spotter)
from microexp.spotting.continuous_labels import frame_labels
from microexp.spotting.flow_features import to_gray_frames
from microexp.spotting.plots import plot_intensity_curve, plot_interval_signal
from microexp.spotting.regions import crop_clip_to_landmarks, eye_mask, nose_mask, scale_landmarks

EMOTIONS = ("happiness", "surprise", "disgust", "repression", "others")
#: Frame rate of CASME II, where paper 004's SW-Max window of 9 frames was set.
PAPER_SW_MAX_FPS = 200.0


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="tiny smoke run")
    ap.add_argument("--out", default=None, help="run directory (default runs/spotting/<time>)")
    ap.add_argument("--subjects", type=int, default=8)
    ap.add_argument("--clips-per-subject", type=int, default=6)
    ap.add_argument("--fps", type=float, default=100.0, help="simulated frame rate (CASME II: 200)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--width", type=float, default=0.125, help="VGG-M channel multiplier (1.0 = paper)")
    ap.add_argument("--long-clips", type=int, default=12)
    ap.add_argument("--no-loso", dest="loso", action="store_false",
                    help="skip leave-one-subject-out for VGG-M with the linear label")
    ap.add_argument("--seed", type=int, default=1, help="data and training seed (seed 0 served development)")
    args = ap.parse_args(argv)
    if args.fast:
        args.subjects, args.clips_per_subject, args.epochs, args.long_clips, args.loso = 3, 4, 1, 4, False
    return args


# ---------------------------------------------------------------- data
def simulated_apex_clips(n_subjects: int, per_subject: int, fps: float, seed: int):
    """[(frames (T, H, W, 3), apex index, onset landmarks (68, 2), subject)] from microexp.simulate."""
    from microexp.simulate import make_identity, render_clip

    rng = np.random.default_rng(seed)
    clips = []
    for s in range(n_subjects):
        identity = make_identity(s, seed)
        for j in range(per_subject):
            frames, truth = render_clip(identity, str(rng.choice(EMOTIONS)), fps=fps, nuisances="medium",
                                        seed=int(rng.integers(1 << 31)))
            frames, landmarks = crop_clip_to_landmarks(frames, truth.landmarks[0], 64)
            clips.append((frames, truth.apex_index, landmarks, f"sim{s:02d}", f"sim{s:02d}/c{j}"))
    return clips


def _head_drift(frames: np.ndarray, rng: np.random.Generator, drift_px: float) -> np.ndarray:
    """Move the whole clip by one smooth random translation (continuous across segment joins)."""
    import cv2

    from microexp.simulate.nuisances import smooth_drift

    n = len(frames)
    dx, dy = smooth_drift(rng, n, drift_px, smoothness=16), smooth_drift(rng, n, drift_px, smoothness=16)
    out = np.empty_like(frames)
    for i, f in enumerate(frames):
        m = np.float32([[1, 0, dx[i]], [0, 1, dy[i]]])
        out[i] = cv2.warpAffine(f, m, (f.shape[1], f.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    return out


def simulated_long_clips(n_clips: int, n_subjects: int, fps: float, seed: int, head_drift_px: float = 1.5):
    """Long clips: neutral stretches (blinks likely) around two micro-expressions, all under one
    smooth head drift. Segments are rendered without their own head motion or flicker, so the
    joins are seamless and every motion in the clip is an expression, a blink, noise or the drift."""
    from microexp.simulate import make_identity, nuisance_config, render_clip
    from microexp.simulate.timeline import Timeline

    rng = np.random.default_rng(seed + 1)
    still = replace(nuisance_config("medium"), head_motion_px=0.0, head_roll_deg=0.0, flicker=0.0)
    neutral_cfg = replace(still, blink_probability=0.8)
    out = []
    for c in range(n_clips):
        s = c % n_subjects
        identity = make_identity(s, seed)
        parts, intervals, blinks, t = [], [], [], 0
        for part in ("neutral", "me", "neutral", "me", "neutral"):
            if part == "neutral":
                n = int(rng.integers(int(0.3 * fps), int(0.6 * fps)))
                frames, truth = render_clip(identity, "happiness", fps=fps, amplitude=0.0, nuisances=neutral_cfg,
                                            timeline=Timeline(n, n // 2), seed=int(rng.integers(1 << 31)))
                if truth.blink:
                    b0 = t + truth.blink["start_index"]
                    blinks.append((b0, b0 + truth.blink["length_frames"] - 1))
            else:
                frames, truth = render_clip(identity, str(rng.choice(EMOTIONS)), fps=fps, nuisances=still,
                                            seed=int(rng.integers(1 << 31)))
                intervals.append((t, t + len(frames) - 1))
            parts.append(frames)
            t += len(frames)
        frames, landmarks = crop_clip_to_landmarks(np.concatenate(parts), identity.landmarks, 64)
        out.append({"frames": _head_drift(frames, rng, head_drift_px), "intervals": intervals,
                    "blinks": blinks, "subject": f"sim{s:02d}", "landmarks": landmarks})
    return out


# ---------------------------------------------------------------- apex
def run_apex(args, run_dir: Path) -> tuple[dict, pd.DataFrame]:
    t0 = time.perf_counter()
    raw = simulated_apex_clips(args.subjects, args.clips_per_subject, args.fps, args.seed)
    prep = FlowPreparation()
    clips, prepared, plain_curves = [], [], []
    for frames, apex, lm, subject, name in raw:
        pc = prepare_clip(frames, 0, None, lm, prep)
        plain = prepare_clip(frames, 0, None, None, FlowPreparation(mask_eyes=False, compensate_head=False))
        prepared.append(pc)
        plain_curves.append(baseline_curve(plain.flows))
        clips.append(SpottingClip(regressor_inputs(pc, prep), 0, apex, len(frames) - 1, subject, name))
    print(f"[apex] {len(clips)} clips, {sum(len(c.inputs) for c in clips)} frames, features "
          f"{time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)

    truth = np.array([c.apex for c in clips])
    base_curves = [baseline_curve(p.flows, exclude=p.eyes) for p in prepared]
    strain_curves = [baseline_curve(p.flows, "strain", exclude=p.eyes) for p in prepared]
    pred = pd.DataFrame({"clip": [c.clip for c in clips], "subject": [c.subject for c in clips],
                         "n_frames": [len(c.inputs) for c in clips], "true_apex": truth,
                         "baseline": [decode_apex(c, "max") for c in base_curves],
                         "baseline_strain": [decode_apex(c, "max") for c in strain_curves],
                         "baseline_plain": [decode_apex(c, "max") for c in plain_curves],
                         "middle": [c.offset // 2 for c in clips]})
    metrics = {"baseline_mae": mean_absolute_error(pred["baseline"], truth),
               "baseline_strain_mae": mean_absolute_error(pred["baseline_strain"], truth),
               "baseline_plain_mae": mean_absolute_error(pred["baseline_plain"], truth),
               "middle_mae": mean_absolute_error(pred["middle"], truth)}

    scaled_window = max(1, int(round(9 * args.fps / PAPER_SW_MAX_FPS)))
    metrics["sw_max_scaled_window"] = scaled_window
    grid = [(kind, 0) for kind in LABEL_KINDS] + [("linear", v) for v in (1, 2, 3, 4)]
    learned, curves_by_model = {}, {}
    for kind, variant in grid:
        t1 = time.perf_counter()
        def make(variant=variant):
            return IntensityRegressor(variant, args.width, args.epochs, batch_size=32, lr=1e-3, seed=args.seed,
                                      preparation=prep.to_dict())
        p, curves = cross_validate_spotter(clips, make, kind, sample_folds(len(clips), seed=args.seed),
                                           train_frame_stride=2)
        name = f"vggm{variant}_{kind}"
        # the paper's 9 frames span 45 ms at 200 fps; the same span at this frame rate
        p[f"apex_sw_max_{scaled_window}"] = [decode_apex(curves[i], "sw_max", scaled_window) for i in p["index"]]
        for dec, mae in spotting_mae(p).items():
            learned[f"{name}/{dec}"] = mae
            pred[f"{name}/{dec}"] = p[f"apex_{dec}"].to_numpy()
        curves_by_model[name] = curves
        print(f"[apex] {name}: {spotting_mae(p)} ({time.perf_counter() - t1:.0f}s)", file=sys.stderr, flush=True)
    metrics["learned_mae"] = learned
    # declared before any run on this seed: paper 004's linear label, plain VGG-M, SW-Max at the
    # frame-rate-scaled window; "best_learned" below is the grid minimum, i.e. picked on test folds
    primary = f"vggm0_linear/sw_max_{scaled_window}"
    metrics["primary_learned"] = {"name": primary, "mae": learned[primary]}
    best = min(learned, key=learned.get)
    metrics["best_learned"] = {"name": best, "mae": learned[best]}

    if args.loso:
        make = lambda: IntensityRegressor(0, args.width, args.epochs, batch_size=32, lr=1e-3, seed=args.seed)  # noqa: E731
        p, _ = cross_validate_spotter(clips, make, "linear", subject_folds([c.subject for c in clips]),
                                      train_frame_stride=2)
        metrics["loso_vggm0_linear_mae"] = spotting_mae(p)

    plots = run_dir / "plots"
    best_model = best.split("/")[0]
    kind = best_model.split("_", 1)[1]
    for i in range(min(6, len(clips))):
        c = clips[i]
        true_curve = frame_labels(len(c.inputs), 0, c.apex, c.offset, kind)
        plot_intensity_curve(plots / f"apex_{i:02d}.png",
                             {"true": true_curve, best_model: curves_by_model[best_model][i], "baseline": base_curves[i]},
                             c.apex, {best_model: int(pred[best][i]), "baseline": int(pred["baseline"][i])},
                             title=f"{c.clip} ({kind} label)")
    return metrics, pred


# ---------------------------------------------------------------- intervals
def run_intervals(args, run_dir: Path) -> tuple[dict, pd.DataFrame]:
    t0 = time.perf_counter()
    long_clips = simulated_long_clips(args.long_clips, min(args.subjects, 4), args.fps, args.seed)
    base = IntervalSpotter.for_fps(args.fps)
    data = []
    for c in long_clips:
        gray = to_gray_frames(c["frames"])
        lm = scale_landmarks(c["landmarks"], c["frames"].shape[1:3], gray.shape[1:])
        data.append((neighbour_flows(gray, base.k), eye_mask(gray.shape[1:], lm), nose_mask(gray.shape[1:], lm)))
    print(f"[intervals] {len(long_clips)} clips, {sum(len(c['frames']) for c in long_clips)} frames, flows "
          f"{time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
    subjects = np.array([c["subject"] for c in long_clips])
    halves = [np.isin(subjects, pd.unique(subjects)[0::2]), np.isin(subjects, pd.unique(subjects)[1::2])]
    metrics, rows = {}, []
    ablations = (("full", True, True, True), ("no_blink_veto", True, True, False),
                 ("no_eye_mask", False, True, True), ("no_head_compensation", True, False, True),
                 ("none", False, False, False))
    for label, mask_eyes, comp, veto in ablations:
        spotter = replace(base, mask_eyes=mask_eyes, compensate_head=comp)
        signals = [spotter.signal(d, e, n) for d, e, n in data]
        eye_signals = [spotter.eye_signal(d, e, n) if veto else None for d, e, n in data]
        predicted = [None] * len(long_clips)
        for train, test in ((halves[0], halves[1]), (halves[1], halves[0])):
            tuned = tune_interval_spotter([(signals[i], eye_signals[i], long_clips[i]["intervals"])
                                           for i in np.flatnonzero(train)], spotter)
            for i in np.flatnonzero(test):
                predicted[i] = tuned.intervals_from_signal(signals[i], eye_signals[i])
        metrics[label] = interval_f1(predicted, [c["intervals"] for c in long_clips])
        print(f"[intervals] {label}: {metrics[label]}", file=sys.stderr, flush=True)
        for i, c in enumerate(long_clips):
            rows.append({"variant": label, "clip": i, "subject": c["subject"], "true": c["intervals"],
                         "predicted": predicted[i], "blinks": c["blinks"]})
        if label == "full":
            for i in range(min(4, len(long_clips))):
                plot_interval_signal(run_dir / "plots" / f"intervals_{i:02d}.png", signals[i],
                                     long_clips[i]["intervals"], predicted[i], long_clips[i]["blinks"],
                                     title=f"long clip {i}")
    return metrics, pd.DataFrame(rows)


def main(argv=None) -> dict:
    import torch
    import yaml

    torch.set_num_threads(1)
    args = parse_args(argv)
    started = time.perf_counter()
    run_dir = Path(args.out or f"runs/spotting/{time.strftime('%Y%m%d-%H%M%S')}")
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.yaml", yaml.safe_dump({**vars(args), "data": "microexp.simulate",
                                                               "preparation": FlowPreparation().to_dict()}))
    apex_metrics, apex_pred = run_apex(args, run_dir)
    atomic_write_text(run_dir / "predictions.csv", apex_pred.to_csv(index=False))
    interval_metrics, interval_pred = run_intervals(args, run_dir)
    atomic_write_text(run_dir / "interval_predictions.csv", interval_pred.to_csv(index=False))
    metrics = {**apex_metrics, "interval_f1": interval_metrics["full"]["f1"], "interval": interval_metrics,
               "seconds": round(time.perf_counter() - started, 1), "run_dir": str(run_dir)}
    atomic_write_json(run_dir / "metrics.json", metrics)
    summary = {"benchmark": "spotting", "fast": args.fast,
               "mae": {k: round(v, 3) for k, v in apex_metrics["learned_mae"].items()},
               "baseline_mae": round(apex_metrics["baseline_mae"], 3),
               "baseline_plain_mae": round(apex_metrics["baseline_plain_mae"], 3),
               "middle_mae": round(apex_metrics["middle_mae"], 3),
               "primary_learned": apex_metrics["primary_learned"],
               "best_learned_picked_on_test": apex_metrics["best_learned"],
               "loso_vggm0_linear_mae": apex_metrics.get("loso_vggm0_linear_mae"),
               "interval_f1": round(interval_metrics["full"]["f1"], 3),
               "interval_f1_ablations": {k: round(v["f1"], 3) for k, v in interval_metrics.items()},
               "seconds": metrics["seconds"], "run_dir": str(run_dir)}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
