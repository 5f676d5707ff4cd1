"""Pilot for the flow GAN of ``gan_augmentation.py``: class fidelity and diversity on TRAINING folds only.

For each LOSO fold in ``--folds`` a GAN is fitted on the fold's training subjects, 100 flows per
class are drawn, and an RBF SVM fitted on the same real training flows says how often they get the
class they were generated for (``microexp.augment.cgan.class_fidelity``); ``diversity`` gives the
spread ratio and nearest-real ratio. The test subject of the fold is never loaded into anything.

    python benchmarks/gan_fidelity_pilot.py --variant ac60ema --folds 0,30
    python benchmarks/gan_fidelity_pilot.py --variant '{"mine": {"epochs": 40, "discriminator": "projection"}}'

Prints one JSON line per (variant, fold) and ends with one JSON line of the means per variant.
"""
from __future__ import annotations

import argparse
import json
import time

from microexp.datasets.shared_data import shared_data_path

#: The settings compared while choosing the benchmark's GAN (GANConfig keyword arguments).
VARIANTS = {
    "paper10": {"epochs": 10},
    "paper60": {"epochs": 60},
    "paper120": {"epochs": 120},
    "proj60": {"epochs": 60, "discriminator": "projection"},
    "proj60ema": {"epochs": 60, "discriminator": "projection", "ema_decay": 0.99},
    "ac30": {"epochs": 30, "discriminator": "projection", "aux_weight": 1.0},
    "ac60b32": {"epochs": 60, "batch_size": 32, "discriminator": "projection", "aux_weight": 1.0},
    "ac60": {"epochs": 60, "discriminator": "projection", "aux_weight": 1.0},
    "ac60ema": {"epochs": 60, "discriminator": "projection", "aux_weight": 1.0, "ema_decay": 0.99},
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=str(shared_data_path("megc2019")),
                   help="MEGC2019 composite folder (default: $MICROEXP_SHARED_DATA/megc2019 or ../shared/data/megc2019)")
    p.add_argument("--variant", action="append", default=None,
                   help=f"a name ({', '.join(VARIANTS)}) or a JSON mapping name → GANConfig settings; repeatable")
    p.add_argument("--folds", default="0,30", help="comma-separated LOSO fold indices")
    p.add_argument("--per-class", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def resolve_variants(specs) -> dict:
    from microexp.errors import ConfigError

    out = {}
    for spec in specs or ["ac60ema"]:
        if spec in VARIANTS:
            out[spec] = VARIANTS[spec]
            continue
        try:
            parsed = json.loads(spec)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--variant {spec!r}: neither a known name ({', '.join(VARIANTS)}) nor JSON") from exc
        if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
            raise ConfigError(f"--variant {spec!r}: expected a JSON mapping name → settings")
        out.update(parsed)
    return out


def main(argv=None) -> dict:
    args = parse_args(argv)
    import numpy as np
    import torch

    from microexp.augment.cgan import GANConfig, class_fidelity, diversity, train_flow_gan
    from microexp.datasets.megc2019 import load_megc2019
    from microexp.evaluation import leave_one_subject_out

    torch.set_num_threads(1)
    variants = resolve_variants(args.variant)
    table = load_megc2019(args.root)
    X, y = table.arrays("flow"), table.y
    folds = leave_one_subject_out(table)
    picks = [int(f) for f in args.folds.split(",") if f != ""]
    classes = np.unique(y)
    means = {}
    for name, settings in variants.items():
        config = GANConfig.from_dict(settings, source=f"variant {name}")
        rows = []
        for index in picks:
            fold = folds[index]
            t0 = time.perf_counter()
            gan = train_flow_gan(X[fold.train], y[fold.train], len(table.classes), config, seed=args.seed)
            labels = np.repeat(classes, args.per_class)
            synthetic = gan.sample(labels, seed=args.seed + 1)
            fid = class_fidelity(X[fold.train], y[fold.train], synthetic, labels)["recall_per_class"]
            div = diversity(X[fold.train], y[fold.train], synthetic, labels)
            row = {"variant": name, "fold": index, "subject": fold.name, "seconds": round(time.perf_counter() - t0, 1),
                   "fidelity": {table.classes[k]: round(v, 3) for k, v in fid.items()},
                   "fidelity_mean": round(float(np.mean(list(fid.values()))), 3),
                   "spread_ratio": {table.classes[k]: round(v["spread_ratio"], 2) for k, v in div.items()},
                   "nearest_real_ratio": {table.classes[k]: round(v["nearest_real_ratio"], 2) for k, v in div.items()}}
            rows.append(row)
            print(json.dumps(row), flush=True)
        means[name] = {"fidelity_mean": round(float(np.mean([r["fidelity_mean"] for r in rows])), 3),
                       "folds": picks, "settings": settings}
    print(json.dumps({"pilot": "gan_fidelity", "variants": means}))
    return means


if __name__ == "__main__":
    main()
