"""Does per-fold conditional-GAN augmentation (paper 004) help recognisers on the MEGC2019 composite?

Honest LOSO (68 folds): in every fold a GAN is fitted on the training subjects' flows only,
``--per-class`` synthetic flows per class (paper 004 §4.3: 100) join that fold's training set, and
the test subject is scored by recognisers trained with and without them, each with its committed
configuration (``configs/<model>_megc2019.yaml``: STSTNet and ``best``, the flow ensemble), for
every seed in ``--seeds``. One GAN per fold is shared by all recognisers and seeds (its seed is
pinned to ``--gan-seed``), so the comparison varies the recogniser, not the GAN; GANs are cached per
fold (``--cache-dir``) and every arm is a resumable run directory.

The GAN (named in advance, chosen on training folds only by comparing class fidelity): the
projection discriminator with spectral normalisation, the hinge loss and an auxiliary class loss
and a moving average of the generator's weights (``--gan-discriminator projection --aux-weight 1
--gan-ema 0.99``), 60 epochs; ``--gan-discriminator paper --aux-weight 0 --gan-ema 0`` is paper
004's own discriminator.

Checks of the synthetic flows, on the training data of ``--check-folds`` folds spread over the
composite (never a test subject): ``fidelity`` (class → fraction of synthetic flows that an RBF SVM
fitted on the fold's real training flows assigns to the class they were generated for),
``diversity`` (class → spread ratio synthetic/real, ≈ 1 healthy, and nearest-real ratio, ≪ 1
copies), ``distance`` (Fréchet distance of PCA-projected flows, overall and per class, beside the
distance between two subject halves of the real flows). Paired comparisons: UF1 / UAR difference
aug − real, mean over seeds, with a 95 % interval from resampling test subjects
(``microexp.evaluation.paired``).

    python benchmarks/gan_augmentation.py --root ../shared/data/megc2019 --jobs 2

Writes ``samples_per_class.png`` (real rows above synthetic rows per class, one training fold) and
ends with one JSON line: fidelity, fidelity_mean, diversity, distance, recognisers (per model:
uf1_real, uar_real, uf1_aug, uar_aug as means over the seeds, per-seed values, paired interval),
uf1_real … of the first model at the top level, minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
#: The GAN of the benchmark, fixed before any recogniser was scored with it.
GAN_SETTINGS = {"epochs": 60, "discriminator": "projection", "aux_weight": 1.0, "ema_decay": 0.99,
                "per_class": 100, "generator_width": 32, "discriminator_width": 16}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", required=True, help="folder of the MEGC2019 composite (holds the CSV)")
    p.add_argument("--models", default="ststnet,flow_ensemble",
                   help="comma-separated recognisers eating 'flow', each run with configs/<model>_megc2019.yaml")
    p.add_argument("--seeds", default="1,2,3", help="comma-separated recogniser seeds")
    p.add_argument("--epochs", type=int, default=None, help="override the recognisers' epoch budget (smoke tests)")
    p.add_argument("--gan-epochs", type=int, default=GAN_SETTINGS["epochs"], help="GAN epochs per fold")
    p.add_argument("--gan-discriminator", default=GAN_SETTINGS["discriminator"], choices=["paper", "projection"])
    p.add_argument("--aux-weight", type=float, default=GAN_SETTINGS["aux_weight"],
                   help="auxiliary class loss (projection discriminator only)")
    p.add_argument("--gan-ema", type=float, default=GAN_SETTINGS["ema_decay"],
                   help="moving average of the generator's weights (0: off)")
    p.add_argument("--per-class", type=int, default=GAN_SETTINGS["per_class"],
                   help="synthetic flows per class (paper 004: 100)")
    p.add_argument("--gan-width", type=int, default=GAN_SETTINGS["generator_width"],
                   help="generator width (discriminator: half)")
    p.add_argument("--gan-seed", type=int, default=0, help="seed of every fold's GAN")
    p.add_argument("--jobs", type=int, default=1, help="folds trained in parallel")
    p.add_argument("--subjects", type=int, default=0,
                   help="smoke test only: keep the first N subjects (not a benchmark figure)")
    p.add_argument("--check-folds", type=int, default=4, help="folds on which fidelity/diversity/distance are measured")
    p.add_argument("--checks-only", action="store_true", help="measure the synthetic flows only, no recognisers")
    p.add_argument("--bootstrap", type=int, default=2000, help="subject resamples of the paired intervals")
    p.add_argument("--out", default="runs/gan_augmentation", help="results directory")
    p.add_argument("--cache-dir", default="runs/gan_cache", help="per-fold GAN cache")
    return p.parse_args(argv)


def _mean_of(dicts: list[dict]) -> dict:
    """Key-wise mean of nested dicts of numbers (the per-fold checks)."""
    import numpy as np

    out = {}
    for key in dicts[0]:
        values = [d[key] for d in dicts if key in d]
        out[key] = _mean_of(values) if isinstance(values[0], dict) else round(float(np.mean(values)), 4)
    return out


def fold_checks(table, augmenter, folds) -> dict:
    """Fidelity, diversity and distance of the synthetic flows of ``folds`` (their training data only)."""
    from microexp.augment.cgan import class_fidelity, diversity, frechet_distance

    X, y = table.arrays("flow"), table.y
    per_fold = []
    for f in folds:
        X_syn, y_syn = augmenter.fit_generate(X[f.train], y[f.train], table.subjects[f.train])
        fid = class_fidelity(X[f.train], y[f.train], X_syn, y_syn)
        per_fold.append({"fold": f.name, "cache_hit": augmenter.last_cache_hit, "fidelity": fid,
                         "diversity": diversity(X[f.train], y[f.train], X_syn, y_syn),
                         "distance": frechet_distance(X[f.train], y[f.train], X_syn, y_syn, table.subjects[f.train])})
    names = list(table.classes)
    fidelity = _mean_of([{names[k]: v for k, v in c["fidelity"]["recall_per_class"].items()} for c in per_fold])
    diversity_ = _mean_of([{names[k]: v for k, v in c["diversity"].items()} for c in per_fold])
    distance = _mean_of([{"overall": c["distance"]["overall"], "real_halves": c["distance"]["real_halves"],
                          "per_class": {names[k]: v for k, v in c["distance"]["per_class"].items()}}
                         for c in per_fold])
    return {"per_fold": per_fold, "fidelity": fidelity, "diversity": diversity_, "distance": distance,
            "fidelity_mean": round(sum(fidelity.values()) / len(fidelity), 4),
            "folds": [c["fold"] for c in per_fold]}


def arm_config(model: str, seed: int, augmenter_spec: dict | None, epochs: int | None, root: str):
    """The committed configuration of ``model`` for ``seed``, with the augmenter added (or not)."""
    from microexp.evaluation import EvaluationConfig

    from microexp.recognisers import get_spec

    cfg = EvaluationConfig.load(CONFIGS / f"{model}_megc2019.yaml").replace(seed=seed, root=root)
    if get_spec(cfg.model).family == "sklearn":  # the augmenter is a constructor argument, not a trainer setting
        kwargs = dict(cfg.model_kwargs, **({"epochs": epochs} if epochs else {}))
        if augmenter_spec:
            kwargs["augmenter"] = augmenter_spec
        return cfg.replace(model_kwargs=kwargs)
    trainer = dict(cfg.trainer, **({"epochs": epochs} if epochs else {}))
    if augmenter_spec:
        trainer["augmenter"] = augmenter_spec
    return cfg.replace(trainer=trainer)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import numpy as np
    import torch
    import yaml

    from microexp.augment.cgan import make_augmenter, write_sample_grid
    from microexp.datasets.megc2019 import load_megc2019
    from microexp.evaluation import evaluate, leave_one_subject_out
    from microexp.evaluation.paired import mean_and_std, paired_subject_bootstrap
    from microexp.io import atomic_write_json, atomic_write_text

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    out = Path(args.out)
    table = load_megc2019(args.root)
    if args.subjects:
        keep = list(dict.fromkeys(table.subjects))[: args.subjects]
        table = table.subset(np.isin(table.subjects, keep))
    folds = leave_one_subject_out(table)
    models = [m for m in args.models.split(",") if m]
    seeds = [int(s) for s in args.seeds.split(",") if s != ""]
    spec = {"flow_gan": {"per_class": args.per_class, "epochs": args.gan_epochs, "seed": args.gan_seed,
                         "pin_seed": True, "cache_dir": args.cache_dir, "discriminator": args.gan_discriminator,
                         "aux_weight": args.aux_weight, "ema_decay": args.gan_ema, "generator_width": args.gan_width,
                         "discriminator_width": max(8, args.gan_width // 2)}}
    augmenter = make_augmenter(spec)
    atomic_write_text(out / "config.yaml", yaml.safe_dump(
        {"models": models, "seeds": seeds, "augmenter": spec, "epochs_override": args.epochs, "root": args.root,
         "folds": len(folds), "subjects_limit": args.subjects, "check_folds": args.check_folds}, sort_keys=False))

    # Checks first: they fit (and cache) the GANs of their folds, which the runs then reuse.
    picks = np.unique(np.linspace(0, len(folds) - 1, max(1, min(args.check_folds, len(folds)))).round().astype(int))
    checks = fold_checks(table, augmenter, [folds[i] for i in picks])
    atomic_write_json(out / "synthetic_checks.json", checks)
    f0 = folds[int(picks[0])]
    X, y = table.arrays("flow"), table.y
    X_syn, y_syn = augmenter.fit_generate(X[f0.train], y[f0.train], table.subjects[f0.train])
    write_sample_grid(out / "samples_per_class.png", X_syn, y_syn, real_flows=X[f0.train], real_labels=y[f0.train])
    print(f"fidelity {checks['fidelity']} (mean {checks['fidelity_mean']}), distance {checks['distance']}", flush=True)

    recognisers = {}
    for model in [] if args.checks_only else models:
        preds = {"real": [], "aug": []}
        per_seed = {"real": [], "aug": []}
        for seed in seeds:
            for arm, arm_spec in (("real", None), ("aug", spec)):
                cfg = arm_config(model, seed, arm_spec, args.epochs, args.root)
                res = evaluate(table, cfg, out / model / f"seed{seed}" / arm, jobs=args.jobs, progress=False)
                frame = res.predictions.sort_values("index")
                preds[arm].append(frame["y_pred"].to_numpy())
                per_seed[arm].append(res.metrics["full"])
                print(f"{model} seed {seed} {arm}: UF1 {res.metrics['full']['uf1']:.4f} "
                      f"UAR {res.metrics['full']['uar']:.4f}", flush=True)
        y_true, subjects = frame["y_true"].to_numpy(), frame["subject"].to_numpy()
        row = {}
        for arm in ("real", "aug"):
            for metric in ("uf1", "uar"):
                stats = mean_and_std([m[metric] for m in per_seed[arm]])
                row[f"{metric}_{arm}"] = round(stats["mean"], 4)
                row[f"{metric}_{arm}_std"] = round(stats["std"], 4)
                row[f"{metric}_{arm}_seeds"] = [round(v, 4) for v in stats["values"]]
        paired = paired_subject_bootstrap(preds["aug"], preds["real"], y_true, subjects, len(table.classes),
                                          n_resamples=args.bootstrap, seed=0)
        row["aug_minus_real"] = {k: (round(v, 4) if isinstance(v, float) else
                                     [round(x, 4) for x in v] if isinstance(v, list) else v)
                                 for k, v in paired.items()}
        recognisers[model] = row

    summary = {"benchmark": "gan_augmentation", "folds": len(folds), "seeds": seeds,
               "fidelity": checks["fidelity"], "fidelity_mean": checks["fidelity_mean"],
               "diversity": checks["diversity"], "distance": checks["distance"], "check_folds": checks["folds"],
               "gan": {k: v for k, v in spec["flow_gan"].items() if k != "cache_dir"}, "recognisers": recognisers}
    if recognisers:
        first = recognisers[models[0]]
        summary.update({k: first[k] for k in ("uf1_real", "uar_real", "uf1_aug", "uar_aug")})
    summary["minutes"] = round((time.perf_counter() - t0) / 60, 2)
    atomic_write_json(out / "summary.json", summary)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
