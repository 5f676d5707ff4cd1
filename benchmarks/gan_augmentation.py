"""Does per-fold conditional DC-GAN augmentation (paper 004) help a recogniser on the MEGC2019 composite?

Honest LOSO (68 folds): in every fold a GAN is fitted on the training subjects' flows only, 100
synthetic flows per class (paper 004 §4.3) join that fold's training set, and the test subject is
scored by a recogniser trained with the same fixed budget with and without them. GANs are cached
per fold (``--cache-dir``), so re-running costs only the recogniser training.

Also written: a sample grid of the first fold's GAN (real rows above synthetic rows), and the class
fidelity / diversity checks of synthetic flows on a few folds, computed on training data only.

    python benchmarks/gan_augmentation.py --root ../shared/data/megc2019

Ends with one JSON line: uf1_real, uar_real, uf1_aug, uar_aug, minutes (+ budgets).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", required=True, help="folder of the MEGC2019 composite (holds the CSV)")
    p.add_argument("--model", default="ststnet", help="registered torch recogniser eating 'flow'")
    p.add_argument("--epochs", type=int, default=15, help="recogniser epochs per fold (fixed budget)")
    p.add_argument("--gan-epochs", type=int, default=10, help="GAN epochs per fold (fixed budget)")
    p.add_argument("--per-class", type=int, default=100, help="synthetic flows per class (paper 004: 100)")
    p.add_argument("--gan-width", type=int, default=32, help="generator width (discriminator: half)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1, help="folds trained in parallel")
    p.add_argument("--subjects", type=int, default=0,
                   help="smoke test only: keep the first N subjects (not a benchmark figure)")
    p.add_argument("--check-folds", type=int, default=2, help="folds on which fidelity/diversity are reported")
    p.add_argument("--out", default="runs/gan_augmentation", help="results directory")
    p.add_argument("--cache-dir", default="runs/gan_cache", help="per-fold GAN cache")
    return p.parse_args(argv)


def fold_checks(table, augmenter, folds, seed: int) -> list[dict]:
    """Fidelity and diversity of the synthetic flows of the first folds (training data only)."""
    from microexp.augment.cgan import class_fidelity, diversity

    X, y = table.arrays("flow"), table.y
    out = []
    for f in folds:
        X_syn, y_syn = augmenter.fit_generate(X[f.train], y[f.train], table.subjects[f.train], seed)
        out.append({"fold": f.name, "cache_hit": augmenter.last_cache_hit,
                    "fidelity": class_fidelity(X[f.train], y[f.train], X_syn, y_syn),
                    "diversity": diversity(X[f.train], y[f.train], X_syn, y_syn)})
    return out


def main(argv=None) -> dict:
    args = parse_args(argv)
    import numpy as np
    import torch
    import yaml

    from microexp.augment.cgan import FlowGANAugmenter, write_sample_grid
    from microexp.datasets.megc2019 import load_megc2019
    from microexp.evaluation import EvaluationConfig, evaluate, leave_one_subject_out
    from microexp.io import atomic_write_json, atomic_write_text

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    out = Path(args.out)
    table = load_megc2019(args.root)
    if args.subjects:
        keep = list(dict.fromkeys(table.subjects))[: args.subjects]
        table = table.subset(np.isin(table.subjects, keep))
    folds = leave_one_subject_out(table)
    augmenter = FlowGANAugmenter(per_class=args.per_class, epochs=args.gan_epochs, seed=args.seed,
                                 cache_dir=args.cache_dir, generator_width=args.gan_width,
                                 discriminator_width=max(8, args.gan_width // 2))
    trainer = {"epochs": args.epochs, "threads": 1}
    config = {"model": args.model, "protocol": "loso", "folds": len(folds), "subjects_limit": args.subjects,
              "trainer": trainer, "augmenter": augmenter.params(args.seed), "seed": args.seed, "root": args.root}
    atomic_write_text(out / "config.yaml", yaml.safe_dump(config, sort_keys=False))

    # Checks first: they fit (and cache) the GANs of the first folds, which the run then reuses.
    checks = fold_checks(table, augmenter, folds[: args.check_folds], args.seed)
    atomic_write_json(out / "synthetic_checks.json", checks)
    f0 = folds[0]
    X, y = table.arrays("flow"), table.y
    X_syn, y_syn = augmenter.fit_generate(X[f0.train], y[f0.train], table.subjects[f0.train], args.seed)
    write_sample_grid(out / "samples_fold0.png", X_syn, y_syn, real_flows=X[f0.train], real_labels=y[f0.train])

    results = {}
    for name, extra in (("real", {}), ("aug", {"augmenter": augmenter})):
        cfg = EvaluationConfig(model=args.model, protocol="loso", seed=args.seed, trainer={**trainer, **extra},
                               dataset="megc2019", root=args.root)
        # each arm is a resumable run directory: folds already stored are not recomputed
        res = evaluate(table, cfg, out / name, jobs=args.jobs, progress=False)
        results[name] = res
        print(f"{name}: UF1 {res.metrics['full']['uf1']:.4f} UAR {res.metrics['full']['uar']:.4f} "
              f"({res.metrics['seconds'] / 60:.1f} min)", flush=True)

    summary = {
        "benchmark": "gan_augmentation", "model": args.model, "folds": len(folds),
        "uf1_real": round(results["real"].metrics["full"]["uf1"], 4),
        "uar_real": round(results["real"].metrics["full"]["uar"], 4),
        "uf1_aug": round(results["aug"].metrics["full"]["uf1"], 4),
        "uar_aug": round(results["aug"].metrics["full"]["uar"], 4),
        "fidelity_acc_mean": round(float(np.mean([c["fidelity"]["accuracy"] for c in checks])), 4),
        "epochs": args.epochs, "gan_epochs": args.gan_epochs, "per_class": args.per_class,
        "minutes": round((time.perf_counter() - t0) / 60, 2), "out": str(out),
    }
    atomic_write_json(out / "summary.json", summary)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
