"""Ablation of the levers on ``best``: each lever is ``best`` with one thing changed, scored against
``best`` itself under honest LOSO on the MEGC2019 composite (68 folds).

A lever is a complete committed configuration (``configs/levers/<name>.yaml``) written before its
first run; the baseline is ``configs/flow_ensemble_megc2019.yaml``. For every seed in ``--seeds``
both are run (resumable run directories under ``--out``); the paired UF1 / UAR difference
lever − baseline, averaged over seeds, gets a 95 % interval from resampling test subjects
(``microexp.evaluation.paired``). Nothing is chosen here: the table describes each lever.

    python benchmarks/levers.py --root ../shared/data/megc2019 --levers swa,simpre --seeds 0,1,2 --jobs 2

``simpre`` starts the network from the weights of ``benchmarks/sim_pretrain.py`` (run it first).
``--baseline`` and ``--levers-dir`` compare other committed settings of one recogniser the same way,
e.g. CropNet's (``--baseline configs/cropnet_megc2019.yaml --levers-dir configs/cropnet_levers``) or
VGG-M, OC-Net and CropNet at full width (``--levers-dir configs/paper_widths``).
The last line is one JSON object: baseline and per lever uf1/uar means, stds and per-seed values,
the paired differences, minutes.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="the MEGC2019 composite (combined_3_class2_for_optical_flow.csv)")
    ap.add_argument("--baseline", default=str(CONFIGS / "flow_ensemble_megc2019.yaml"), help="the baseline config")
    ap.add_argument("--levers", default="swa,simpre", help="comma-separated names of LEVERS_DIR/<name>.yaml")
    ap.add_argument("--levers-dir", default=str(CONFIGS / "levers"), help="folder of the lever configs")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated LOSO seeds")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--bootstrap", type=int, default=2000, help="subject resamples of the paired interval")
    ap.add_argument("--out", default="runs/levers", help="output folder")
    return ap.parse_args(argv)


def _rounded(d: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else [round(x, 4) for x in v] if isinstance(v, list) else v)
            for k, v in d.items()}


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch

    from microexp.datasets.megc2019 import load_megc2019
    from microexp.evaluation import EvaluationConfig, evaluate
    from microexp.evaluation.paired import mean_and_std, paired_subject_bootstrap
    from microexp.io import atomic_write_json

    t0 = time.perf_counter()
    torch.set_num_threads(1)
    table = load_megc2019(args.root)
    arms = {"baseline": Path(args.baseline)}
    arms.update({name: Path(args.levers_dir) / f"{name}.yaml" for name in args.levers.split(",") if name.strip()})
    configs = {name: EvaluationConfig.load(path) for name, path in arms.items()}  # all read before any run
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    out = Path(args.out)
    preds = {name: [] for name in arms}
    scores = {name: [] for name in arms}
    frame = None
    for seed in seeds:
        for name, cfg in configs.items():
            res = evaluate(table, cfg.replace(seed=seed, root=args.root), out / name / f"seed{seed}", jobs=args.jobs,
                           progress=False)
            frame = res.predictions.sort_values("index")
            preds[name].append(frame["y_pred"].to_numpy())
            scores[name].append(res.metrics["full"])
            print(f"{name} seed {seed}: UF1 {res.metrics['full']['uf1']:.4f} UAR {res.metrics['full']['uar']:.4f}",
                  flush=True)
    summary = {"benchmark": "levers", "seeds": seeds, "baseline": Path(args.baseline).name, "arms": {}}
    for name in arms:
        path = arms[name].resolve()
        row = {"config": str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)}
        for metric in ("uf1", "uar"):
            stats = mean_and_std([m[metric] for m in scores[name]])
            row.update({metric: round(stats["mean"], 4), f"{metric}_std": round(stats["std"], 4),
                        f"{metric}_seeds": [round(v, 4) for v in stats["values"]]})
        if name != "baseline":
            row["minus_baseline"] = _rounded(paired_subject_bootstrap(
                preds[name], preds["baseline"], frame["y_true"].to_numpy(), frame["subject"].to_numpy(),
                len(table.classes), n_resamples=args.bootstrap, seed=0))
        summary["arms"][name] = row
    summary["minutes"] = round((time.perf_counter() - t0) / 60, 2)
    atomic_write_json(out / "summary.json", summary)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _cli import run

    run(main)
