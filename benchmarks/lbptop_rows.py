"""LBP-TOP + SVM, the field's classical baseline, on real and on simulated micro-expressions.

Real: the composite's circulated whole-sequence features (``--features``: every LBP-TOP and HOOF
variant that ships, each with four registered SVM settings) under LOSO on the 442 samples. The
published LBP-TOP baseline is UF1 .5882 / UAR .5785. The row named ``declared`` is the one fixed
before any run (``configs/lbptop_real_svm_megc2019.yaml``: LBPTOP_TIM10_333_8, RBF SVM, library
defaults); ``best_of_candidates`` is the highest of all candidates, chosen on the test subjects, so
an optimistic bound and not an honest score.

Simulated: ``--simulated-subjects`` × ``--clips`` simulated clips per dataset seed are rendered,
preprocessed by microexp (face alignment, flow, LBP-TOP with 4 × 4 blocks, 2 832 values) and
recognised under LOSO by ``lbptop_svm`` and, for reference, by the RBF SVM on the onset→apex flows.

    python benchmarks/lbptop_rows.py --root ../shared/data/megc2019 --features ../shared/data/megc2019-features
    python benchmarks/lbptop_rows.py --skip-real --seeds 1,2,3

Writes ``results.json`` and ``table.md`` under ``--out`` and ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

VARIANTS = ("LBPTOP_TIM10_333_8", "LBPTOP_TIM10_333_4", "LBPTOP_TIM64_333_8", "LBPTOP_TIM64_333_4",
            "HOOF_TIM10_8", "HOOF_TIM64_4")
#: name → (registered model, model_kwargs); all with training-fold standardisation.
CLASSIFIERS = {
    "rbf_balanced": ("svm", {"C": 1.0}),
    "rbf_unweighted": ("svm", {"C": 1.0, "class_weight": None}),
    "hellinger_linear": ("lbptop_svm", {"C": 1.0}),
    "hellinger_rbf": ("lbptop_svm", {"C": 1.0, "kernel": "rbf"}),
}
DECLARED = ("LBPTOP_TIM10_333_8", "rbf_balanced")
PUBLISHED = {"uf1": 0.5882, "uar": 0.5785}


def _scores(result) -> dict:
    m = result.metrics["full"]
    return {"uf1": round(float(m["uf1"]), 4), "uar": round(float(m["uar"]), 4)}


def real_rows(root: str, features: str, out: Path, jobs: int) -> dict:
    from microexp.datasets.megc2019 import load_megc2019
    from microexp.datasets.megc2019_features import attach_features
    from microexp.evaluation import EvaluationConfig, evaluate

    base = load_megc2019(root)
    rows = []
    for variant in VARIANTS:
        kind = "hoof" if variant.startswith("HOOF") else "lbptop"
        table = attach_features(base, features, {kind: variant})
        for name, (model, kwargs) in CLASSIFIERS.items():
            cfg = EvaluationConfig(model=model, protocol="loso", input_kind=kind, model_kwargs=dict(kwargs), seed=0)
            r = evaluate(table, cfg, out / "real" / variant / name, jobs=jobs, progress=False)
            rows.append({"variant": variant, "classifier": name, **_scores(r)})
            print(f"real {variant} {name}: UF1 {rows[-1]['uf1']:.4f} UAR {rows[-1]['uar']:.4f}", flush=True)
    declared = next(r for r in rows if (r["variant"], r["classifier"]) == DECLARED)
    best = max(rows, key=lambda r: r["uf1"])
    return {"candidates": len(rows), "rows": rows, "declared": declared,
            "best_of_candidates": best, "published": PUBLISHED}


def simulated_rows(seeds: list[int], subjects: int, clips: int, size: int, out: Path, jobs: int) -> dict:
    from microexp.datasets.casme2 import load_casme2
    from microexp.evaluation import EvaluationConfig, evaluate
    from microexp.evaluation.paired import mean_and_std
    from microexp.pipeline.preprocess import preprocess_dataset, preprocessed_table
    from microexp.simulate import simulate_dataset
    from microexp.simulate.dataset import SHEET_NAME

    per_model: dict[str, list[dict]] = {"lbptop_svm": [], "svm_flow": []}
    for seed in seeds:
        # the folder names every setting, so a rerun with other settings never reuses these clips
        root = out / "simulated" / f"{subjects}x{clips}_face{size}" / f"seed{seed}"
        if not (root / "dataset" / SHEET_NAME).is_file():  # the simulator writes its sheet last
            # an interrupted simulation, and anything preprocessed from it, is redone from scratch
            for stale in (root / "dataset", root / "preprocessed", root / "evaluation"):
                shutil.rmtree(stale, ignore_errors=True)
            simulate_dataset(root / "dataset", subjects=subjects, clips_per_subject=clips, seed=seed, workers=jobs)
        table = load_casme2(root / "dataset", taxonomy="megc3", strict=False)
        pre = root / "preprocessed"
        if not (pre / "summary.json").is_file():
            preprocess_dataset(table, pre, features="flow,lbptop", size=size, method="farneback", jobs=jobs,
                               progress=False)
        samples = preprocessed_table(pre)
        for name, (model, kind) in {"lbptop_svm": ("lbptop_svm", "lbptop"), "svm_flow": ("svm", "flow")}.items():
            cfg = EvaluationConfig(model=model, protocol="loso", input_kind=kind, seed=seed)
            r = evaluate(samples, cfg, root / "evaluation" / name, jobs=jobs, progress=False)
            per_model[name].append({"seed": seed, "samples": len(samples), **_scores(r)})
            print(f"simulated seed {seed} {name}: UF1 {per_model[name][-1]['uf1']:.4f} "
                  f"UAR {per_model[name][-1]['uar']:.4f}", flush=True)
    summary = {}
    for name, runs in per_model.items():
        uf1, uar = (mean_and_std([r[k] for r in runs]) for k in ("uf1", "uar"))
        summary[name] = {"uf1": round(uf1["mean"], 4), "uf1_std": round(uf1["std"], 4),
                         "uar": round(uar["mean"], 4), "uar_std": round(uar["std"], 4), "runs": runs}
    return {"subjects": subjects, "clips_per_subject": clips, "face_size": size, "seeds": seeds, **summary}


def table_markdown(result: dict) -> str:
    lines = []
    real = result.get("real")
    if real:
        lines += ["| circulated variant | " + " | ".join(CLASSIFIERS) + " |",
                  "|---|" + "---|" * len(CLASSIFIERS)]
        for variant in VARIANTS:
            cells = [next(r for r in real["rows"] if r["variant"] == variant and r["classifier"] == c)
                     for c in CLASSIFIERS]
            lines.append(f"| {variant} | " + " | ".join(f"{c['uf1']:.3f} / {c['uar']:.3f}" for c in cells) + " |")
        lines += ["", f"UF1 / UAR under LOSO; {real['candidates']} candidates. Published LBP-TOP: "
                      f"{PUBLISHED['uf1']} / {PUBLISHED['uar']}.", ""]
    sim = result.get("simulated")
    if sim:
        lines += ["| simulated clips | UF1 | UAR |", "|---|---|---|"]
        for name in ("lbptop_svm", "svm_flow"):
            s = sim[name]
            lines.append(f"| {name} | {s['uf1']:.4f} ± {s['uf1_std']:.4f} | {s['uar']:.4f} ± {s['uar_std']:.4f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", help="the composite's folder (for the real rows)")
    ap.add_argument("--features", help="folder of the circulated LBP-TOP / HOOF features")
    ap.add_argument("--skip-real", action="store_true", help="only the simulated rows")
    ap.add_argument("--skip-simulated", action="store_true", help="only the real rows")
    ap.add_argument("--seeds", default="1,2,3", help="simulated dataset seeds")
    ap.add_argument("--simulated-subjects", type=int, default=10)
    ap.add_argument("--clips", type=int, default=12, help="simulated clips per subject")
    ap.add_argument("--size", type=int, default=64, help="aligned face size of the simulated clips")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="runs/lbptop_rows")
    a = ap.parse_args(argv)
    if not a.skip_real and not (a.root and a.features):
        ap.error("the real rows need --root and --features (or pass --skip-real)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result: dict = {"benchmark": "lbptop_rows"}
    if not a.skip_real:
        result["real"] = real_rows(a.root, a.features, out, a.jobs)
    if not a.skip_simulated:
        seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
        result["simulated"] = simulated_rows(seeds, a.simulated_subjects, a.clips, a.size, out, a.jobs)
    result["minutes"] = round((time.perf_counter() - t0) / 60, 2)
    from microexp.io import atomic_write_json, atomic_write_text

    atomic_write_json(out / "results.json", result)
    atomic_write_text(out / "table.md", table_markdown(result))
    compact = dict(result)
    if "real" in compact:
        compact["real"] = {k: v for k, v in compact["real"].items() if k != "rows"}
    if "simulated" in compact:
        compact["simulated"] = {k: ({kk: vv for kk, vv in v.items() if kk != "runs"} if isinstance(v, dict) else v)
                                for k, v in compact["simulated"].items()}
    print(json.dumps(compact))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
