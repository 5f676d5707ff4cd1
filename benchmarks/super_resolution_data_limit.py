"""How much more can the composite's faces give a super-resolution network? On the TRAINING subjects only.

The benchmark's held-out subjects (``subject_split(table, 0.25, 0)``) are set aside untouched; the
rest are split again (20 % of each database's subjects, seed 1) into pilot-training and validation
faces, as in ``super_resolution_pilot.py``. One efficient generator (4×32, lr 2e-3, fixed
iterations, blur path) is trained on a variant of the pilot-training faces and scored on the
validation faces, plain and with the ×8 self-ensemble:

* ``all``: every pilot-training face;
* ``frac0.5`` / ``frac0.25`` (any ``fracX``): the faces of a seeded random fraction of the
  pilot-training subjects (a learning curve in people);
* ``perm``: every face plus its five other RGB channel orders;
* ``scale``: every face plus rescales of the 224-pixel originals to 144 and 160 pixels, five
  128-pixel crops each (centre and corners).

    python benchmarks/super_resolution_data_limit.py --variant frac0.5 --iters 3000

Ends with one JSON line (faces trained on, PSNR / SSIM of bicubic, the model and its self-ensemble).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from microexp.datasets.shared_data import shared_data_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from super_resolution import BENCH_CONFIG, load_composite_faces, subject_split  # noqa: E402
from super_resolution_pilot import inner_split  # noqa: E402

#: The other five orders of the RGB channels.
CHANNEL_ORDERS = [(0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
#: Sizes the 224-pixel originals are rescaled to before 128-pixel crops are cut.
RESCALES = (144, 160)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=str(shared_data_path("megc2019")),
                   help="MEGC2019 composite folder (default: $MICROEXP_SHARED_DATA/megc2019 or ../shared/data/megc2019)")
    p.add_argument("--variant", default="all", help="all | fracX (e.g. frac0.5) | perm | scale")
    p.add_argument("--iters", type=int, default=3000)
    p.add_argument("--nf", type=int, default=32)
    p.add_argument("--nb", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="runs/super_resolution_data_limit")
    return p.parse_args(argv)


def training_faces(variant: str, faces: np.ndarray, table, originals: np.ndarray | None) -> np.ndarray:
    """The pilot-training faces of ``variant`` (see the module docstring)."""
    import cv2

    from microexp.errors import ConfigError

    if variant == "all":
        return faces
    if variant.startswith("frac"):
        try:
            frac = float(variant[4:])
        except ValueError as exc:
            raise ConfigError(f"--variant {variant!r}: expected fracX with X a number") from exc
        subjects = sorted(table["subject"].unique())
        rng = np.random.default_rng(5)
        keep = set(rng.choice(subjects, size=max(1, int(round(frac * len(subjects)))), replace=False).tolist())
        return faces[table["subject"].isin(keep).to_numpy()]
    extra = []
    if variant == "scale":
        for size in RESCALES:
            offset = size - 128
            for face in originals:
                big = cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA)
                for y, x in ((offset // 2, offset // 2), (0, 0), (0, offset), (offset, 0), (offset, offset)):
                    extra.append(big[y:y + 128, x:x + 128])
    elif variant == "perm":
        for order in CHANNEL_ORDERS:
            extra.extend(faces[..., order])
    else:
        raise ConfigError(f"unknown --variant {variant!r}: all, fracX, perm or scale")
    return np.concatenate([faces, np.stack(extra)])


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch

    from microexp.io import atomic_write_json
    from microexp.restore import (SRConfig, image_quality, load_generator, make_pairs, train_super_resolution,
                                  upscale_bicubic, upscale_with)

    torch.set_num_threads(args.threads)
    hr_train, train_table, val = inner_split(args.root)
    originals = None
    if args.variant == "scale":  # the same faces at 224 pixels, held-out subjects dropped the same way
        big, table = load_composite_faces(args.root, size=224)
        originals = big[~subject_split(table, 0.25, 0)][~val]
    train = training_faces(args.variant, hr_train[~val], train_table[~val].reset_index(drop=True), originals)
    cfg = SRConfig.from_dict(dict(BENCH_CONFIG, arch="rlfn", n_features=args.nf, n_blocks=args.nb, esa_channels=16,
                                  patch_lr=16, batch_size=16, pretrain_lr=2e-3, pretrain_iters=args.iters,
                                  pretrain_minutes=None, gan_iters=0, iters_per_epoch=1000, seed=0,
                                  median_prob=0.0, lr_variants=1))
    out = Path(args.out) / f"{args.variant}_{args.nb}x{args.nf}_{args.iters}"
    pairs = make_pairs(train, 1, seed=0, median_prob=0.0)
    result = train_super_resolution(train, pairs, cfg, out / "model", resume=False, log=lambda m: None)
    gen, _ = load_generator(out / "model" / "generator_psnr.pt")
    faces = hr_train[val]
    lr = make_pairs(faces, 1, seed=10**6, median_prob=0.0)[:, 0]
    summary = {"variant": args.variant, "n_train_faces": int(len(train)), "iterations": args.iters,
               "minutes": result["history"][-1]["minutes"]}
    for name, sr in (("bicubic", upscale_bicubic(lr)), ("model", upscale_with(gen, lr)),
                     ("model_se8", upscale_with(gen, lr, self_ensemble=8))):
        q = image_quality(faces, sr)
        summary[f"{name}_psnr"] = round(float(q["psnr"].mean()), 3)
        summary[f"{name}_ssim"] = round(float(q["ssim"].mean()), 4)
    atomic_write_json(out / "metrics.json", {"settings": vars(args), "summary": summary})
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
