"""Run a recogniser under a protocol, fold by fold, resumable, and write a results directory.

``RUN_DIR`` layout::

    config.yaml          the resolved configuration (what to pass to reproduce the run)
    folds/<key>.json     one file per finished fold (predictions); written atomically as folds finish
    predictions.csv      one row per test sample: dataset, subject, clip, fold, y_true, y_pred
    metrics.json         {"full": {...}, "<dataset>": {...}, "mean_over_folds": {...}, "seconds": ...}
    confusion_matrix.png

Re-running the same command on the same RUN_DIR skips folds already stored and gives identical
final numbers; a RUN_DIR made with another configuration is refused rather than mixed.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..datasets.samples import SampleTable
from ..errors import ConfigError
from ..io import atomic_write_json, atomic_write_text, plain, yaml_text
from ..recognisers import create_estimator, get_spec, input_kind_of
from .backends import run_tasks
from .metrics import classification_report, mean_over_folds
from .protocols import Fold, make_folds


@dataclass
class EvaluationConfig:
    model: str
    protocol: str = "loso"
    seed: int = 0
    input_kind: str | None = None
    model_kwargs: dict = field(default_factory=dict)
    trainer: dict = field(default_factory=dict)
    protocol_kwargs: dict = field(default_factory=dict)
    dataset: str = ""
    root: str = ""

    def resolved(self) -> "EvaluationConfig":
        spec = get_spec(self.model)
        return EvaluationConfig(**{**asdict(self), "model": spec.name,
                                   "input_kind": self.input_kind or input_kind_of(spec.name, self.model_kwargs)})


@dataclass
class EvaluationResult:
    metrics: dict
    predictions: pd.DataFrame
    out_dir: Path | None
    folds_computed: int
    folds_resumed: int


def _fingerprint(cfg: EvaluationConfig, table: SampleTable, folds: list[Fold]) -> str:
    ident = {
        "config": {k: v for k, v in asdict(cfg).items() if k not in ("root",)},
        "samples": table.df[["subject", "clip", "y"]].astype(str).agg("|".join, axis=1).tolist(),
        "folds": [[f.name, f.test.tolist()] for f in folds],
    }
    # plain(): an augmenter in the trainer config enters with its whole description, not its repr
    return hashlib.sha256(json.dumps(plain(ident), sort_keys=True, default=str).encode()).hexdigest()[:16]


def fit_predict_fold(data: dict, task: dict) -> dict:
    """Train on the fold's training rows only and predict its test rows (runs in a worker)."""
    X, y, groups = data["X"], data["y"], data["groups"]
    train, test = task["train"], task["test"]
    cfg = data["config"]
    start = time.process_time()
    wall = time.perf_counter()
    est = create_estimator(cfg["model"], num_classes=data["n_classes"], seed=cfg["seed"],
                           trainer=cfg["trainer"], **cfg["model_kwargs"])
    est.fit(X[train], y[train], groups[train])
    pred = np.asarray(est.predict(X[test]), dtype=int)
    return {"test": test.tolist(), "pred": pred.tolist(),
            "cpu_seconds": time.process_time() - start, "wall_seconds": time.perf_counter() - wall}


def _safe_key(i: int, fold: Fold) -> str:
    return f"{i:03d}_" + "".join(c if c.isalnum() or c in "-_" else "-" for c in fold.name)


