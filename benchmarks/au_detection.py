"""Action units on real micro-expressions: detection, transfer across databases, AU-aware
recognition, and paper 002's landmark AU estimator on real faces.

    python benchmarks/au_detection.py --root ../shared/data/megc2019 --sheets ../shared/data/annotations --out DIR

1. The CASME II and SAMM coding sheets' action units are joined to the MEGC2019 composite
   (every row of those two databases must join; SMIC codes no AUs).
2. AUs with at least ``MIN_POSITIVES`` positives among the coded samples are detected from the
   onset→apex flows (``au_svm``; fixed settings) under leave-one-subject-out and across databases
   (train on CASME II, test on SAMM, and the reverse), beside always-present (prior) and majority
   baselines; from the apex faces too (``au_svm_face``), to see whether they help.
3. The landmark AU estimator of paper 002 (calibrated on simulated geometry only) reads AU
   intensities from the apex faces' landmarks and the flows; ROC AUC per AU against the labels.
   On the ten real CASME II frames it measures the landmark jitter it has to see through.
4. STSTNet with the AUs as an auxiliary multi-label target (``aux_weight``) vs without, same
   seeds, full composite under LOSO (configs/ststnet_megc2019.yaml); AU labels of test subjects
   are never used (the runner trains on the training folds' rows only).

Writes DIR/{loso,lodo,loso_face}/ (AU results directories), DIR/multitask/ (evaluation runs),
DIR/summary.json; ends with one JSON line. ``--fast``: a quick end-to-end check (5 subject folds
for detection, one epoch and the CASME II test subjects for the multitask part), not a result.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv=None):
    from microexp.datasets.shared_data import shared_data_path

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, default=shared_data_path("megc2019"), help="MEGC2019 composite folder")
    p.add_argument("--sheets", type=Path, default=shared_data_path("annotations"),
                   help="annotations folder holding CASME2/ and SAMM/ coding sheets")
    p.add_argument("--frames", type=Path, default=shared_data_path("casme2-sample"),
                   help="folder of real consecutive frames for the estimator's jitter check (skipped if absent)")
    p.add_argument("--out", type=Path, default=Path("runs/au_detection"))
    p.add_argument("--model", default="au_svm", help="registered AU detector on flows")
    p.add_argument("--face-model", default="au_svm_face", help="registered AU detector on apex faces ('' skips)")
    p.add_argument("--config", type=Path, default=REPO / "configs" / "ststnet_megc2019.yaml",
                   help="emotion recogniser of the multitask comparison")
    p.add_argument("--aux-weight", type=float, default=0.5, help="weight of the AU loss in the multitask arm")
    p.add_argument("--multitask-seeds", type=int, default=3, help="seeds 0..n-1, the same for both arms")
    p.add_argument("--skip-multitask", action="store_true")
    p.add_argument("--jobs", type=int, default=None, help="folds run at once in the multitask part")
    p.add_argument("--fast", action="store_true", help="a quick end-to-end check, not a result")
    return p.parse_args(argv)


def detection(table, model: str, protocol: str, out: Path, fast: bool) -> dict:
    from microexp.evaluation.au_evaluation import AUEvaluationConfig, evaluate_aus

    kwargs = {"k": 5} if fast and protocol == "loso" else {}
    cfg = AUEvaluationConfig(model=model, protocol="kfold" if kwargs else protocol, protocol_kwargs=kwargs)
    res = evaluate_aus(table, cfg, out, overwrite=True)
    m = res.metrics
    print(f"{model} {cfg.protocol}: mean F1 {m['full']['mean_f1']:.3f} (prior {m['full']['prior_mean_f1']:.3f}, "
          f"majority {m['full']['majority_mean_f1']:.3f}, {m['seconds']:.0f} s)", file=sys.stderr, flush=True)
    return m


def multitask(table, aus: list[int], args) -> dict:
    from microexp.datasets.au_labels import au_column
    from microexp.evaluation import EvaluationConfig, evaluate

    base = EvaluationConfig.load(args.config)
    if args.fast:
        base = base.with_fast_budget().replace(protocol="loso", protocol_kwargs={"test_datasets": ["casme2"]})
    seeds = list(range(1 if args.fast else args.multitask_seeds))
    arms = {"without_au": base,
            "with_au": base.replace(trainer={**base.trainer, "aux_weight": args.aux_weight},
                                    aux_targets=[au_column(a) for a in aus])}
    result: dict = {"model": base.model, "seeds": seeds, "aux_weight": args.aux_weight,
                    "aux_targets": arms["with_au"].aux_targets}
    for arm, cfg in arms.items():
        runs = []
        for seed in seeds:
            res = evaluate(table, cfg.replace(seed=seed), args.out / "multitask" / arm / f"seed{seed}",
                           jobs=args.jobs, progress=False)
            runs.append({"seed": seed, "uf1": res.metrics["full"]["uf1"], "uar": res.metrics["full"]["uar"]})
            print(f"multitask {arm} seed {seed}: UF1 {runs[-1]['uf1']:.4f} UAR {runs[-1]['uar']:.4f}",
                  file=sys.stderr, flush=True)
        result[arm] = {"uf1": sum(r["uf1"] for r in runs) / len(runs), "uar": sum(r["uar"] for r in runs) / len(runs),
                       "per_seed": runs}
    result["uf1_gain"] = result["with_au"]["uf1"] - result["without_au"]["uf1"]
    result["uar_gain"] = result["with_au"]["uar"] - result["without_au"]["uar"]
    return result


def real_frames(folder: Path, aus: list[int]) -> dict | None:
    from microexp.evaluation.landmark_au_check import real_frames_check
    from microexp.io import read_image

    paths = sorted(folder.glob("*.jpg")) if folder.is_dir() else []
    if not paths:
        return None
    return real_frames_check([read_image(p, "rgb") for p in paths], aus)


def main(argv=None) -> int:
    args = parse_args(argv)
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from microexp.datasets.au_labels import composite_au_table, labelled_rows
    from microexp.evaluation.landmark_au_check import estimator_auc
    from microexp.identity import check_output_dir

    t0 = time.perf_counter()
    out = check_output_dir(args.out, "benchmark output folder")
    table, unmatched = composite_au_table(args.root, args.sheets)
    if len(unmatched):
        print(f"{len(unmatched)} CASME II / SAMM rows have no AUs:\n{unmatched.to_string()}", file=sys.stderr)
    loso = detection(table, args.model, "loso", out / "loso", args.fast)
    aus = loso["aus"]
    lodo = detection(table, args.model, "lodo", out / "lodo", args.fast)
    face = detection(table, args.face_model, "loso", out / "loso_face", args.fast) if args.face_model else None
    coded = table.subset(labelled_rows(table.df, aus))
    estimator = estimator_auc(coded.subset(np.arange(min(60, len(coded)))) if args.fast else coded, aus)
    frames = real_frames(args.frames, aus)
    mt = None if args.skip_multitask else multitask(table, aus, args)

    by_ds = lodo["by_dataset"]  # a LODO fold is named by its test database
    summary = {
        "n_samples": loso["n_samples"], "aus": aus,
        "loso": {a: e["f1"] for a, e in loso["full"]["per_au"].items()},
        "loso_mean_f1": loso["full"]["mean_f1"], "prior_mean_f1": loso["full"]["prior_mean_f1"],
        "majority_mean_f1": loso["full"]["majority_mean_f1"],
        "loso_auc": {a: e["auc"] for a, e in loso["full"]["per_au"].items()},
        "lodo_mean_f1": {"casme2->samm": by_ds["samm"]["mean_f1"], "samm->casme2": by_ds["casme2"]["mean_f1"]},
        "lodo_prior_mean_f1": {"casme2->samm": by_ds["samm"]["prior_mean_f1"],
                               "samm->casme2": by_ds["casme2"]["prior_mean_f1"]},
        "face_loso_mean_f1": None if face is None else face["full"]["mean_f1"],
        "estimator_auc": estimator["auc"], "estimator": {k: v for k, v in estimator.items() if k != "auc"},
        "real_frames": frames, "multitask": mt, "unmatched": len(unmatched), "fast": args.fast,
        "minutes": round((time.perf_counter() - t0) / 60, 2),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
