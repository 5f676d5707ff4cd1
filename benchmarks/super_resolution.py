"""Paper 000, table 1: ×4 face super-resolution (32 → 128) on the MEGC2019 composite apex faces.

Protocol: HR = the 224×224 apex faces resized to 128×128; LR = paper 000's degradation (3×3
Gaussian blur, bicubic ×4 down-sampling to 32×32, then a median blur "randomly applied"). A fixed
subject split drawn with ``--seed``: in every source database, ``--test-fraction`` of the subjects
(rounded, at least one) are held out; the generators are trained on the faces of the other
subjects only and measured on the held-out faces. Bicubic, the L1-trained RRDBNet (PSNR model) and
the ESRGAN fine-tuned model are compared with PSNR / SSIM / MSE per image (see
``microexp.restore.metrics``), overall and per database, on the two paths of the
degradation separately: ``blur`` (no median blur; the headline keys ``bicubic_psnr`` ...),
``median`` (median blur applied; keys ``..._median``) and ``mixed`` (median blur drawn per face
with probability 1/2; keys ``..._mixed``). Training pairs follow the blur path only by default
(``--median-prob 0``, chosen by ``super_resolution_pilot.py`` on an inner split of the training
subjects); ``--median-prob 0.5`` trains on paper 000's mix of both paths. ``rrdb_se`` is the PSNR
model with the ×8 flip/transpose self-ensemble of EDSR+ at inference (same weights). SSIM is
reported with two windows (``microexp.restore.metrics``): ``*_ssim`` uniform 7×7
(scikit-image's default), ``*_ssim_gauss`` Gaussian σ = 1.5 (Wang et al.). ``minutes``: the
training time recorded in the run's history (a resumed or re-scored run still counts it) plus
this call's loading and scoring. Ends with one JSON line.

    python benchmarks/super_resolution.py --root ../shared/data/megc2019 --out runs/sr_bench
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from microexp.datasets.shared_data import shared_data_path

FACES_FOLDER = "datasets/combined_datasets_whole"
CSV_NAME = "combined_3_class2_for_optical_flow.csv"


def load_composite_faces(root: str | Path, size: int = 128):
    """HR apex faces ``(N, size, size, 3)`` uint8 and the CSV rows (dataset, sub, imagename, label)."""
    import pandas as pd

    from microexp.errors import DataError
    from microexp.io import read_image
    from microexp.restore import resize_face

    root = Path(root)
    csv = root / CSV_NAME
    if not csv.is_file():
        raise DataError("MEGC2019 composite CSV is missing", csv)
    table = pd.read_csv(csv)
    for col in ("dataset", "sub", "imagename", "label"):
        if col not in table.columns:
            raise DataError(f"column {col!r} is missing", csv)
    table["subject"] = table["dataset"].astype(str) + "/" + table["sub"].astype(str)
    faces = np.stack([resize_face(read_image(root / FACES_FOLDER / name, "rgb", row=i + 2), size)
                      for i, name in enumerate(table["imagename"])])
    return faces, table.reset_index(drop=True)


def subject_split(table, test_fraction: float, seed: int) -> np.ndarray:
    """Boolean test mask: per database, a seeded random ``test_fraction`` of its subjects."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(table), bool)
    for dataset in sorted(table["dataset"].unique()):
        subjects = sorted(table.loc[table["dataset"] == dataset, "subject"].unique())
        k = max(1, int(round(test_fraction * len(subjects))))
        chosen = set(rng.choice(subjects, size=k, replace=False).tolist())
        test |= table["subject"].isin(chosen).to_numpy() & (table["dataset"] == dataset).to_numpy()
    return test


#: The CPU-sized configuration of the benchmark (set before any held-out face was scored).
BENCH_CONFIG = dict(arch="rrdbnet", n_features=32, n_blocks=2, growth=16, upsampler="pixelshuffle",
                    global_residual=True, patch_lr=16, batch_size=16, lr_variants=4,
                    pretrain_iters=100_000, pretrain_lr=1e-3, pretrain_minutes=30.0,
                    gan_iters=100_000, gan_lr=1e-4, gan_minutes=8.0, d_features=32, iters_per_epoch=250,
                    median_prob=0.0)
