"""Paper 001's comparison on the MEGC2019 composite: full face vs its 15 ROIs, ABN on/off, ArcFace on/off.

Paper 001 (Hata et al.) trains ResNet + Attention Branch Network + ArcFace and reports that the 15
ROIs beat the full face, that ABN helps and that ArcFace does not. Here the same three factors are
crossed (2 × 2 × 2 conditions) under honest LOSO (68 folds, fixed epochs, nothing chosen on a test
subject) for each input in ``--inputs``:

* ``flow``: the composite's onset→apex flows with ``configs/resnet_abn_arcface_flow_megc2019.yaml``;
* ``face``: the apex faces with ``configs/resnet_abn_arcface_megc2019.yaml``.

Region ``rois`` feeds the 5 × 3 mosaic of the 15 regions (:mod:`microexp.face.roi_inputs`) instead of
the whole image; ``abn`` off drops the attention branch; ``arcface`` off replaces the ArcFace head by
a linear one trained with cross-entropy. Everything else is the committed config.

Each factor's effect is the mean of (on − off) over the runs that differ only in that factor (all
seeds and settings of the other two factors), with a 95 % interval from resampling test subjects
(:func:`microexp.evaluation.paired.paired_subject_bootstrap`).

    python benchmarks/paper001_comparison.py --root ../shared/data/megc2019 --inputs flow --seeds 1 --jobs 2

Writes ``table.md`` and ``results.json`` beside one resumable run directory per condition and seed
(``OUT/<input>/<condition>/seed<k>``) and ends with one JSON line.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {"flow": REPO / "configs" / "resnet_abn_arcface_flow_megc2019.yaml",
           "face": REPO / "configs" / "resnet_abn_arcface_megc2019.yaml"}
FACTORS = ("rois", "abn", "arcface")


def condition_name(rois: bool, abn: bool, arcface: bool) -> str:
    return "+".join(["rois" if rois else "full"] + (["abn"] if abn else []) + (["arcface"] if arcface else []))


def parse_condition(name: str) -> dict:
    parts = name.split("+")
    if parts[0] not in ("full", "rois") or any(p not in ("abn", "arcface") for p in parts[1:]) \
            or len(set(parts)) != len(parts):
        raise SystemExit(f"error: unknown condition {name!r}; write e.g. full, rois+abn, full+abn+arcface")
    return {"rois": parts[0] == "rois", "abn": "abn" in parts, "arcface": "arcface" in parts}


def condition_config(input_kind: str, cond: dict, seed: int, root: str):
    """The committed config of ``input_kind`` with the condition's three factors laid over it."""
    from microexp.evaluation import EvaluationConfig

    cfg = EvaluationConfig.load(CONFIGS[input_kind])
    kwargs = dict(cfg.model_kwargs, abn=cond["abn"], arcface=cond["arcface"])
    if cond["rois"]:
        kwargs["input_size"] = None  # the mosaic keeps its own shape
    trainer = dict(cfg.trainer, loss="arcface" if cond["arcface"] else "cross_entropy")
    return cfg.replace(seed=seed, root=root, input_kind=f"{input_kind}_rois" if cond["rois"] else input_kind,
                       model_kwargs=kwargs, trainer=trainer)


def factor_effects(runs: list[dict], y_true, subjects, num_classes: int, n_resamples: int) -> dict:
    """Per factor: mean (on − off) over run pairs that differ only in it, with a subject-bootstrap interval."""
    from microexp.evaluation.paired import paired_subject_bootstrap

    by_key = {(r["seed"], *(r[f] for f in FACTORS)): r for r in runs}
    effects = {}
    for i, factor in enumerate(FACTORS):
        on, off = [], []
        for key, r in sorted(by_key.items()):
            if not key[1 + i]:
                continue
            twin = by_key.get(key[:1 + i] + (False,) + key[2 + i:])
            if twin is not None:
                on.append(r["pred"])
                off.append(twin["pred"])
        if not on:
            continue
        p = paired_subject_bootstrap(on, off, y_true, subjects, num_classes, n_resamples=n_resamples, seed=0)
        effects[factor] = {"pairs": len(on), "uf1_difference": round(p["uf1_difference"], 4),
                           "uf1_ci95": [round(v, 4) for v in p["uf1_ci95"]],
                           "uar_difference": round(p["uar_difference"], 4),
                           "uar_ci95": [round(v, 4) for v in p["uar_ci95"]]}
    return effects


