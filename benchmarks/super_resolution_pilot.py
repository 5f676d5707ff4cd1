"""Pilot for ``super_resolution.py``'s configuration, on the TRAINING subjects only.

The benchmark's held-out subjects (``subject_split(table, 0.25, 0)``) are set aside untouched; the
remaining subjects are split again (20 % of each database's subjects, seed 1) into pilot-training
and pilot-validation faces. One L1-trained generator is fitted for ``--minutes`` of wall time and
scored on the validation faces on the ``blur`` path (no median blur) and the ``median`` path.
Compare settings by running it once per setting, e.g.

    python benchmarks/super_resolution_pilot.py --name p16 --minutes 12                 # benchmark config
    python benchmarks/super_resolution_pilot.py --name p32 --patch 32 --minutes 12      # whole 32×32 faces
    python benchmarks/super_resolution_pilot.py --name nf64 --nf 64 --gc 32 --minutes 12
    python benchmarks/super_resolution_pilot.py --name blur4k --iters 4000 --median-prob 0   # train on the blur path only

Ends with one JSON line (PSNR / SSIM of bicubic and the model on both paths, iterations).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from microexp.datasets.shared_data import shared_data_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from super_resolution import BENCH_CONFIG, load_composite_faces, subject_split  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=str(shared_data_path("megc2019")),
                   help="MEGC2019 composite folder (default: $MICROEXP_SHARED_DATA/megc2019 or ../shared/data/megc2019)")
    p.add_argument("--out", default="runs/super_resolution_pilot")
    p.add_argument("--name", default="pilot")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--minutes", type=float, default=12.0, help="wall-clock cap of the L1 training")
    p.add_argument("--iters", type=int, default=None,
                   help="cap the L1 training in iterations instead of minutes (not affected by other jobs)")
    p.add_argument("--median-prob", type=float, default=None,
                   help="chance of the median blur in the training pairs (default: paper 000's 1/2)")
    p.add_argument("--nf", type=int, default=BENCH_CONFIG["n_features"])
    p.add_argument("--nb", type=int, default=BENCH_CONFIG["n_blocks"])
    p.add_argument("--gc", type=int, default=BENCH_CONFIG["growth"])
    p.add_argument("--patch", type=int, default=BENCH_CONFIG["patch_lr"])
    p.add_argument("--batch", type=int, default=BENCH_CONFIG["batch_size"])
    p.add_argument("--lr", type=float, default=BENCH_CONFIG["pretrain_lr"])
    p.add_argument("--arch", choices=["rrdbnet", "srresnet", "rlfn"], default=BENCH_CONFIG["arch"])
    p.add_argument("--esa", type=int, default=16, help="ESA channels (rlfn)")
    p.add_argument("--unshuffle", action="store_true", help="pixel-unshuffle front end (rlfn)")
    p.add_argument("--position", action="store_true", help="position planes: each LR pixel's place in the face (rlfn)")
    p.add_argument("--ema", type=float, default=0.0, help="EMA decay of the weights (0: off)")
    p.add_argument("--l2-fraction", type=float, default=0.0, help="last fraction of iterations on MSE")
    p.add_argument("--region-weight", type=float, default=0.0, help="extra loss weight on brows/eyes/mouth")
    p.add_argument("--training-faces", type=int, default=0,
                   help="also score the first N pilot-training faces (blur path): how well it fits people it has seen")
    p.add_argument("--rescore", action="store_true", help="score the model already trained under --out/--name")
    p.add_argument("--variants", type=int, default=BENCH_CONFIG["lr_variants"], help="LR draws per face")
    return p.parse_args(argv)


def inner_split(root):
    """The training subjects' faces and rows, and the validation mask of the inner split: the
    benchmark's held-out subjects (``subject_split(table, 0.25, 0)``) are dropped, never used; 20 %
    of each database's remaining subjects (seed 1) validate."""
    hr, table = load_composite_faces(root)
    held_out = subject_split(table, 0.25, 0)
    hr_train, train_table = hr[~held_out], table[~held_out].reset_index(drop=True)
    return hr_train, train_table, subject_split(train_table, 0.2, 1)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch

    from microexp.io import atomic_write_json
    from microexp.restore import (SRConfig, image_quality, load_generator, make_pairs, train_super_resolution,
                                  upscale_bicubic, upscale_with)

    torch.set_num_threads(args.threads)
    out = Path(args.out) / args.name
    if args.rescore and not (out / "metrics.json").is_file():
        from microexp.errors import DataError

        raise DataError("no finished pilot to re-score (metrics.json is missing)", out)
    hr_train, train_table, val = inner_split(args.root)
    cfg = SRConfig.from_dict(dict(
        BENCH_CONFIG, n_features=args.nf, n_blocks=args.nb, growth=args.gc, patch_lr=args.patch,
        batch_size=args.batch, pretrain_lr=args.lr, pretrain_iters=args.iters or 10**7, arch=args.arch,
        esa_channels=args.esa, unshuffle=args.unshuffle, position=args.position, ema_decay=args.ema, l2_fraction=args.l2_fraction,
        region_weight=args.region_weight, lr_variants=args.variants,
        pretrain_minutes=None if args.iters else args.minutes, median_prob=args.median_prob,
        gan_iters=0, iters_per_epoch=1000, seed=0))
    pairs = make_pairs(hr_train[~val], cfg.lr_variants, seed=0, median_prob=cfg.median_prob)
    from microexp.restore.regions import region_masks

    names = train_table["imagename"].to_numpy()
    # landmarks are fitted where the masks are used: the validation faces (region scores) and,
    # only when the loss weights the regions, the pilot-training faces
    val_masks = region_masks(hr_train[val], names=names[val].tolist())
    if args.rescore:
        done = json.loads((out / "metrics.json").read_text())["summary"]
        last = {"iteration": done["iterations"], "minutes": done["minutes"]}
    else:
        train_masks = region_masks(hr_train[~val], names=names[~val].tolist()) if cfg.region_weight > 0 else None
        result = train_super_resolution(hr_train[~val], pairs, cfg, out / "model", resume=False,
                                        region_masks=train_masks, log=lambda m: print(m, file=sys.stderr, flush=True))
        last = result["history"][-1]
    gen, _ = load_generator(out / "model" / "generator_psnr.pt")
    faces = hr_train[val]
    summary = {"name": args.name, "iterations": last["iteration"], "minutes": last["minutes"],
               "iterations_per_minute": round(last["iteration"] / max(last["minutes"], 1e-9), 1),
               "n_val_faces": int(val.sum())}
    for path, median_prob in (("blur", 0.0), ("median", 1.0)):
        lr = make_pairs(faces, 1, seed=10**6, median_prob=median_prob)[:, 0]
        for method, sr in (("bicubic", upscale_bicubic(lr)), ("model", upscale_with(gen, lr))):
            q = image_quality(faces, sr, val_masks)
            summary[f"{path}_{method}_psnr"] = round(float(q["psnr"].mean()), 3)
            summary[f"{path}_{method}_psnr_regions"] = round(float(q["psnr_regions"].mean()), 3)
            summary[f"{path}_{method}_ssim"] = round(float(q["ssim"].mean()), 4)
            summary[f"{path}_{method}_ssim_gauss"] = round(float(q["ssim_gauss"].mean()), 4)
    if args.training_faces:
        seen = hr_train[~val][:args.training_faces]
        lr = make_pairs(seen, 1, seed=10**6, median_prob=0.0)[:, 0]
        for method, sr in (("bicubic", upscale_bicubic(lr)), ("model", upscale_with(gen, lr))):
            summary[f"training_faces_{method}_psnr"] = round(float(image_quality(seen, sr)["psnr"].mean()), 3)
    name = "metrics_rescored.json" if args.rescore else "metrics.json"
    atomic_write_json(out / name, {"settings": vars(args), "summary": summary})
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