FAST_CONFIG = dict(BENCH_CONFIG, n_features=8, growth=8, n_blocks=1, d_features=8, pretrain_iters=20,
                   pretrain_minutes=None, gan_iters=10, gan_minutes=None, iters_per_epoch=10, lr_variants=1)
#: Names of the L1-trained and the GAN-fine-tuned model of each generator in the results.
METHOD_NAMES = {"rrdbnet": ("rrdb", "esrgan"), "srresnet": ("srresnet", "srgan")}
#: Seed offset of the evaluation degradations, so they are not the training draws.
EVAL_SEED_OFFSET = 1_000_000
#: Paper 000's degradation scored three ways: median blur never applied (the headline keys), always
#: applied, and drawn at random as in training (``None``: probability 1/2).
EVAL_PATHS = {"blur": 0.0, "median": 1.0, "mixed": None}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=str(shared_data_path("megc2019")),
                   help="MEGC2019 composite folder (default: $MICROEXP_SHARED_DATA/megc2019 or ../shared/data/megc2019)")
    p.add_argument("--out", default="runs/super_resolution")
    p.add_argument("--seed", type=int, default=0, help="seed of the subject split and of training")
    p.add_argument("--test-fraction", type=float, default=0.25)
    p.add_argument("--pretrain-minutes", type=float, default=None)
    p.add_argument("--gan-minutes", type=float, default=None)
    p.add_argument("--arch", choices=["rrdbnet", "srresnet"], default=None)
    p.add_argument("--n-blocks", type=int, default=None, help="RRDBs (rrdbnet) or residual blocks (srresnet)")
    p.add_argument("--vgg-weights", default=None, help="VGG19 state_dict for the perceptual loss")
    p.add_argument("--median-prob", type=float, default=None,
                   help="chance of the median blur in the TRAINING pairs (default 0: the blur path only, as chosen by "
                        "the pilot; 0.5: paper 000's mix). The held-out faces are scored on all three paths "
                        "whatever it is.")
    p.add_argument("--grid-faces", type=int, default=6)
    p.add_argument("--threads", type=int, default=2, help="torch threads (the target is 2 cores)")
    p.add_argument("--fast", action="store_true", help="tiny model and schedule: a smoke test")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import pandas as pd
    import torch
    import yaml

    from microexp.io import atomic_write_image, atomic_write_json, atomic_write_text
    from microexp.restore import (SRConfig, comparison_grid, image_quality, load_generator, make_pairs,
                                  summarise_quality, train_super_resolution, upscale_bicubic, upscale_with)

    torch.set_num_threads(args.threads)
    started = time.monotonic()
    out = Path(args.out)
    settings = dict(FAST_CONFIG if args.fast else BENCH_CONFIG, seed=args.seed)
    for key, value in (("pretrain_minutes", args.pretrain_minutes), ("gan_minutes", args.gan_minutes),
                       ("arch", args.arch), ("vgg_weights", args.vgg_weights),
                       ("n_blocks", args.n_blocks), ("median_prob", args.median_prob)):
        if value is not None:
            settings[key] = value
    cfg = SRConfig.from_dict(settings)

    hr, table = load_composite_faces(args.root)
    test = subject_split(table, args.test_fraction, args.seed)
    table["split"] = np.where(test, "test", "train")
    atomic_write_text(out / "config.yaml", yaml.safe_dump(
        {"root": args.root, "seed": args.seed, "test_fraction": args.test_fraction, "fast": args.fast,
         "sr": cfg.to_dict()}, sort_keys=False))
    atomic_write_json(out / "split.json", {
        "protocol": f"fixed subject split: {args.test_fraction:.0%} of each database's subjects held out (seed {args.seed})",
        "test_subjects": sorted(table.loc[test, "subject"].unique().tolist()),
        "n_train_faces": int((~test).sum()), "n_test_faces": int(test.sum())})
    print(f"{(~test).sum()} training faces, {test.sum()} held-out faces "
          f"({table.loc[test, 'subject'].nunique()} subjects)", file=sys.stderr)

    lr_train = make_pairs(hr[~test], cfg.lr_variants, seed=args.seed, median_prob=cfg.median_prob)
    t_train = time.monotonic()
    result = train_super_resolution(hr[~test], lr_train, cfg, out / "model",
                                    log=lambda m: print(m, file=sys.stderr, flush=True))
    # training time from the history, so that a resumed (or re-scored) run still counts it
    phase_minutes = {phase: max([h["minutes"] for h in result["history"] if h["phase"] == phase], default=0.0)
                     for phase in ("pretrain", "gan")}
    psnr_minutes, train_minutes = phase_minutes["pretrain"], sum(phase_minutes.values())
    call_minutes_outside_training = (t_train - started) / 60.0

    t_scored = time.monotonic()
    hr_test = hr[test]
    psnr_name, gan_name = METHOD_NAMES[cfg.arch]
    generators = {name: load_generator(out / "model" / file)[0]
                  for name, file in ((psnr_name, "generator_psnr.pt"), (gan_name, "generator_gan.pt"))}
    groups = table.loc[test, "dataset"].to_numpy()
    metrics, rows, summary = {}, {"dataset": groups, "subject": table.loc[test, "subject"].to_numpy(),
                                  "imagename": table.loc[test, "imagename"].to_numpy()}, {}
    for path, median_prob in EVAL_PATHS.items():
        lr_test = make_pairs(hr_test, 1, seed=args.seed + EVAL_SEED_OFFSET, median_prob=median_prob)[:, 0]
        methods = {"bicubic": upscale_bicubic(lr_test)}
        methods.update({name: upscale_with(gen, lr_test) for name, gen in generators.items()})
        # the PSNR model with EDSR's ×8 geometric self-ensemble (inference only, same weights)
        methods[f"{psnr_name}_se"] = upscale_with(generators[psnr_name], lr_test, self_ensemble=8)
        suffix = "" if path == "blur" else f"_{path}"
        metrics[path] = {}
        for name, sr in methods.items():
            per_image = image_quality(hr_test, sr)
            metrics[path][name] = summarise_quality(per_image, groups)
            rows.update({f"{path}_{name}_{k}": v for k, v in per_image.items()})
            summary.update({f"{name}_{k}{suffix}": metrics[path][name][k]
                            for k in ("psnr", "ssim", "ssim_gauss", "mse")})
        # two held-out faces of each database in the picture
        pick = np.concatenate([np.flatnonzero(groups == g)[:max(1, args.grid_faces // 3)]
                               for g in sorted(set(groups))])
        grid = comparison_grid([hr_test[pick], lr_test[pick], methods["bicubic"][pick], methods[psnr_name][pick],
                                methods[gan_name][pick]])
        atomic_write_image(out / f"grid_hr_lr_bicubic_{psnr_name}_{gan_name}{suffix}.png", grid)
    atomic_write_text(out / "per_image.csv", pd.DataFrame(rows).to_csv(index=False))

    summary.update({
        "psnr_model_train_minutes": round(psnr_minutes, 2), "train_minutes": round(train_minutes, 2),
        "pretrain_iterations": max([h["iteration"] for h in result["history"] if h["phase"] == "pretrain"], default=0),
        "gan_iterations": max([h["iteration"] for h in result["history"] if h["phase"] == "gan"], default=0),
        "n_test_faces": int(test.sum()),
        "minutes": round(train_minutes + call_minutes_outside_training + (time.monotonic() - t_scored) / 60.0, 2),
    })
    atomic_write_json(out / "metrics.json", {"summary": summary, "per_method": metrics})
    print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in summary.items()}))
    return summary


if __name__ == "__main__":
    main()
