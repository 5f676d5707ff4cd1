"""Does the face pipeline see the simulated faces? Detection rate and landmark error on a simulated set.

    python benchmarks/simulator_faces.py [--out runs/bench/simulator_faces] [--subjects 12]
        [--clips-per-subject 12] [--frames-per-clip 6 | --all-frames]

Per clip it checks the onset, apex and offset frames plus random others (or every frame).
A face counts as found when the dlib HOG detector (or one of its padded / lowered-threshold
passes, not the whole-frame fallback) finds it and its 68 landmarks have a face-like layout.
Also reported: the plain-HOG rate and the landmark error against the simulator's ground truth,
as a fraction of the eye distance. Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("runs/bench/simulator_faces"))
    ap.add_argument("--subjects", type=int, default=12)
    ap.add_argument("--clips-per-subject", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--difficulty", default="medium")
    ap.add_argument("--frames-per-clip", type=int, default=6)
    ap.add_argument("--all-frames", action="store_true")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)

    from microexp.face import find_face, landmarks_68, landmarks_plausible
    from microexp.io import atomic_write_json, read_image
    from microexp.simulate import read_ground_truth, simulate_dataset

    t0 = time.perf_counter()
    data_dir = args.out / "dataset"
    summary = simulate_dataset(data_dir, subjects=args.subjects, clips_per_subject=args.clips_per_subject,
                               seed=args.seed, difficulty=args.difficulty, workers=args.workers)
    t_sim = time.perf_counter() - t0
    truth = read_ground_truth(data_dir)
    rng = np.random.default_rng(args.seed)
    checked = found = hog = 0
    errors, per_clip = [], []
    t1 = time.perf_counter()
    for clip in truth["clips"]:
        n = clip["n_frames"]
        if args.all_frames:
            idx = list(range(n))
        else:
            extra = rng.choice(np.arange(1, n - 1), size=min(max(0, args.frames_per_clip - 3), n - 2), replace=False)
            idx = sorted({0, clip["apex_index"], n - 1, *map(int, extra)})
        hits = 0
        for i in idx:
            clip_dir = data_dir / "CASME2_RAW_selected" / clip["folder"] / clip["filename"]
            path = clip_dir / f"img{clip['onset_frame'] + i}.jpg"
            img = read_image(path, mode="rgb")
            det = find_face(img)
            checked += 1
            hog += det.strategy == "hog"
            if det.strategy == "whole_frame":
                continue
            pts = landmarks_68(img, det.box)
            if not landmarks_plausible(pts, img.shape):
                continue
            found += 1
            hits += 1
            true = clip["landmarks"][i]
            iod = np.linalg.norm(true[42:48].mean(0) - true[36:42].mean(0))
            errors.append(float(np.linalg.norm(pts - true, axis=1).mean() / iod))
        per_clip.append({"clip": f"{clip['folder']}/{clip['filename']}", "checked": len(idx), "found": hits})
    result = {
        "benchmark": "simulator_faces", "subjects": args.subjects, "clips": summary.n_clips,
        "frames_written": summary.n_frames, "frames_checked": checked, "face_rate": round(found / checked, 4),
        "hog_rate": round(hog / checked, 4),
        "landmark_error_iod_mean": round(float(np.mean(errors)), 4) if errors else None,
        "landmark_error_iod_p95": round(float(np.percentile(errors, 95)), 4) if errors else None,
        "simulate_s": round(t_sim, 1), "detect_s": round(time.perf_counter() - t1, 1),
        "difficulty": args.difficulty, "seed": args.seed,
    }
    atomic_write_json(args.out / "metrics.json", {**result, "per_clip": per_clip})
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main(sys.argv[1:])
