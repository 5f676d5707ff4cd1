"""Paper 000's question on the motion side: does low resolution hurt recognition from onset→apex
optical flow, and does ×4 super-resolution give it back? Simulated clips, leave-one-subject-out.

Data: a small CASME II-style database from ``microexp.simulate`` (the demo's ``default`` profile:
8 synthetic subjects × 9 clips, medium nuisances; ``--fast``: the ``tiny`` profile's size). Each
clip's onset and apex frames are aligned to 128×128 faces exactly as ``microexp preprocess`` does
(``align_clip`` with the onset as reference), then transformed frame by frame:

* ``hr``  the aligned 128×128 faces;
* ``lr``  each face degraded to 32×32 with paper 000's degradation (``restore.degrade``
  with its default ``median_prob``, i.e. the median blur applied at random with probability 0.5),
  then bicubic back to 128×128;
* ``sr``  the same 32×32 faces super-resolved ×4 by the generator given with ``--sr-model``.
  That model was trained on real composite faces of other people (MEGC2019), so no simulated
  subject was ever seen by it. Missing file: the condition is skipped and said so in the JSON.

All frames of one clip share one degradation seed (``--seed`` + clip index): a low-resolution
camera degrades every frame of a clip alike, and a median blur drawn on the apex but not the onset
would show up as motion that is not there. From the transformed faces: TV-L1 flow (``--fast``:
Farnebäck), optical strain, zeros outside the warped image, and the 28×28 composite flow image
(u, v, strain) — the same chain as ``pipeline.clip_features``. The same recogniser (registry
``svm``, RBF SVM on the flow pixels, scaler fitted per training fold) is evaluated per condition
with ``microexp.evaluation.evaluate`` under LOSO (resumable results under ``OUT/<condition>``).

    python benchmarks/lowres_motion.py [--out runs/lowres_motion] [--sr-model PATH] [--fast]

Ends with one JSON line: UF1/UAR per condition and minutes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path

import numpy as np

CONDITIONS = ("hr", "lr", "sr")
#: Paper 000: faces standardised to 128×128 and degraded ×4 to 32×32.
FACE_SIZE = 128


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/lowres_motion")
    p.add_argument("--sr-model", default="runs/super_resolution_mixed/model/generator_psnr.pt")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulation, the degradation and the SVM")
    p.add_argument("--model", default="svm", help="registered recogniser (same for every condition)")
    p.add_argument("--fast", action="store_true", help="tiny database, Farneback flow: a smoke test")
    return p.parse_args(argv)


def simulated_table(out: Path, profile, seed: int):
    """Simulate ``profile``'s database into ``out/dataset`` (reused when its settings match) and
    return the CASME II table in the three MEGC classes."""
    from microexp.datasets.casme2 import load_casme2
    from microexp.io import atomic_write_json
    from microexp.simulate import simulate_dataset

    root = out / "dataset"
    ident = {"subjects": profile.subjects, "clips_per_subject": profile.clips_per_subject, "seed": seed,
             "amplitude": profile.amplitude, "difficulty": profile.difficulty,
             "duration_range_s": list(profile.duration_range_s)}
    marker = out / "dataset_settings.json"
    if not (marker.is_file() and json.loads(marker.read_text()) == ident):
        simulate_dataset(root, subjects=profile.subjects, clips_per_subject=profile.clips_per_subject, seed=seed,
                         amplitude=profile.amplitude, difficulty=profile.difficulty,
                         duration_range_s=profile.duration_range_s, workers=1)
        atomic_write_json(marker, ident)
    return load_casme2(root, taxonomy="megc3", strict=False)


def aligned_onset_apex(table) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Rows whose face was found, their aligned (onset, apex) faces ``(N, 2, 128, 128, 3)`` uint8
    and valid masks ``(N, 128, 128)`` bool (pixels that came from inside the frame)."""
    from microexp.errors import MicroexpError
    from microexp.face import align_clip
    from microexp.io import read_image
    from microexp.pipeline.preprocess import clip_tasks

    rows, faces, valid = [], [], []
    for i, task in enumerate(clip_tasks(table)):
        if task["frames_error"] or task["apex_index"] is None:
            continue
        try:
            frames = [read_image(task["frame_paths"][k], "rgb") for k in (0, task["apex_index"])]
            aligned = align_clip(frames, ref_index=0, size=FACE_SIZE)
        except MicroexpError as exc:
            print(f"{task['name']}: skipped in every condition ({exc})", file=sys.stderr)
            continue
        rows.append(i)
        faces.append(np.asarray(aligned.frames, dtype=np.uint8))
        valid.append(np.asarray(aligned.valid, dtype=bool))
    return rows, np.stack(faces), np.stack(valid)


