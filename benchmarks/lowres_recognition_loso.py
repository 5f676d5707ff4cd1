"""Paper 000's question under leave-one-subject-out: does super-resolution give back what low
resolution takes from recognising the apex face?

The same recogniser (paper 000's small CNN, ``smallcnn``, as in ``lowres_recognition.py``) is run
under the full LOSO of the MEGC2019 composite (68 folds, pooled UF1 / UAR) once per kind of face:

* ``hr``     the 128×128 apex faces;
* ``lr``     paper 000's degradation (``restore.degrade``, median blur drawn with
             probability 1/2, one draw per face) → 32×32, then bicubic back to 128×128;
* ``rrdb``   the same 32×32 faces super-resolved by an L1-trained RRDBNet;
* ``esrgan`` ... by its ESRGAN fine-tuned generator.

No super-resolution network may have seen the test subject, and a GAN is fitted on training
data only, so one network per fold would be needed. Instead, three networks are trained, each
*without one source database* (``sr_models/without_<db>``): every fold whose test subject comes
from database D, its training faces and its test faces alike, uses the network trained without
D. That network was fitted on a subset of the fold's training subjects and never saw the test
subject; the folds of one database share it. The 68 folds are run database by database
(``loso`` with ``test_datasets=[D]``) and pooled. The networks are iteration-capped (not
wall-clock-capped), so a run is deterministic whatever else shares the machine.

Faces are shrunk to ``--input-size`` (area interpolation) before the CNN; fixed epoch budget; every
fold trains on the other 67 subjects only. Folds are resumable (``microexp.evaluation.evaluate``).
Also reported: paired differences of the pooled UF1 between conditions with a 95 % bootstrap
interval over test subjects (the same subjects resampled for both conditions).

    python benchmarks/lowres_recognition_loso.py --root ../shared/data/megc2019 --jobs 2

Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from microexp.datasets.shared_data import shared_data_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lowres_recognition import shrink  # noqa: E402
from super_resolution import BENCH_CONFIG, EVAL_SEED_OFFSET  # noqa: E402

#: The per-database super-resolution networks: the benchmark's RRDBNet, capped in iterations.
# trained on paper 000's mixed degradation (median blur with probability 1/2), as the LR faces here are drawn
SR_CONFIG = dict(BENCH_CONFIG, pretrain_iters=6000, pretrain_minutes=None, gan_iters=600, gan_minutes=None,
                 median_prob=None)
SR_FAST = dict(SR_CONFIG, n_features=8, growth=8, n_blocks=1, d_features=8, pretrain_iters=4, gan_iters=2,
               iters_per_epoch=2, lr_variants=1)
#: The recogniser (as in lowres_recognition.py).
TRAINER = {"epochs": 40, "batch_size": 32, "lr": 1e-3, "threads": 1}
CONDITIONS = ("hr", "lr", "rrdb", "esrgan")
SR_FILES = {"rrdb": "generator_psnr.pt", "esrgan": "generator_gan.pt"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=str(shared_data_path("megc2019")),
                   help="MEGC2019 composite folder (default: $MICROEXP_SHARED_DATA/megc2019 or ../shared/data/megc2019)")
    p.add_argument("--out", default="runs/lowres_recognition_loso")
    p.add_argument("--seed", type=int, default=0, help="seed of the degradations, the SR networks and the CNN")
    p.add_argument("--epochs", type=int, default=TRAINER["epochs"])
    p.add_argument("--input-size", type=int, default=64)
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    p.add_argument("--jobs", type=int, default=None, help="parallel folds (default: one per core)")
    p.add_argument("--sr-threads", type=int, default=1, help="torch threads for the SR networks")
    p.add_argument("--bootstrap", type=int, default=2000, help="subject resamples for the paired intervals")
    p.add_argument("--fast", action="store_true", help="tiny networks, 1 epoch: a smoke test")
    return p.parse_args(argv)


def face_table(table, faces: np.ndarray):
    """A copy of ``table`` whose ``face`` arrays are ``faces`` (row-aligned)."""
    from microexp.datasets.samples import SampleTable

    arrays = np.ascontiguousarray(faces)
    return SampleTable(table.df.copy(), table.classes, {"face": lambda row, i: arrays[i]}, name=table.name)


def train_sr_without(dataset: str, hr: np.ndarray, datasets: np.ndarray, settings: dict, seed: int,
                     out_dir: Path, threads: int) -> Path:
    """Train (or resume / reuse) the SR networks on the faces of every database but ``dataset``."""
    import torch

    from microexp.errors import ConfigError
    from microexp.restore import SRConfig, make_pairs, train_super_resolution

    cfg = SRConfig.from_dict({**settings, "seed": seed})
    stored = out_dir / "config.json"
    if stored.is_file() and json.loads(stored.read_text()) != cfg.to_dict():
        raise ConfigError(f"{out_dir} holds SR networks trained with other settings; use a new --out")
    if (out_dir / "generator_gan.pt").is_file() and (out_dir / "generator_psnr.pt").is_file():
        return out_dir
    keep = datasets != dataset
    torch.set_num_threads(threads)
    lr_pairs = make_pairs(hr[keep], cfg.lr_variants, seed=seed, median_prob=cfg.median_prob)
    train_super_resolution(hr[keep], lr_pairs, cfg, out_dir,
                           log=lambda m: print(f"[sr without {dataset}] {m}", file=sys.stderr, flush=True))
    return out_dir


def paired_bootstrap(pred_a, pred_b, y, subjects, classes, n: int, seed: int) -> dict:
    """Pooled-UF1 difference a − b and its 95 % interval, resampling test subjects with replacement
    (``microexp.evaluation.paired.paired_subject_bootstrap`` with one seed per condition)."""
    from microexp.evaluation.paired import paired_subject_bootstrap

    r = paired_subject_bootstrap(pred_a, pred_b, y, subjects, len(classes), n_resamples=n, seed=seed)
    return {"uf1_difference": r["uf1_difference"], "ci95": r["uf1_ci95"],
            "both_correct": int(((pred_a == y) & (pred_b == y)).sum()),
            "only_first_correct": r["only_first_correct"], "only_second_correct": r["only_second_correct"]}


def main(argv=None) -> dict:
    args = parse_args(argv)
    import pandas as pd
    import yaml

    from microexp.datasets.megc2019 import load_megc2019
    from microexp.evaluation import EvaluationConfig, evaluate
    from microexp.evaluation.runner import summarise
    from microexp.io import atomic_write_json, atomic_write_text
    from microexp.restore import load_generator, make_pairs, resize_face, upscale_bicubic, upscale_with

    started = time.monotonic()
    out = Path(args.out)
    sr_settings = SR_FAST if args.fast else SR_CONFIG
    epochs = 1 if args.fast else args.epochs
    trainer = dict(TRAINER, epochs=epochs)
    model_kwargs = {"in_channels": 3, "input_size": None, "width": args.width}
    atomic_write_text(out / "config.yaml", yaml.safe_dump(
        {**vars(args), "model": "smallcnn", "trainer": trainer, "model_kwargs": model_kwargs, "sr": sr_settings,
         "protocol": "LOSO (68 folds), run database by database; SR networks trained without the test database"},
        sort_keys=False))

    table = load_megc2019(args.root)
    hr = np.stack([resize_face(f, 128) for f in table.arrays("face")])
    datasets = table.datasets.astype(str)
    databases = sorted(str(d) for d in set(datasets))
    lr = make_pairs(hr, 1, seed=args.seed + EVAL_SEED_OFFSET)[:, 0]   # one degradation per face
    y, subjects, classes = table.y, table.subjects, table.classes

    def run(name: str, faces: np.ndarray, test_datasets=None, sub: str = ""):
        cfg = EvaluationConfig(model="smallcnn", protocol="loso", seed=args.seed, input_kind="face",
                               model_kwargs=model_kwargs, trainer=trainer,
                               protocol_kwargs={} if test_datasets is None else {"test_datasets": test_datasets},
                               dataset="megc2019", root=str(args.root))
        res = evaluate(face_table(table, shrink(faces, args.input_size)), cfg, out / "conditions" / name / sub,
                       jobs=args.jobs, progress=False)
        print(f"{name}{'/' + sub if sub else ''}: {res.folds_computed} folds run, {res.folds_resumed} resumed "
              f"({(time.monotonic() - started) / 60:.1f} min)", file=sys.stderr, flush=True)
        return res

    predictions, cpu_minutes = {}, {}
    for name in args.conditions:
        if name in ("hr", "lr"):
            res = run(name, hr if name == "hr" else upscale_bicubic(lr))
            frame, cpu = res.predictions, res.metrics["cpu_seconds_in_folds"]
        else:
            parts, cpu = [], 0.0
            for db in databases:
                model_dir = train_sr_without(db, hr, datasets, sr_settings, args.seed,
                                             out / "sr_models" / f"without_{db}", args.sr_threads)
                generator = load_generator(model_dir / SR_FILES[name])[0]
                res = run(name, upscale_with(generator, lr), [db], sub=db)
                parts.append(res.predictions)
                cpu += res.metrics["cpu_seconds_in_folds"]
            frame = pd.concat(parts).sort_values("index").reset_index(drop=True)
        predictions[name] = frame
        cpu_minutes[name] = cpu / 60.0

    results = {name: summarise(frame, classes) for name, frame in predictions.items()}
    for name in results:
        results[name]["cpu_minutes_in_folds"] = round(cpu_minutes[name], 2)
    order = predictions[args.conditions[0]]["index"].to_numpy()
    y_true = y[order]
    test_subjects = subjects[order]
    comparisons = {}
    for a, b in (("hr", "lr"), ("rrdb", "lr"), ("esrgan", "lr"), ("hr", "rrdb"), ("hr", "esrgan")):
        if a in predictions and b in predictions:
            comparisons[f"{a}_minus_{b}"] = paired_bootstrap(
                predictions[a]["y_pred"].to_numpy(), predictions[b]["y_pred"].to_numpy(), y_true, test_subjects,
                classes, args.bootstrap, args.seed)
    rows = {"index": order, "dataset": datasets[order], "subject": test_subjects, "y_true": y_true}
    rows.update({f"{name}_pred": frame["y_pred"].to_numpy() for name, frame in predictions.items()})
    atomic_write_text(out / "predictions.csv", pd.DataFrame(rows).to_csv(index=False))

    summary = {f"{name}_{k}": results[name]["full"][k] for name in results for k in ("uf1", "uar")}
    summary.update({f"{c}_uf1_ci95": comparisons[c]["ci95"] for c in comparisons})
    summary.update(n_samples=int(len(y)), folds=int(len(np.unique(subjects))), epochs=epochs,
                   minutes=round((time.monotonic() - started) / 60.0, 2))
    atomic_write_json(out / "metrics.json", {"summary": summary, "per_condition": results,
                                             "paired_uf1_differences": comparisons})
    header = "| faces | full UF1 | full UAR | " + " | ".join(f"{d} UF1 | {d} UAR" for d in databases) + " | CPU min |\n"
    table_md = header + "|" + "---|" * (4 + 2 * len(databases)) + "\n" + "".join(
        f"| {name} | {r['full']['uf1']:.4f} | {r['full']['uar']:.4f} | "
        + " | ".join(f"{r[d]['uf1']:.4f} | {r[d]['uar']:.4f}" for d in databases)
        + f" | {r['cpu_minutes_in_folds']:.1f} |\n" for name, r in results.items())
    table_md += ("\n| paired UF1 difference | point | 95 % interval (subjects resampled) | only first correct "
                 "| only second correct |\n|---|---|---|---|---|\n")
    table_md += "".join(f"| {c.replace('_minus_', ' − ')} | {v['uf1_difference']:+.4f} | "
                        f"[{v['ci95'][0]:+.4f}, {v['ci95'][1]:+.4f}] | {v['only_first_correct']} | "
                        f"{v['only_second_correct']} |\n" for c, v in comparisons.items())
    atomic_write_text(out / "table.md", table_md)
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in summary.items()}))
    return summary


if __name__ == "__main__":
    main()
