"""Does a generated clip carry its source clip's AU sequence, on simulated and real faces? (paper 002, made objective)

Simulated source clips (known per-frame AU intensities) drive the animation of other faces (paper
002's pipeline: landmark AU estimation with size-jittered averaging, eq. 1; temporal mean filter,
eq. 2; neutral correction, eq. 3; per-side sequences). Two generators animate the same targets
with the same AU sequences: ``warp`` (the simulator's thin-plate-spline operator) and ``learned``
(:mod:`microexp.augment.famgan.learned_animator`, trained here on simulator pairs of faces used
nowhere else, with the motion planes unless ``--unguided``). The AU sequence is then estimated
again from each generated clip and compared with the source's true AU curves: Pearson r per AU,
pooled over the clips where that AU is active, averaged over AUs.

Targets: held-out simulated identities (``r_synthetic``) and, when the real data is present, real
faces (``r_real``): the ten CASME II frames and apex faces of composite subjects whose faces did not
train the learned generator (padded by a third of their size on each side, so the detector sees a
margin). ``identity_distance``: dlib's face-recognition embedding, generated apex frame vs its
target (0.6 = dlib's same-person threshold); ``face_rate``: the share of generated apex frames on
which the face detector finds a face (no fallback).

The AU estimator is calibrated on clips of identities used nowhere else. Written to ``--out``:
metrics.json, per_clip.csv, strips of source/generated apex frames (synthetic; and real ones, which
stay in the run folder), the learned animator (animator.pt), one generated clip in CASME II layout.

    python benchmarks/au_transfer.py [--root ../shared/data/megc2019]

Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

#: Emotions of the source clips (simulator recipes), cycled over the clips.
SOURCE_EMOTIONS = ("happiness", "surprise", "disgust", "repression", "sadness", "fear")
#: Identity ranges (disjoint): sources 0.., synthetic targets 100.., calibration 200.., animator training 300..
TARGET_BASE, CALIBRATION_BASE, ANIMATOR_BASE = 100, 200, 300


def parse_args(argv=None):
    from microexp.datasets.shared_data import shared_data_path

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clips", type=int, default=12, help="source clips (each animates another simulated face)")
    p.add_argument("--root", default=str(shared_data_path("megc2019")),
                   help="MEGC2019 composite (real apex faces); skipped with a note when absent")
    p.add_argument("--casme2-sample", default=str(shared_data_path("casme2-sample")),
                   help="folder of real CASME II frames used as targets; skipped when absent")
    p.add_argument("--real-targets", type=int, default=10, help="composite apex faces animated (one per subject)")
    p.add_argument("--calibration-identities", type=int, default=5)
    p.add_argument("--calibration-clips", type=int, default=10, help="calibration clips per identity")
    p.add_argument("--nuisances", default="easy", help="simulator difficulty of the source clips")
    p.add_argument("--deltas", default="-10,-5,0,5,10", help="eq. 1 size offsets ('0' switches it off)")
    p.add_argument("--half-width", type=int, default=2, help="eq. 2 half window n")
    p.add_argument("--generators", default="warp,learned", help="comma list of warp, learned")
    p.add_argument("--animator-identities", type=int, default=12, help="simulated faces training the learned one")
    p.add_argument("--animator-real-faces", type=int, default=40,
                   help="composite faces (of subjects never used as targets) also training it")
    p.add_argument("--animator-samples", type=int, default=40, help="AU settings per training face")
    p.add_argument("--animator-steps", type=int, default=3000, help="training steps of the learned animator")
    p.add_argument("--unguided", action="store_true",
                   help="learned animator without the motion planes (AU intensities and landmarks only)")
    p.add_argument("--threads", type=int, default=2)
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


def pad_face(image, fraction: float = 1 / 3):
    """A tight face crop with ``fraction`` of its size added on every side (border replicated)."""
    import cv2

    h, w = image.shape[:2]
    t, s = int(round(h * fraction)), int(round(w * fraction))
    return cv2.copyMakeBorder(image, t, t, s, s, cv2.BORDER_REPLICATE)


def has_face(image) -> bool:
    """Does the plain HOG face detector find a face (no fallback)?"""
    from microexp.face.detection import find_face
    from microexp.errors import FaceNotFoundError

    try:
        find_face(image, fallback=False)
    except FaceNotFoundError:
        return False
    return True


def face_landmarks(image):
    """(68, 2) dlib landmarks in the detector's box (or the fallback box)."""
    from microexp.face.detection import find_face
    from microexp.face.landmarks import landmarks_68

    return landmarks_68(image, find_face(image, fallback=True).box).astype(float)