def transform_faces(faces: np.ndarray, condition: str, seed: int, generator=None) -> np.ndarray:
    """One clip's aligned faces ``(F, 128, 128, 3)`` uint8 as seen in ``condition`` (same shape);
    every frame is degraded with the same ``seed``."""
    from microexp.restore import degrade, upscale_bicubic, upscale_with

    if condition == "hr":
        return faces
    lr = np.stack([degrade(f, seed=seed) for f in faces])
    if condition == "lr":
        return upscale_bicubic(lr)
    if condition == "sr":
        if generator is None:
            raise ValueError("the sr condition needs a generator")
        return upscale_with(generator, lr)
    raise ValueError(f"unknown condition {condition!r}; choose from {CONDITIONS}")


def motion_image(faces: np.ndarray, valid: np.ndarray, method: str = "tvl1") -> np.ndarray:
    """Onset→apex composite flow image ``(28, 28, 3)`` uint8 (u, v, strain) from ``(2, S, S, 3)``
    faces, as :func:`microexp.pipeline.clip_features.compute_clip_features` computes it."""
    import cv2

    from microexp import motion

    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in faces]
    flow_fn = motion.tvl1_flow if method == "tvl1" else motion.farneback_flow
    flow = np.asarray(flow_fn(gray[0], gray[1]), dtype=np.float32)
    strain = np.asarray(motion.optical_strain(flow), dtype=np.float32)
    motion.zero_outside_valid(flow, strain, valid)
    return np.asarray(motion.encode_composite(flow, strain), dtype=np.uint8)


def condition_inputs(faces: np.ndarray, valid: np.ndarray, condition: str, *, seed: int, method: str = "tvl1",
                     generator=None) -> np.ndarray:
    """Recogniser input of every clip in ``condition``: ``(N, 3, 28, 28)`` float32 in [0, 1], the
    layout of the preprocessed table's ``flow`` kind. ``faces``: ``(N, 2, 128, 128, 3)`` uint8."""
    images = [motion_image(transform_faces(f, condition, seed + i, generator), v, method)
              for i, (f, v) in enumerate(zip(faces, valid))]
    return np.stack(images).transpose(0, 3, 1, 2).astype(np.float32) / 255.0


def _row_input(row, i: int, *, inputs: np.ndarray) -> np.ndarray:
    return inputs[i]


