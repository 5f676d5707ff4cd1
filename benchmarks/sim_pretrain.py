"""Pre-training on simulated micro-expressions, for the ``simpre`` lever of ``benchmarks/levers.py``.

1. ``microexp.pipeline.sim_pretrain`` renders the simulated database of ``--config``
   (``configs/pretrain/sim_pretrain.yaml``), preprocesses it like a real one and trains STSTNet on its
   flows; a check on held-out *simulated* subjects says whether the network learnt the simulator.
2. ``zero_shot``: that network, never trained on a real sample, scores the 442 real composite
   flows (a description of how far simulated flows alone carry; nothing is chosen from it).

    python benchmarks/sim_pretrain.py --root ../shared/data/megc2019 --out runs/sim_pretrain

The weights land in ``runs/sim_pretrain/ststnet_sim.pt``, where ``configs/levers/simpre.yaml``
expects them, and the labelled simulated flows in ``runs/sim_pretrain/flows.npz``
(``configs/levers/sim_mix.yaml``; ``--flows-only`` writes that file from an earlier run's
folder); they hold no real subject, so every LOSO fold may start from them or train on them. The
last line is one JSON object (pre-training summary, zero-shot scores, minutes).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", help="the MEGC2019 composite (combined_3_class2_for_optical_flow.csv); "
                                   "needed except with --flows-only")
    ap.add_argument("--config", default=str(CONFIGS / "pretrain" / "sim_pretrain.yaml"), help="pre-training settings")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (simulation, preprocessing)")
    ap.add_argument("--out", default="runs/sim_pretrain", help="output folder")
    ap.add_argument("--flows-only", action="store_true",
                    help="only write OUT/flows.npz from an earlier run's OUT/preprocessed/composite")
    return ap.parse_args(argv)


def export_flows(out: Path) -> dict:
    """``out/flows.npz`` (the labelled simulated flows) from an earlier run's preprocessed composite."""
    from microexp.datasets.flow_file import write_flow_file
    from microexp.datasets.megc2019 import load_megc2019
    from microexp.identity import file_digest
    from microexp.pipeline.sim_pretrain import FLOW_FILE_NAME

    samples = load_megc2019(out / "preprocessed" / "composite")
    path = write_flow_file(samples, out / FLOW_FILE_NAME)
    return {"benchmark": "sim_pretrain", "flows": str(path), "flows_sha256": file_digest(path),
            "clips": int(len(samples.y)),
            "class_counts": {c: int(n) for c, n in zip(samples.classes, np.bincount(samples.y, minlength=3))}}


def zero_shot(table, weights: str, net: str, net_kwargs: dict, centre: bool = False) -> dict:
    from microexp.metrics import classification_report
    from microexp.motion import centre_composites
    from microexp.pipeline.sim_pretrain import held_out_scores
    from microexp.training.classifier import TorchClassifier

    clf = TorchClassifier(net, num_classes=len(table.classes), model_kwargs=net_kwargs, tta_flip=True).load(weights)
    result = held_out_scores(clf, table, centre=centre)
    X = table.arrays("flow")
    result["confusion"] = classification_report(table.y, clf.predict(centre_composites(X) if centre else X),
                                                table.classes)["confusion_matrix"]
    return result


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not args.flows_only and not args.root:
        from microexp.errors import ConfigError

        raise ConfigError("--root (the MEGC2019 composite) is needed to score the network on real flows")
    import torch

    from microexp.datasets.megc2019 import load_megc2019
    from microexp.io import atomic_write_json
    from microexp.pipeline.sim_pretrain import SimPretrainConfig, pretrain_on_simulation

    t0 = time.perf_counter()
    out = Path(args.out)
    if args.flows_only:
        summary = export_flows(out)
        print(json.dumps(summary))
        return summary
    table = load_megc2019(args.root)  # read first: a wrong --root fails before any simulation
    cfg = SimPretrainConfig.load(args.config)
    pre = pretrain_on_simulation(out, cfg, jobs=args.jobs, echo=lambda s: print(s, flush=True))
    print(f"pre-trained on {pre['clips']} simulated clips; held-out simulated subjects {pre['heldout_simulated']}",
          flush=True)
    torch.set_num_threads(1)
    summary = {"benchmark": "sim_pretrain", "pretrain": pre,
               "zero_shot": zero_shot(table, pre["weights"], cfg.net, dict(cfg.net_kwargs), cfg.centre)}
    print(f"zero-shot on the real composite: {summary['zero_shot']}", flush=True)
    summary["minutes"] = round((time.perf_counter() - t0) / 60, 2)
    atomic_write_json(out / "summary.json", summary)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _cli import run

    run(main)