def real_faces(args):
    """(targets, training faces): lists of (name, image) of real faces; empty when the data is absent.

    Targets: the CASME II frames and one composite apex face for each of ``--real-targets``
    subjects (every k-th subject in the CSV's order); training faces: up to
    ``--animator-real-faces`` apex faces of the *other* subjects."""
    import numpy as np
    import pandas as pd

    from microexp.io import read_image

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from super_resolution import CSV_NAME, FACES_FOLDER

    targets, training = [], []
    sample = Path(args.casme2_sample)
    if sample.is_dir():
        targets += [(f"casme2/{f.name}", read_image(f, "rgb")) for f in sorted(sample.glob("*.jpg"))]
    csv = Path(args.root) / CSV_NAME
    if csv.is_file():
        table = pd.read_csv(csv)
        table["subject"] = table["dataset"].astype(str) + "/" + table["sub"].astype(str)
        subjects = list(dict.fromkeys(table["subject"]))
        step = max(len(subjects) // max(args.real_targets, 1), 1)
        chosen = set(subjects[::step][:args.real_targets])
        for subject in subjects:
            rows = table[table["subject"] == subject]
            if subject in chosen:
                name = rows["imagename"].iloc[0]
                targets.append((f"composite/{name}", pad_face(read_image(Path(args.root) / FACES_FOLDER / name, "rgb"))))
        rng = np.random.default_rng(args.seed)
        others = table[~table["subject"].isin(chosen)]
        for i in rng.permutation(len(others))[:args.animator_real_faces]:
            name = others["imagename"].iloc[i]
            training.append((f"composite/{name}", pad_face(read_image(Path(args.root) / FACES_FOLDER / name, "rgb"))))
    return targets, training


def train_learned(args, aus, real_training, out):
    from microexp.augment.famgan.learned_animator import animator_pairs, train_animator
    from microexp.io import atomic_write_bytes, atomic_write_json
    from microexp.simulate import make_identity

    faces = [(make_identity(ANIMATOR_BASE + i, args.seed).image, make_identity(ANIMATOR_BASE + i, args.seed).landmarks)
             for i in range(args.animator_identities)]
    faces += [(image, face_landmarks(image)) for _, image in real_training]
    pairs = animator_pairs(faces, args.animator_samples, aus, seed=args.seed, guided=not args.unguided)
    animator = train_animator(pairs, steps=args.animator_steps, seed=args.seed,
                              log=lambda r: print(json.dumps(r), file=sys.stderr, flush=True))
    atomic_write_bytes(out / "animator.pt", animator.to_bytes())
    atomic_write_json(out / "animator_history.json", {"faces": len(faces), "simulated": args.animator_identities,
                                                      "real": len(real_training), "pairs": len(pairs.cond),
                                                      "history": animator.history})
    return animator


def _rgb_at_height(image, height: int):
    import cv2
    import numpy as np

    image = np.repeat(image[..., None], 3, 2) if image.ndim == 2 else image
    return cv2.resize(image, (int(round(image.shape[1] * height / image.shape[0])), height),
                      interpolation=cv2.INTER_AREA)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import numpy as np
    import pandas as pd
    import torch

    from microexp.augment.famgan import (GeneratedClip, WarpAUGenerator, animate_face, calibrate_on_rendered_clips,
                                         estimate_au_sides, modulate_sides, temporal_mean_filter, write_casme2_clips)
    from microexp.errors import ConfigError
    from microexp.face.embedding import embedding_distance, face_embedding
    from microexp.io import atomic_write_image, atomic_write_json, atomic_write_text
    from microexp.simulate import make_identity, render_clip

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    out = Path(args.out)
    names = [g for g in args.generators.split(",") if g]
    if not names or set(names) - {"warp", "learned"}:
        raise ConfigError(f"--generators must list warp and/or learned, got {args.generators!r}")
    deltas = tuple(int(d) for d in args.deltas.split(","))
    est = calibrate_on_rendered_clips(range(CALIBRATION_BASE, CALIBRATION_BASE + args.calibration_identities),
                                      args.calibration_clips, seed=args.seed)
    atomic_write_json(out / "au_estimator.json", est.to_dict())
    aus = est.aus
    real_targets, real_training = real_faces(args)
    generators = {"warp": WarpAUGenerator()} if "warp" in names else {}
    if "learned" in names:
        generators["learned"] = train_learned(args, aus, real_training, out)
    train_minutes = (time.perf_counter() - t0) / 60

    # the source clips and their modulated AU sequences, shared by every generator and target
    rng = np.random.default_rng(args.seed)
    sources = []
    for c in range(args.clips):
        emotion = SOURCE_EMOTIONS[c % len(SOURCE_EMOTIONS)]
        frames, truth = render_clip(make_identity(c % 6, args.seed), emotion, nuisances=args.nuisances, seed=rng)
        raw_l, raw_r = estimate_au_sides(frames, est, deltas)
        left, right = modulate_sides(raw_l, raw_r, half_width=args.half_width)
        sources.append({"emotion": emotion, "frames": frames, "truth": truth, "left": left, "right": right})
    targets = [("synthetic", f"sim{TARGET_BASE + c}", make_identity(TARGET_BASE + c, args.seed).image,
                make_identity(TARGET_BASE + c, args.seed).landmarks, c) for c in range(args.clips)]
    targets += [("real", name, image, face_landmarks(image), j % args.clips)
                for j, (name, image) in enumerate(real_targets)]
    embeddings = {name: face_embedding(image, lms) for _, name, image, lms, _ in targets}

    results, rows, generated = {}, [], []
    for gname, generator in generators.items():
        pooled = {kind: {a: {"truth": [], "est": []} for a in aus} for kind in ("synthetic", "real")}
        distances, found, strips = {"synthetic": [], "real": []}, {"synthetic": [], "real": []}, {"synthetic": [], "real": []}
        for kind, name, image, lms, c in targets:
            src = sources[c]
            truth = src["truth"]
            frames = animate_face(image, lms, src["left"], src["right"], aus, generator)
            gl, gr = estimate_au_sides(frames, est, deltas=deltas)
            gen_est = temporal_mean_filter((gl + gr) / 2, args.half_width)
            l_scale, r_scale = truth.side_scale
            rs = []
            for j, a in enumerate(aus):
                curve = truth.au_intensity.get(a)
                if curve is None or np.max(curve) <= 0:
                    continue
                curve = curve * (l_scale + r_scale) / 2
                pooled[kind][a]["truth"].append(curve)
                pooled[kind][a]["est"].append(gen_est[:, j])
                rs.append(pearson(curve, gen_est[:, j]))
            apex = frames[truth.apex_index]
            found[kind].append(has_face(apex))
            distance = embedding_distance(embeddings[name], face_embedding(apex, face_landmarks(apex)))
            distances[kind].append(distance)
            rows.append({"generator": gname, "kind": kind, "target": name, "clip": c, "emotion": src["emotion"],
                         "aus": "+".join(truth.au_intensity), "frames": truth.n_frames,
                         "mean_r_generated_vs_truth": float(np.nanmean(rs)) if rs else float("nan"),
                         "identity_distance": distance, "face_found": found[kind][-1]})
            if len(strips[kind]) < 6:  # source onset | source apex | target | generated apex
                shown = [src["frames"][0], src["frames"][truth.apex_index], frames[0], apex]
                strips[kind].append(np.concatenate([_rgb_at_height(f, 160) for f in shown], axis=1))
            if kind == "synthetic" and gname == names[0] and len(generated) < 3:
                generated.append(GeneratedClip(subject=f"{c + 1:02d}", filename=f"GEN_{src['emotion']}_{c:02d}",
                                               frames=frames, apex_index=truth.apex_index, emotion=src["emotion"],
                                               action_units=truth.action_units,
                                               meta={"target": name, "au_left": src["left"].round(4),
                                                     "au_right": src["right"].round(4), "aus": list(aus)}))
        summary = {}
        for kind in ("synthetic", "real"):
            per_au = {a: pearson(np.concatenate(d["truth"]), np.concatenate(d["est"]))
                      for a, d in pooled[kind].items() if d["truth"]}
            rs = [v for v in per_au.values() if np.isfinite(v)]
            summary[f"r_{kind}"] = finite_or_none(float(np.mean(rs))) if rs else None
            summary[f"per_au_r_{kind}"] = {a: finite_or_none(v, 3) for a, v in per_au.items()}
            summary[f"targets_{kind}"] = len(distances[kind])
            summary[f"identity_distance_{kind}"] = (round(float(np.mean(distances[kind])), 4)
                                                    if distances[kind] else None)
            if strips[kind]:
                width = max(s.shape[1] for s in strips[kind])
                padded = [np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0))) for s in strips[kind]]
                atomic_write_image(out / f"apex_strip_{gname}_{kind}.png", np.concatenate(padded, axis=0))
        every = distances["synthetic"] + distances["real"]
        summary["identity_distance"] = round(float(np.mean(every)), 4)
        summary["face_rate"] = round(float(np.mean(found["synthetic"] + found["real"])), 4)
        summary["face_rate_real"] = round(float(np.mean(found["real"])), 4) if found["real"] else None
        results[gname] = summary
    if generated:
        write_casme2_clips(out / "generated_casme2", generated)
    atomic_write_text(out / "per_clip.csv", pd.DataFrame(rows).to_csv(index=False))
    target_found = [has_face(image) for _, _, image, _, _ in targets]
    summary = {
        "benchmark": "au_transfer", "clips": args.clips, "real_targets": len(real_targets),
        "nuisances": args.nuisances, "deltas": list(deltas), "half_width": args.half_width,
        **{g: {k: v for k, v in r.items() if not k.startswith("per_au")} for g, r in results.items()},
        "face_rate_of_targets": round(float(np.mean(target_found)), 4),
        "animator_steps": args.animator_steps if "learned" in names else None,
        "train_minutes": round(train_minutes, 2),
        "minutes": round((time.perf_counter() - t0) / 60, 2), "out": str(out),
    }
    atomic_write_json(out / "metrics.json", {**summary, "per_generator": results, "per_clip": rows})
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