def input_table(table, rows: list[int], inputs: np.ndarray):
    """The clips of ``rows`` as a :class:`SampleTable` whose ``flow`` kind is ``inputs``."""
    from microexp.datasets.samples import REQUIRED_COLUMNS, SampleTable

    df = table.df.iloc[rows][list(REQUIRED_COLUMNS)].reset_index(drop=True)
    return SampleTable(df, tuple(table.classes), {"flow": partial(_row_input, inputs=inputs)}, name="lowres_motion")


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch
    import yaml

    from microexp.evaluation import EvaluationConfig, evaluate
    from microexp.io import atomic_write_json, atomic_write_npz, atomic_write_text
    from microexp.pipeline.demo import DEMO_PROFILES
    from microexp.restore import load_generator

    torch.set_num_threads(1)
    started = time.monotonic()
    out = Path(args.out)
    profile = DEMO_PROFILES["tiny" if args.fast else "default"]
    method = "farneback" if args.fast else "tvl1"
    table = simulated_table(out, profile, args.seed)
    rows, faces, valid = aligned_onset_apex(table)
    sr_path = Path(args.sr_model)
    atomic_write_text(out / "config.yaml", yaml.safe_dump(
        {**vars(args), "profile": {**asdict(profile), "duration_range_s": list(profile.duration_range_s)},
         "face_size": FACE_SIZE, "flow_method": method, "protocol": "loso",
         "degradation": "restore.degrade, default median_prob (0.5), one seed per clip"}, sort_keys=False))

    results, skipped = {}, {}
    for name in CONDITIONS:
        generator, sr_sha = None, None
        if name == "sr":
            if not sr_path.is_file():
                skipped[name] = f"super-resolution model {sr_path} is missing"
                print(f"sr: {skipped[name]}, skipped", file=sys.stderr)
                continue
            sr_sha = hashlib.sha256(sr_path.read_bytes()).hexdigest()
            generator = load_generator(sr_path)[0]
        # a condition's inputs are reused when the faces, flow method, seed and generator are unchanged
        ident = {"faces": _digest(faces, valid), "method": method, "seed": args.seed, "generator_sha256": sr_sha}
        cache = out / name / "inputs.npz"
        inputs = None
        if cache.is_file():
            with np.load(cache) as stored:
                if json.loads(str(stored["ident"])) == ident:
                    inputs = stored["inputs"]
        eval_dir = out / name / "evaluation"
        if inputs is None:
            inputs = condition_inputs(faces, valid, name, seed=args.seed, method=method, generator=generator)
            atomic_write_npz(cache, inputs=inputs, ident=np.array(json.dumps(ident)))
            if eval_dir.is_dir():  # folds of earlier inputs: never resumed, replaced
                shutil.rmtree(eval_dir)
        samples = input_table(table, rows, inputs)
        # the inputs' digest names the data, so a run directory of other inputs is refused, never resumed
        config = EvaluationConfig(model=args.model, protocol="loso", seed=args.seed,
                                  dataset=f"lowres_motion/{name}/{_digest(inputs)}")
        res = evaluate(samples, config,
                       eval_dir, jobs=1, progress=False)
        full = res.metrics["full"]
        results[name] = {k: float(full[k]) for k in ("uf1", "uar", "accuracy")} | {"n": int(len(samples))}
        print(f"{name}: UF1 {results[name]['uf1']:.4f} UAR {results[name]['uar']:.4f} "
              f"acc {results[name]['accuracy']:.4f} ({(time.monotonic() - started) / 60:.1f} min)",
              file=sys.stderr, flush=True)

    minutes = round((time.monotonic() - started) / 60.0, 2)
    summary = {f"{name}_{k}": round(results[name][k], 4) for name in results for k in ("uf1", "uar", "accuracy")}
    summary.update(clips=len(rows), subjects=int(table.df.iloc[rows]["subject"].nunique()),
                   chance_uf1=round(1 / len(table.classes), 4), minutes=minutes)
    summary.update({f"{name}_skipped": why for name, why in skipped.items()})
    atomic_write_json(out / "metrics.json", {"summary": summary, "per_condition": results, "skipped": skipped,
                                             "model": args.model, "protocol": "loso", "flow_method": method})
    table_md = "| frames | UF1 | UAR | accuracy |\n|---|---|---|---|\n" + "".join(
        f"| {name} | {r['uf1']:.4f} | {r['uar']:.4f} | {r['accuracy']:.4f} |\n" for name, r in results.items()) + "".join(
        f"| {name} | skipped: {why} | | |\n" for name, why in skipped.items())
    atomic_write_text(out / "table.md", table_md)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