def table_markdown(rows: list[dict], effects: dict) -> str:
    lines = ["| input | condition | seeds | UF1 | UAR | CPU min / run |", "|---|---|---|---|---|---|"]
    for r in rows:
        uf1_sd, uar_sd = (f" ± {r['uf1_std']:.4f}", f" ± {r['uar_std']:.4f}") if r["seeds"] > 1 else ("", "")
        lines.append(f"| {r['input']} | {r['condition']} | {r['seeds']} | {r['uf1']:.4f}{uf1_sd} | "
                     f"{r['uar']:.4f}{uar_sd} | {r['cpu_minutes']:.1f} |")
    lines += ["", "| input | factor (on − off) | pairs | UF1 difference (95 % CI) | UAR difference (95 % CI) |",
              "|---|---|---|---|---|"]
    for input_kind, per in effects.items():
        for factor, e in per.items():
            lines.append(f"| {input_kind} | {factor} | {e['pairs']} | {e['uf1_difference']:+.4f} "
                         f"[{e['uf1_ci95'][0]:+.4f}, {e['uf1_ci95'][1]:+.4f}] | {e['uar_difference']:+.4f} "
                         f"[{e['uar_ci95'][0]:+.4f}, {e['uar_ci95'][1]:+.4f}] |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="the composite's folder")
    ap.add_argument("--inputs", default="flow", help="comma-separated: flow, face")
    ap.add_argument("--conditions", default="all",
                    help="'all' (the 8 crossings) or a comma-separated list such as full+abn+arcface,rois+abn+arcface")
    ap.add_argument("--seeds", default="1", help="comma-separated seeds")
    ap.add_argument("--jobs", type=int, default=1, help="folds trained in parallel")
    ap.add_argument("--bootstrap", type=int, default=2000, help="subject resamples of the effect intervals")
    ap.add_argument("--fast", action="store_true", help="the configs' fast budget (a smoke test, not a result)")
    ap.add_argument("--subjects", type=int, default=0, help="smoke test only: keep the first N subjects")
    ap.add_argument("--out", default="runs/paper001", help="results directory")
    args = ap.parse_args(argv)
    inputs = [s.strip() for s in args.inputs.split(",") if s.strip()]
    unknown = [s for s in inputs if s not in CONFIGS]
    if unknown:
        raise SystemExit(f"error: unknown input {unknown[0]!r}; choose from {', '.join(CONFIGS)}")
    conditions = ([dict(zip(FACTORS, bits)) for bits in itertools.product((False, True), repeat=3)]
                  if args.conditions == "all" else [parse_condition(c.strip()) for c in args.conditions.split(",")])
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]

    import numpy as np
    import torch

    from microexp.datasets.megc2019 import load_megc2019
    from microexp.evaluation import evaluate
    from microexp.evaluation.paired import mean_and_std
    from microexp.face.roi_inputs import attach_roi_inputs
    from microexp.io import atomic_write_json, atomic_write_text

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    table = load_megc2019(args.root)
    if args.subjects:
        table = table.subset(np.isin(table.subjects, np.unique(table.subjects)[:args.subjects]))
    if any(c["rois"] for c in conditions):
        table = attach_roi_inputs(table)
    out = Path(args.out)
    rows, effects = [], {}
    y_true = subjects = None
    for input_kind in inputs:
        runs = []
        for cond in conditions:
            name = condition_name(**cond)
            per_seed = []
            for seed in seeds:
                cfg = condition_config(input_kind, cond, seed, args.root)
                if args.fast:
                    cfg = cfg.with_fast_budget()
                res = evaluate(table, cfg, out / input_kind / name / f"seed{seed}", jobs=args.jobs, progress=False)
                frame = res.predictions.sort_values("index")
                y_true, subjects = frame["y_true"].to_numpy(), frame["subject"].to_numpy()
                m = res.metrics
                per_seed.append(m)
                runs.append({"seed": seed, **cond, "pred": frame["y_pred"].to_numpy()})
                print(f"{input_kind} {name} seed {seed}: UF1 {m['full']['uf1']:.4f} UAR {m['full']['uar']:.4f}",
                      file=sys.stderr, flush=True)
            uf1 = mean_and_std([m["full"]["uf1"] for m in per_seed])
            uar = mean_and_std([m["full"]["uar"] for m in per_seed])
            rows.append({"input": input_kind, "condition": name, **cond, "seeds": len(seeds),
                         "uf1": round(uf1["mean"], 4), "uf1_std": round(uf1["std"], 4),
                         "uar": round(uar["mean"], 4), "uar_std": round(uar["std"], 4),
                         "uf1_seeds": [round(v, 4) for v in uf1["values"]],
                         "cpu_minutes": round(float(np.mean([m["cpu_seconds_in_folds"] for m in per_seed])) / 60, 2)})
        effects[input_kind] = factor_effects(runs, y_true, subjects, len(table.classes), args.bootstrap)
        atomic_write_text(out / "table.md", table_markdown(rows, effects))
    summary = {"benchmark": "paper001_comparison", "inputs": inputs, "seeds": seeds, "fast": args.fast,
               "folds": int(len(np.unique(table.subjects))), "conditions": rows, "effects": effects,
               "minutes": round((time.perf_counter() - t0) / 60, 2)}
    atomic_write_json(out / "results.json", summary)
    atomic_write_text(out / "table.md", table_markdown(rows, effects))
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
