"""Whole-chain check on simulated data: recognition falls toward chance as the expression amplitude goes to 0.

    python benchmarks/simulated_amplitude.py [--out runs/bench_amplitude] [--model svm]

Each point simulates a fresh small dataset (the demo's ``fast`` profile), preprocesses it and runs
leave-one-subject-out recognition. Ends with one JSON line: UF1/UAR per amplitude (and the hard
nuisance setting at amplitude 1).
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

from microexp.pipeline.demo import DEMO_PROFILES, run_demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/bench_amplitude")
    ap.add_argument("--model", default="svm")
    ap.add_argument("--amplitudes", default="0,0.1,0.25,0.5,1.0")
    a = ap.parse_args()
    base = replace(DEMO_PROFILES["fast"], generated_clip=False, gan_epochs=1)
    points = [(f"amplitude_{x}", replace(base, amplitude=float(x))) for x in a.amplitudes.split(",")]
    points.append(("amplitude_1.0_hard", replace(base, amplitude=1.0, difficulty="hard")))
    results = {}
    for name, profile in points:
        t0 = time.perf_counter()
        r = run_demo(f"{a.out}/{name}", profile=profile, model=a.model, jobs=2, progress=False, echo=lambda s: None)
        rec = r.metrics["recognition"]
        results[name] = {"uf1": round(rec["uf1"], 4), "uar": round(rec["uar"], 4),
                         "seconds": round(time.perf_counter() - t0, 1)}
        print(name, results[name], flush=True)
    print(json.dumps({"model": a.model, "profile": "fast", **results}))


if __name__ == "__main__":
    main()
