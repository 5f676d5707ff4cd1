"""The spotter `microexp analyse` uses by default, against the training-free one, on simulated
recordings of people it has never seen (MEGC scoring: one-to-one matching at IoU >= 0.5).

    python benchmarks/builtin_spotter.py --out runs/builtin_spotter                 # the packaged spotter
    python benchmarks/builtin_spotter.py --out runs/x --spotter runs/sim_spotter/spotter   # any spotter folder

The packaged spotter (``src/microexp/resources/spotter_sim``) is the learned long-video spotter
fitted by ``microexp spot-long --save-spotter`` on simulated recordings only (its ``about.json``
gives the commands; seed 5000). The held-out set here is drawn with another seed (default 6000):
``--subjects`` people × ``--videos`` recordings × ``--minutes`` minutes at 30 fps, the CAS(ME)^2
profile with ``--micro-per-minute`` micro-expressions a minute. Every recording goes through
``microexp analyse``'s own steps (streamed features, the spotter's intervals). The set and the
features are resumable in ``--out``.

Ends with ONE JSON line: ``builtin`` and ``training_free`` (``micro_f1``, ``macro_f1``,
``overall_f1`` and TP/FP/FN per type), ``held_out`` (what was simulated), ``spotter`` (the folder,
the SHA-256 of its weights and its ``about.json``) and ``seconds``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from long_spotting import simulate  # noqa: E402

#: The packaged spotter was fitted on recordings of seed 5000; the held-out people come from this one.
HELD_OUT_SEED = 6000


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="run folder (resumable)")
    ap.add_argument("--spotter", default=None, help="spotter folder (default: the packaged one)")
    ap.add_argument("--subjects", type=int, default=4)
    ap.add_argument("--videos", type=int, default=2, help="recordings per person")
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--micro-per-minute", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    ap.add_argument("--jobs", type=int, default=2)
    return ap.parse_args(argv)


def _features(data: dict, task: dict) -> dict:
    from microexp.spotting.long_features import cached_features

    cached_features(task["source"], task["fps"], data["cache"])  # into the cache; read back by the caller
    return {"done": True}


def _scores(pred, truth) -> dict:
    from microexp.spotting.megc_metrics import spotting_scores

    s = spotting_scores(pred, truth)
    out = {f"{t}_f1": round(s[t]["f1"], 4) for t in ("micro", "macro", "overall")}
    out.update({f"{t}_tp_fp_fn": [s[t][k] for k in ("tp", "fp", "fn")] for t in ("micro", "macro")})
    return out


def main(argv=None) -> dict:
    args = parse_args(argv)
    import hashlib

    import pandas as pd

    from microexp.evaluation.backends import run_tasks
    from microexp.pipeline.analyse_recording import load_spotter, resolve_spotter
    from microexp.pipeline.long_spotting import simulated_recordings
    from microexp.spotting.long_features import cached_features

    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spec = simulate(out / "sim", subjects=args.subjects, videos=args.videos, minutes=args.minutes, fps=30.0,
                    profile="casme_sq", seed=args.seed, micro_per_minute=args.micro_per_minute, frame_size=None,
                    jobs=args.jobs)
    recordings, truth = simulated_recordings(out / "sim")
    cache = out / "features"
    tasks = [{"key": f"{r.subject}/{r.video}", "source": r.source,
              "fps": r.fps} for r in recordings.itertuples(index=False)]
    for _ in run_tasks(_features, {"cache": str(cache)}, tasks, jobs=min(args.jobs, len(tasks))):
        pass
    folder = resolve_spotter(args.spotter or "builtin")
    spotters = {"builtin": load_spotter(folder)[0], "training_free": load_spotter("training-free")[0]}
    predictions = {name: [] for name in spotters}
    for r in recordings.itertuples(index=False):
        feats = cached_features(r.source, r.fps, cache)
        for name, spotter in spotters.items():
            pred = spotter.predict(feats)
            pred = pred.assign(onset=pred["onset"] + int(r.first_frame), offset=pred["offset"] + int(r.first_frame),
                               dataset=r.dataset, subject=r.subject, video=r.video)
            predictions[name].append(pred[["dataset", "subject", "video", "onset", "offset", "type"]])
    about = json.loads((folder / "about.json").read_text()) if (folder / "about.json").is_file() else None
    result = {name: _scores(pd.concat(p, ignore_index=True), truth) for name, p in predictions.items()}
    result.update({
        "held_out": {**spec, "recordings": len(recordings),
                     "intervals": {t: int((truth["type"] == t).sum()) for t in ("micro", "macro")}},
        "spotter": {"folder": str(folder), "weights_sha256": hashlib.sha256((folder / "weights.pt").read_bytes()).hexdigest(),
                    "about": about},
        "seconds": round(time.perf_counter() - started, 1)})
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
