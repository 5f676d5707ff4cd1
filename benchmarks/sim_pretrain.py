"""Does pre-training on simulated micro-expressions lift ``best`` on the MEGC2019 composite?

1. ``microexp.pipeline.sim_pretrain`` renders the simulated database of ``--config``
   (``configs/sim_pretrain.yaml``), preprocesses it like a real one and trains STSTNet on its
   flows; a check on held-out *simulated* subjects says whether the network learnt the simulator.
2. ``zero_shot``: that network, never trained on a real sample, scores the 442 real composite
   flows (a description of how far simulated flows alone carry; nothing is chosen from it).
3. Honest LOSO (68 folds) of ``best`` (``configs/flow_ensemble_megc2019.yaml``) for every seed in
   ``--seeds``, twice: from a random start (``scratch``) and with its network starting from the
   simulator's weights (``simpre``), everything else the same. The weights hold no real subject,
   so every fold may start from them. Paired UF1 / UAR difference simpre − scratch with a 95 %
   interval from resampling test subjects (``microexp.evaluation.paired``).

    python benchmarks/sim_pretrain.py --root ../shared/data/megc2019 --seeds 0,1,2 --jobs 2

Every arm is a resumable run directory under ``--out``; the last line is one JSON object.
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
    ap.add_argument("--config", default=str(CONFIGS / "sim_pretrain.yaml"), help="pre-training settings")
    ap.add_argument("--model-config", default=str(CONFIGS / "flow_ensemble_megc2019.yaml"),
                    help="the recogniser fine-tuned (a flow ensemble or a torch flow network)")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated LOSO seeds")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--bootstrap", type=int, default=2000, help="subject resamples of the paired interval")
    ap.add_argument("--skip-loso", action="store_true", help="pre-train and zero-shot only")
    ap.add_argument("--out", default="runs/sim_pretrain", help="output folder")
    return ap.parse_args(argv)


def arm_config(path: str, seed: int, weights: str | None, root: str):
    """The committed configuration at ``path`` for ``seed``, its network started from ``weights``."""
    from microexp.evaluation import EvaluationConfig
    from microexp.recognisers import get_spec

    cfg = EvaluationConfig.load(path).replace(seed=seed, root=root)
    if weights is None:
        return cfg
    if get_spec(cfg.model).family == "sklearn":  # an ensemble: the start of its network
        return cfg.replace(model_kwargs=dict(cfg.model_kwargs, net_init=weights))
    return cfg.replace(trainer=dict(cfg.trainer, init_weights=weights))


def zero_shot(table, weights: str, net: str, net_kwargs: dict) -> dict:
    from microexp.metrics import classification_report
    from microexp.training.classifier import TorchClassifier

    clf = TorchClassifier(net, num_classes=len(table.classes), model_kwargs=net_kwargs, tta_flip=True).load(weights)
    rep = classification_report(table.y, clf.predict(table.arrays("flow")), table.classes)
    return {"uf1": round(rep["uf1"], 4), "uar": round(rep["uar"], 4), "accuracy": round(rep["accuracy"], 4)}


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch

    from microexp.datasets.megc2019 import load_megc2019
    from microexp.evaluation import evaluate
    from microexp.evaluation.paired import mean_and_std, paired_subject_bootstrap
    from microexp.io import atomic_write_json
    from microexp.pipeline.sim_pretrain import SimPretrainConfig, pretrain_on_simulation

    t0 = time.perf_counter()
    out = Path(args.out)
    table = load_megc2019(args.root)  # read first: a wrong --root fails before any simulation
    cfg = SimPretrainConfig.load(args.config)
    pre = pretrain_on_simulation(out, cfg, jobs=args.jobs, echo=lambda s: print(s, flush=True))
    print(f"pre-trained on {pre['clips']} simulated clips; held-out simulated subjects {pre['heldout_simulated']}",
          flush=True)
    torch.set_num_threads(1)
    summary = {"benchmark": "sim_pretrain", "pretrain": pre,
               "zero_shot": zero_shot(table, pre["weights"], cfg.net, dict(cfg.net_kwargs))}
    print(f"zero-shot on the real composite: {summary['zero_shot']}", flush=True)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not args.skip_loso:
        preds = {"scratch": [], "simpre": []}
        per_seed = {"scratch": [], "simpre": []}
        frame = None
        for seed in seeds:
            for arm, weights in (("scratch", None), ("simpre", pre["weights"])):
                ecfg = arm_config(args.model_config, seed, weights, args.root)
                res = evaluate(table, ecfg, out / "loso" / f"seed{seed}" / arm, jobs=args.jobs, progress=False)
                frame = res.predictions.sort_values("index")
                preds[arm].append(frame["y_pred"].to_numpy())
                per_seed[arm].append(res.metrics["full"])
                print(f"seed {seed} {arm}: UF1 {res.metrics['full']['uf1']:.4f} UAR {res.metrics['full']['uar']:.4f}",
                      flush=True)
        for arm in ("scratch", "simpre"):
            for metric in ("uf1", "uar"):
                stats = mean_and_std([m[metric] for m in per_seed[arm]])
                summary[f"{metric}_{arm}"] = round(stats["mean"], 4)
                summary[f"{metric}_{arm}_std"] = round(stats["std"], 4)
                summary[f"{metric}_{arm}_seeds"] = [round(v, 4) for v in stats["values"]]
        paired = paired_subject_bootstrap(preds["simpre"], preds["scratch"], frame["y_true"].to_numpy(),
                                          frame["subject"].to_numpy(), len(table.classes),
                                          n_resamples=args.bootstrap, seed=0)
        summary["simpre_minus_scratch"] = {k: (round(v, 4) if isinstance(v, float) else
                                               [round(x, 4) for x in v] if isinstance(v, list) else v)
                                           for k, v in paired.items()}
    summary.update({"seeds": seeds, "model_config": Path(args.model_config).name,
                    "minutes": round((time.perf_counter() - t0) / 60, 2)})
    atomic_write_json(out / "summary.json", summary)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # a clear message and exit code 2 for bad input
        from microexp.errors import MicroexpError

        if isinstance(exc, MicroexpError):
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        raise