def evaluate(table: SampleTable, config: EvaluationConfig, out_dir: str | Path | None = None, *,
             backend: str = "local", jobs: int | None = None, address: str | None = None,
             progress: bool = True) -> EvaluationResult:
    """Evaluate ``config.model`` on ``table`` under ``config.protocol``; see the module docstring."""
    cfg = config.resolved()
    folds = make_folds(table, cfg.protocol, **cfg.protocol_kwargs)
    fingerprint = _fingerprint(cfg, table, folds)
    out = Path(out_dir) if out_dir is not None else None
    done: dict[str, dict] = {}
    if out is not None:
        done = _prepare_run_dir(out, cfg, fingerprint)
    keys = [_safe_key(i, f) for i, f in enumerate(folds)]
    tasks = [{"key": k, "train": f.train, "test": f.test} for k, f in zip(keys, folds) if k not in done]
    resumed = len(folds) - len(tasks)

    t0 = time.perf_counter()
    if tasks:
        data = {"X": table.arrays(cfg.input_kind), "y": table.y, "groups": table.subjects,
                "n_classes": len(table.classes), "config": asdict(cfg)}
        results = run_tasks(fit_predict_fold, data, tasks, backend=backend, jobs=jobs, address=address)
        bar = _progress(len(folds), resumed, progress)
        for key, res in results:
            done[key] = res
            if out is not None:
                atomic_write_json(out / "folds" / f"{key}.json", {"fingerprint": fingerprint, **res})
            bar.update(1)
        bar.close()
    elapsed = time.perf_counter() - t0

    predictions = _predictions_frame(table, folds, keys, done)
    metrics = summarise(predictions, table.classes)
    metrics["seconds"] = round(elapsed, 3)
    metrics["cpu_seconds_in_folds"] = round(sum(done[k]["cpu_seconds"] for k in keys), 3)
    metrics["folds"] = len(folds)
    metrics["folds_resumed"] = resumed
    if out is not None:
        _write_outputs(out, predictions, metrics, table.classes)
    return EvaluationResult(metrics, predictions, out, len(tasks), resumed)


def _progress(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="folds", unit="fold", disable=not enabled, leave=False)


def _prepare_run_dir(out: Path, cfg: EvaluationConfig, fingerprint: str) -> dict[str, dict]:
    cfg_path = out / "config.yaml"
    resolved = {**asdict(cfg), "fingerprint": fingerprint}
    if cfg_path.exists():
        old = yaml.safe_load(cfg_path.read_text()) or {}
        if old.get("fingerprint") != fingerprint:
            raise ConfigError(f"{out} holds a run with another configuration or data "
                              f"(fingerprint {old.get('fingerprint')} ≠ {fingerprint}); use a new --out")
    else:
        atomic_write_text(cfg_path, yaml_text(resolved))
    done = {}
    for p in sorted((out / "folds").glob("*.json")):
        try:
            rec = json.loads(p.read_text())
        except json.JSONDecodeError:
            continue  # cannot happen with atomic writes; a foreign file is simply recomputed
        if rec.get("fingerprint") == fingerprint:
            done[p.stem] = rec
    return done


def _predictions_frame(table: SampleTable, folds: list[Fold], keys: list[str], done: dict) -> pd.DataFrame:
    rows = []
    for fold, key in zip(folds, keys):
        res = done[key]
        for idx, pred in zip(res["test"], res["pred"]):
            r = table.df.iloc[idx]
            rows.append({"index": idx, "dataset": r["dataset"], "subject": r["subject"], "clip": r["clip"],
                         "fold": fold.name, "y_true": int(r["y"]), "y_pred": int(pred),
                         "label_true": table.classes[int(r["y"])], "label_pred": table.classes[int(pred)]})
    return pd.DataFrame(rows).sort_values("index").reset_index(drop=True)


def summarise(predictions: pd.DataFrame, classes) -> dict:
    """Pooled metrics for the full table and per source database, plus the mean-over-folds variant."""
    y, p = predictions["y_true"].to_numpy(), predictions["y_pred"].to_numpy()
    metrics = {"full": classification_report(y, p, classes)}
    for ds, part in predictions.groupby("dataset", sort=True):
        metrics[str(ds)] = classification_report(part["y_true"].to_numpy(), part["y_pred"].to_numpy(), classes)
    metrics["mean_over_folds"] = mean_over_folds(y, p, predictions["fold"].to_numpy(), len(classes))
    return metrics


def _write_outputs(out: Path, predictions: pd.DataFrame, metrics: dict, classes) -> None:
    from ..report.plots import plot_confusion_matrix

    atomic_write_text(out / "predictions.csv", predictions.to_csv(index=False))
    plot_confusion_matrix(np.array(metrics["full"]["confusion_matrix"]), classes, out / "confusion_matrix.png",
                          title=f"UF1 {metrics['full']['uf1']:.3f}  UAR {metrics['full']['uar']:.3f}")
    atomic_write_json(out / "metrics.json", metrics)
