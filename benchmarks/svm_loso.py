"""RBF SVM on the composite's flow pixels under LOSO: time, backends agree, kill-and-resume agrees.

    python benchmarks/svm_loso.py --root ../shared/data/megc2019 [--out runs/bench_svm]

Runs the CLI three ways: (1) local processes, timed; (2) --backend ray; (3) a run killed after
some folds were stored, then the same command again (it must recompute no stored fold).
Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "microexp.cli.main", "evaluate", "--dataset", "megc2019", "--model", "svm",
            "--protocol", "loso", "--quiet", *args]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", default="runs/bench_svm")
    ap.add_argument("--kill-after", type=int, default=25, help="folds stored before the run is killed")
    a = ap.parse_args()
    out = Path(a.out)
    shutil.rmtree(out, ignore_errors=True)

    t0 = time.perf_counter()
    subprocess.run(cli("--root", a.root, "--out", str(out / "local")), check=True)
    local_s = time.perf_counter() - t0
    local = json.loads((out / "local" / "metrics.json").read_text())

    t0 = time.perf_counter()
    subprocess.run(cli("--root", a.root, "--out", str(out / "ray"), "--backend", "ray"), check=True)
    ray_s = time.perf_counter() - t0
    ray = json.loads((out / "ray" / "metrics.json").read_text())

    proc = subprocess.Popen(cli("--root", a.root, "--out", str(out / "killed")))
    folds = out / "killed" / "folds"
    while proc.poll() is None and len(list(folds.glob("*.json"))) < a.kill_after:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = len(list(folds.glob("*.json")))
    finished_before_kill = (out / "killed" / "metrics.json").exists()
    res = subprocess.run(cli("--root", a.root, "--out", str(out / "killed")), check=True, capture_output=True, text=True)
    resumed = json.loads((out / "killed" / "metrics.json").read_text())

    parts = ("full", "casme2", "samm", "smic")
    summary = {
        "uf1": round(local["full"]["uf1"], 4), "uar": round(local["full"]["uar"], 4),
        "accuracy": round(local["full"]["accuracy"], 4),
        **{f"{p}_uf1": round(local[p]["uf1"], 4) for p in parts[1:]},
        **{f"{p}_uar": round(local[p]["uar"], 4) for p in parts[1:]},
        "folds": local["folds"], "seconds_local": round(local_s, 1), "seconds_ray": round(ray_s, 1),
        "ray_identical": all(ray[p] == local[p] for p in parts),
        "killed_after_folds": stored, "killed_run_had_finished": finished_before_kill,
        "resumed_folds": resumed["folds_resumed"],
        "resume_identical": all(resumed[p] == local[p] for p in parts),
    }
    print(res.stdout.strip().splitlines()[0] if res.stdout else "")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
