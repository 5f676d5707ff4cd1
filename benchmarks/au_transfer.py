"""Does a generated clip carry its source clip's AU sequence? (paper 002's evaluation, made objective)

Simulated source clips (known per-frame AU intensities) drive the animation of other simulated
faces (paper 002's pipeline: landmark AU estimation with size-jittered averaging, eq. 1; temporal
mean filter, eq. 2; neutral correction, eq. 3; per-side sequences; the warp generator, or with
``--generator ganimation`` the learned one). The AU sequence is then estimated again from the
generated clip and compared with the source's true AU curves: Pearson r per AU over the frames of
the clips where that AU is active (null where undefined).

The AU estimator is calibrated on clips of identities used nowhere else. Written to ``--out``:
metrics.json, per_clip.csv, a strip of source/generated apex frames, one generated clip in CASME II
layout.

    python benchmarks/au_transfer.py

Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

#: Emotions of the source clips (simulator recipes), cycled over the clips.
SOURCE_EMOTIONS = ("happiness", "surprise", "disgust", "repression", "sadness", "fear")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clips", type=int, default=12, help="source clips (each animates another face)")
    p.add_argument("--calibration-identities", type=int, default=5)
    p.add_argument("--calibration-clips", type=int, default=10, help="calibration clips per identity")
    p.add_argument("--nuisances", default="easy", help="simulator difficulty of the source clips")
    p.add_argument("--deltas", default="-10,-5,0,5,10", help="eq. 1 size offsets ('0' switches it off)")
    p.add_argument("--half-width", type=int, default=2, help="eq. 2 half window n")
    p.add_argument("--generator", choices=("warp", "ganimation"), default="warp",
                   help="warp: the simulator's TPS warp; ganimation: the small learned generator")
    p.add_argument("--ganimation-steps", type=int, default=400, help="training steps of the learned generator")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/au_transfer")
    return p.parse_args(argv)


def pearson(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 3 or a.std() < 1e-9 or b.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def finite_or_none(x, digits: int = 4):
    """JSON has no NaN: an undefined correlation is written as null."""
    import math

    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import numpy as np
    import pandas as pd

    from microexp.augment.famgan import (GeneratedClip, calibrate_on_rendered_clips, estimate_au_sides,
                                         temporal_mean_filter, transfer_clip, write_casme2_clips)
    from microexp.io import atomic_write_image, atomic_write_json, atomic_write_text
    from microexp.simulate import make_identity, render_clip

    t0 = time.perf_counter()
    out = Path(args.out)
    deltas = tuple(int(d) for d in args.deltas.split(","))
    # identities: sources 0.., targets 100.., calibration 200.., learned generator 300.. (disjoint)
    est = calibrate_on_rendered_clips(range(200, 200 + args.calibration_identities), args.calibration_clips,
                                      seed=args.seed)
    atomic_write_json(out / "au_estimator.json", est.to_dict())
    aus = est.aus
    generator = None  # transfer_clip's default: the warp generator
    if args.generator == "ganimation":
        from microexp.augment.famgan import simulated_pairs, train_ganimation

        # identities 300.. train the learned generator: disjoint from sources, targets and calibration
        src, dst, cond, _ = simulated_pairs(range(300, 304), clips_per_identity=6, seed=args.seed, aus=aus)
        generator = train_ganimation(src, dst, cond, aus, steps=args.ganimation_steps, seed=args.seed)
        atomic_write_json(out / "ganimation_history.json", generator.history)
    rng = np.random.default_rng(args.seed)
    per_au = {a: {"truth": [], "source_est": [], "generated_est": []} for a in aus}
    rows, strip, generated = [], [], []
    for c in range(args.clips):
        source = make_identity(c % 6, args.seed)
        target = make_identity(100 + c, args.seed)
        emotion = SOURCE_EMOTIONS[c % len(SOURCE_EMOTIONS)]
        frames, truth = render_clip(source, emotion, nuisances=args.nuisances, seed=rng)
        res = transfer_clip(frames, target.image, est, generator, target_landmarks=target.landmarks, deltas=deltas,
                            half_width=args.half_width)
        gl, gr = estimate_au_sides(res.frames, est, deltas=deltas)
        gen_est = temporal_mean_filter((gl + gr) / 2, args.half_width)
        src_est = (res.left + res.right) / 2
        l_scale, r_scale = truth.side_scale
        rs = []
        for j, a in enumerate(aus):
            curve = truth.au_intensity.get(a)
            if curve is None or np.max(curve) <= 0:
                continue
            curve = curve * (l_scale + r_scale) / 2
            per_au[a]["truth"].append(curve)
            per_au[a]["source_est"].append(src_est[:, j])
            per_au[a]["generated_est"].append(gen_est[:, j])
            rs.append(pearson(curve, gen_est[:, j]))
        rows.append({"clip": c, "emotion": emotion, "aus": "+".join(truth.au_intensity), "frames": truth.n_frames,
                     "mean_r_generated_vs_truth": float(np.nanmean(rs)) if rs else float("nan")})
        apex = truth.apex_index
        strip.append(np.concatenate([frames[0], frames[apex], res.frames[0], res.frames[apex]], axis=1))
        generated.append(GeneratedClip(subject=f"{c + 1:02d}", filename=f"GEN_{emotion}_{c:02d}",
                                       frames=res.frames, apex_index=apex, emotion=emotion,
                                       action_units=truth.action_units,
                                       meta={"source_identity": source.subject, "target_identity": target.subject,
                                             "au_left": res.left.round(4), "au_right": res.right.round(4),
                                             "aus": list(aus)}))
    per_au_r = {}
    for a, d in per_au.items():
        if not d["truth"]:
            continue
        truth_all = np.concatenate(d["truth"])
        per_au_r[a] = {"clips": len(d["truth"]),
                       "r_generated_vs_truth": pearson(truth_all, np.concatenate(d["generated_est"])),
                       "r_source_estimate_vs_truth": pearson(truth_all, np.concatenate(d["source_est"]))}
    gen_rs = [v["r_generated_vs_truth"] for v in per_au_r.values()]
    src_rs = [v["r_source_estimate_vs_truth"] for v in per_au_r.values()]
    write_casme2_clips(out / "generated_casme2", generated[:3])
    atomic_write_image(out / "apex_strip.png", np.concatenate(strip[:6], axis=0))
    atomic_write_text(out / "per_clip.csv", pd.DataFrame(rows).to_csv(index=False))
    summary = {
        "benchmark": "au_transfer", "generator": args.generator, "clips": args.clips, "nuisances": args.nuisances,
        "deltas": list(deltas),
        "half_width": args.half_width,
        "mean_r_generated_vs_truth": finite_or_none(np.nanmean(gen_rs) if np.isfinite(gen_rs).any() else np.nan),
        "mean_r_source_estimate_vs_truth": finite_or_none(np.nanmean(src_rs) if np.isfinite(src_rs).any() else np.nan),
        "per_au_r_generated_vs_truth": {a: finite_or_none(v["r_generated_vs_truth"], 3) for a, v in per_au_r.items()},
        "per_au_r_source_estimate_vs_truth": {a: finite_or_none(v["r_source_estimate_vs_truth"], 3)
                                              for a, v in per_au_r.items()},
        "minutes": round((time.perf_counter() - t0) / 60, 2), "out": str(out),
    }
    atomic_write_json(out / "metrics.json", {**summary, "per_au": per_au_r, "per_clip": rows})
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
