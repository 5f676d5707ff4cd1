"""Paper 000's question: does super-resolution give back what low resolution takes from recognition?

The same recogniser (paper 000's small CNN, model ``smallcnn``) is trained and tested three or
four times on the MEGC2019 composite apex faces (3 classes), once per kind of face:

* ``hr``     the 128×128 faces;
* ``lr``     ``degrade`` → 32×32, then bicubic back to 128×128;
* ``rrdb``   the same LR faces super-resolved by the L1-trained RRDBNet of ``super_resolution.py``;
* ``esrgan`` the same LR faces super-resolved by its ESRGAN fine-tuned generator;
* ``efficient`` the same LR faces super-resolved by its efficient (RLFN-style) PSNR model.

Protocol (reduced, and stated as such): the subject split of ``super_resolution.py`` (same
``--seed`` and ``--test-fraction``); the recogniser is trained on the training subjects' faces
and tested on the held-out subjects' faces. The super-resolution models were trained on the
training subjects only, so no test subject's face was ever seen by either network. The full
LOSO version, with super-resolution networks trained without the test subject's database, is
``lowres_recognition_loso.py``. The LR faces are one draw of paper 000's random degradation
(median blur with probability 1/2), so ``--sr-run`` must come from ``super_resolution.py
--median-prob 0.5`` (checked); ``--lr-median-prob 0`` draws them on the blur path instead, for a run
trained on it (the benchmark's default, also checked). Faces are
shrunk to ``--input-size`` (area interpolation) before the CNN. Fixed epoch budget, no early
stopping, no look at test faces. Ends with one JSON line.

    python benchmarks/super_resolution.py --root ../shared/data/megc2019 --median-prob 0.5 --out runs/super_resolution_mixed
    python benchmarks/lowres_recognition.py --root ../shared/data/megc2019 --sr-run runs/super_resolution_mixed
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from microexp.datasets.shared_data import shared_data_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from super_resolution import EVAL_SEED_OFFSET, load_composite_faces, subject_split  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=str(shared_data_path("megc2019")),
                   help="MEGC2019 composite folder (default: $MICROEXP_SHARED_DATA/megc2019 or ../shared/data/megc2019)")
    p.add_argument("--sr-run", default="runs/super_resolution_mixed", help="output folder of super_resolution.py")
    p.add_argument("--out", default="runs/lowres_recognition")
    p.add_argument("--seed", type=int, default=0, help="seed of the subject split (must match --sr-run)")
    p.add_argument("--test-fraction", type=float, default=0.25)
    p.add_argument("--cnn-seeds", type=int, nargs="+", default=[0, 1, 2], help="recogniser seeds (results averaged)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--input-size", type=int, default=64)
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--conditions", nargs="+", default=["hr", "lr", "rrdb", "esrgan", "efficient"],
                   choices=["hr", "lr", "rrdb", "esrgan", "efficient"])
    p.add_argument("--lr-median-prob", type=float, default=None,
                   help="chance of the median blur in the LR faces (default: paper 000's 1/2); the SR run must "
                        "have been trained with the same")
    p.add_argument("--fast", action="store_true", help="2 epochs, 1 seed: a smoke test")
    return p.parse_args(argv)


def check_sr_run_degradation(sr_run: Path, lr_median_prob: float | None = None) -> None:
    """The LR faces here are drawn with ``lr_median_prob`` (default: paper 000's random mix, median
    blur with probability 1/2); refuse SR networks trained on another mix."""
    import yaml

    from microexp.errors import ProtocolError
    from microexp.restore.degradation import median_chance

    config = sr_run / "config.yaml"
    if not config.is_file():
        raise ProtocolError(f"{config}: missing; run benchmarks/super_resolution.py first")
    trained = median_chance((yaml.safe_load(config.read_text()) or {}).get("sr", {}).get("median_prob"))
    wanted = median_chance(lr_median_prob)
    if trained != wanted:
        raise ProtocolError(f"{config}: its networks were trained with median_prob {trained}, but the LR faces "
                            f"here are drawn with {wanted}; use a run of super_resolution.py --median-prob "
                            f"{wanted}, or --lr-median-prob {trained}")


def shrink(faces: np.ndarray, size: int) -> np.ndarray:
    import cv2

    if faces.shape[1] == size:
        return faces
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in faces])


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.fast:
        args.epochs, args.cnn_seeds = 2, [0]
    import pandas as pd
    import torch
    import yaml

    from microexp.errors import ProtocolError
    from microexp.metrics import classification_report
    from microexp.io import atomic_write_json, atomic_write_text
    from microexp.recognisers import create_estimator
    from microexp.restore import load_generator, make_pairs, upscale_bicubic, upscale_with

    torch.set_num_threads(1)
    started = time.monotonic()
    out, sr_run = Path(args.out), Path(args.sr_run)
    hr, table = load_composite_faces(args.root)
    test = subject_split(table, args.test_fraction, args.seed)
    check_sr_run_degradation(sr_run, args.lr_median_prob)
    split_file = sr_run / "split.json"
    if not split_file.is_file():
        raise ProtocolError(f"{split_file}: missing; run benchmarks/super_resolution.py first")
    sr_test_subjects = json.loads(split_file.read_text())["test_subjects"]
    if sorted(table.loc[test, "subject"].unique()) != sorted(sr_test_subjects):
        raise ProtocolError(f"{split_file}: its held-out subjects differ from this split (--seed / --test-fraction)")

    lr = make_pairs(hr, 1, seed=args.seed + EVAL_SEED_OFFSET, median_prob=args.lr_median_prob)[:, 0]
    sources = {"hr": None, "lr": None, "rrdb": sr_run / "model" / "generator_psnr.pt",
               "esrgan": sr_run / "model" / "generator_gan.pt",
               "efficient": sr_run / "efficient" / "generator_psnr.pt"}
    y = table["label"].to_numpy().astype(int)
    groups = table["subject"].to_numpy()
    classes = ["negative", "positive", "surprise"]
    trainer = {"epochs": args.epochs, "batch_size": 32, "lr": 1e-3, "threads": 1}
    model_kwargs = {"in_channels": 3, "input_size": None, "width": args.width}
    atomic_write_text(out / "config.yaml", yaml.safe_dump(
        {**vars(args), "model": "smallcnn", "trainer": trainer, "model_kwargs": model_kwargs,
         "protocol": "subject hold-out of super_resolution.py"}, sort_keys=False))

    results, predictions = {}, {"dataset": table.loc[test, "dataset"].to_numpy(),
                                "subject": groups[test], "y_true": y[test]}
    for name in args.conditions:
        source = sources[name]
        if source is not None and not source.is_file():
            print(f"{name}: {source} is missing, skipped", file=sys.stderr)
            continue
        # A finished condition is stored with everything that defines it and reused when unchanged.
        ident = {"lr_median_prob": args.lr_median_prob, "epochs": args.epochs, "seeds": list(args.cnn_seeds),
                 "input_size": args.input_size, "width": args.width, "seed": args.seed, "test_fraction": args.test_fraction,
                 "trainer": trainer, "model_kwargs": model_kwargs,
                 "generator_sha256": None if source is None else hashlib.sha256(source.read_bytes()).hexdigest()}
        cache = out / "conditions" / f"{name}.json"
        if cache.is_file() and json.loads(cache.read_text()).get("ident") == ident:
            stored = json.loads(cache.read_text())
            results[name] = stored["result"]
            predictions.update({k: np.asarray(v) for k, v in stored["predictions"].items()})
            print(f"{name}: reused {cache}", file=sys.stderr)
            continue
        if name == "hr":
            X = hr
        elif name == "lr":
            X = upscale_bicubic(lr)
        else:
            X = upscale_with(load_generator(source)[0], lr)
        X = shrink(X, args.input_size)
        per_seed = []
        for seed in args.cnn_seeds:
            est = create_estimator("smallcnn", num_classes=len(classes), seed=seed, trainer=trainer, **model_kwargs)
            est.fit(X[~test], y[~test], groups[~test])
            pred = np.asarray(est.predict(X[test]), dtype=int)
            per_seed.append(classification_report(y[test], pred, classes))
            predictions[f"{name}_seed{seed}"] = pred
        results[name] = {"uf1": float(np.mean([r["uf1"] for r in per_seed])),
                         "uar": float(np.mean([r["uar"] for r in per_seed])),
                         "uf1_per_seed": [r["uf1"] for r in per_seed], "uar_per_seed": [r["uar"] for r in per_seed],
                         "reports": per_seed}
        atomic_write_json(cache, {"ident": ident, "result": results[name],
                                  "predictions": {k: v for k, v in predictions.items() if k.startswith(name + "_")}})
        print(f"{name}: UF1 {results[name]['uf1']:.4f} UAR {results[name]['uar']:.4f} "
              f"({(time.monotonic() - started) / 60:.1f} min)", file=sys.stderr, flush=True)
    atomic_write_text(out / "predictions.csv", pd.DataFrame(predictions).to_csv(index=False))
    summary = {f"{name}_{k}": results[name][k] for name in results for k in ("uf1", "uar")}
    summary.update(n_train=int((~test).sum()), n_test=int(test.sum()), epochs=args.epochs,
                   cnn_seeds=len(args.cnn_seeds), minutes=round((time.monotonic() - started) / 60.0, 2))
    atomic_write_json(out / "metrics.json", {"summary": summary, "per_condition": results})
    table_md = "| faces | UF1 | UAR |\n|---|---|---|\n" + "".join(
        f"| {name} | {results[name]['uf1']:.4f} | {results[name]['uar']:.4f} |\n" for name in results)
    atomic_write_text(out / "table.md", table_md)
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}))
    return summary


if __name__ == "__main__":
    main()
