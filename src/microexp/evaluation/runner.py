"""Run a recogniser under a protocol, fold by fold, resumable, and write a results directory.

``RUN_DIR`` layout::

    config.yaml          the resolved configuration: ``--config RUN_DIR/config.yaml`` reproduces the run;
                         written with the first finished fold, with the run's fingerprint and identity
    inputs.json          content digests of the input files (keyed by path, size, mtime: resumes stay fast)
    folds/<key>.json     one file per finished fold (predictions); written atomically as folds finish
    epochs/<key>.json    with ``leak_meter``: the fold's test predictions after every epoch, kept apart
                         from folds/ (the honest results never read them)
    leak_meter.json      with ``leak_meter``: what choosing each test subject's best epoch would claim,
                         labelled as leaked (:mod:`.leak_meter`)
    predictions.csv      one row per test sample: dataset, subject, clip, fold, y_true, y_pred
    metrics.json         {"full": {...}, "<dataset>": {...}, "mean_over_folds": {...}, "seconds": ...}
    confusion_matrix.png

Re-running the same command on the same RUN_DIR skips folds already stored and gives identical
final numbers. The fingerprint covers the settings, the samples and folds, the content of the input
data, the content of any weights file a model starts from or votes with (``net_init``,
``init_weights``, ``frozen_nets``) and the
microexp version: a RUN_DIR made with other settings or other data is refused rather
than resumed with stale results (``overwrite`` discards it instead). A run that fails before its
first fold leaves nothing that blocks the next attempt.
"""
from __future__ import annotations

import inspect
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Optional

import numpy as np
import pandas as pd
import yaml

from ..config import ConfigModel
from ..datasets.samples import SampleTable
from ..errors import ConfigError
from ..identity import file_digest, load_digest_cache, package_version, save_digest_cache, settings_digest, table_digest
from ..io import atomic_write_json, atomic_write_text
from ..recognisers import create_estimator, get_spec, input_kind_of
from .backends import run_tasks
from .leak_meter import EPOCHS_DIR, write_leak_meter
from ..metrics import classification_report, mean_over_folds
from .protocols import Fold, make_folds


@dataclass
class EvaluationConfig(ConfigModel):
    """Settings of one evaluation run: what ``microexp evaluate --config`` reads and what a run
    writes as ``config.yaml`` (with its ``fingerprint`` and ``identity`` for the record)."""

    KIND: ClassVar[str] = "evaluation config"
    INFORMATIONAL: ClassVar[tuple[str, ...]] = ("fingerprint", "identity")

    model: str = "svm"
    protocol: str = "loso"
    seed: int = 0
    input_kind: Optional[str] = None
    model_kwargs: dict = field(default_factory=dict)
    trainer: dict = field(default_factory=dict)
    protocol_kwargs: dict = field(default_factory=dict)
    dataset: str = ""
    root: str = ""
    #: Several seeds (``seed`` … ``seed + seeds − 1``) give mean ± std; each seed is its own run.
    seeds: int = 1
    #: Laid over ``trainer`` / ``model_kwargs`` by ``--fast`` (a quick budget for checks and tests).
    fast_trainer: dict = field(default_factory=dict)
    fast_model_kwargs: dict = field(default_factory=dict)
    description: str = ""
    paper: str = ""
    #: Columns of the sample table trained as auxiliary multi-label targets (e.g. ``au:12``), with
    #: ``trainer: {aux_weight: …}``; NaN cells are unknown and masked out.
    aux_targets: list = field(default_factory=list)
    #: Record every epoch's test predictions to measure what test-set epoch selection would claim.
    leak_meter: bool = False

    def validate(self, source: str) -> None:
        if self.seeds < 1:
            raise ConfigError(f"{source}: key 'seeds' must be at least 1, got {self.seeds}")

    def with_fast_budget(self) -> "EvaluationConfig":
        """The ``fast_trainer`` / ``fast_model_kwargs`` budget laid over ``trainer`` / ``model_kwargs``
        (and then cleared, so the resolved config says what ran)."""
        return self.replace(trainer={**self.trainer, **self.fast_trainer}, fast_trainer={},
                            model_kwargs={**self.model_kwargs, **self.fast_model_kwargs}, fast_model_kwargs={})

    def resolved(self) -> "EvaluationConfig":
        spec = get_spec(self.model)
        return self.replace(model=spec.name, input_kind=self.input_kind or input_kind_of(spec.name, self.model_kwargs))

    def settings_identity(self) -> dict:
        """The settings that change a run's predictions (not where the data lies, nor notes)."""
        return {k: v for k, v in self.to_dict().items()
                if k not in ("root", "seeds", "fast_trainer", "fast_model_kwargs", "description", "paper")}


@dataclass
class EvaluationResult:
    metrics: dict
    predictions: pd.DataFrame
    out_dir: Path | None
    folds_computed: int
    folds_resumed: int


def run_identity(cfg: EvaluationConfig, table: SampleTable, folds: list[Fold], digest_cache: dict | None = None) -> dict:
    """What a run is made of: its settings, its samples and folds, the content of its input data
    (files when the table names them, else the arrays), and the microexp version."""
    samples = table.df[["subject", "clip", "y"]].astype(str).agg("|".join, axis=1).tolist()
    aux = aux_matrix(table, cfg.aux_targets)
    targets = {} if aux is None else {"aux": np.where(np.isnan(aux), -1, aux).astype(int).tolist()}
    identity = {
        "settings": settings_digest(cfg.settings_identity()),
        "samples": settings_digest({"samples": samples, "folds": [[f.name, f.test.tolist()] for f in folds],
                                    **targets}),
        "data": table_digest(table, cfg.input_kind, digest_cache),
        "microexp_version": package_version(),
    }
    weights = weight_files(cfg)
    if weights:  # a run started from saved weights is only the same run with the same weights
        identity["weights"] = {k: file_digest(v, digest_cache) for k, v in weights.items()}
    return identity


#: Settings that name a file a model reads (weights it starts from or votes with, flows it trains on):
#: its content joins the run's fingerprint.
WEIGHT_FILE_KEYS = ("net_init", "init_weights", "frozen_nets", "net_extra_flows")


def weight_files(cfg: "EvaluationConfig") -> dict[str, str]:
    """``{"model_kwargs.net_init": path, ...}``: the weights files the run's settings name."""
    from ..recognisers.ensemble import DEFAULT_WEIGHT_FILES

    found = {}
    defaults = {k: v for k, v in DEFAULT_WEIGHT_FILES.get(cfg.model, {}).items() if k not in (cfg.model_kwargs or {})}
    for section, settings in (("model_kwargs", {**defaults, **(cfg.model_kwargs or {})}), ("trainer", cfg.trainer or {})):
        for key, value in settings.items():
            if key in WEIGHT_FILE_KEYS and value:
                paths = [value] if isinstance(value, (str, Path)) else list(value)
                for i, path in enumerate(paths):
                    found[f"{section}.{key}" + (f"[{i}]" if len(paths) > 1 else "")] = str(path)
    return found


def fingerprint_of(identity: dict) -> str:
    return settings_digest(identity)[:16]


def aux_matrix(table: SampleTable, columns: list) -> np.ndarray | None:
    """(N, K) auxiliary targets from ``table.df[columns]`` (None when there are none)."""
    if not columns:
        return None
    missing = [c for c in columns if c not in table.df.columns]
    if missing:
        raise ConfigError(f"aux_targets {missing} are not columns of the sample table "
                          f"{table.name!r} (it has {[c for c in table.df.columns if ':' in str(c)] or 'none of that kind'})")
    return table.df[list(columns)].to_numpy(dtype=float)


def fit_predict_fold(data: dict, task: dict) -> dict:
    """Train on the fold's training rows only and predict its test rows (runs in a worker).

    With ``leak_meter`` the estimator also *watches* the test rows and returns their predictions
    after each epoch under ``epoch_pred``; ``pred`` is computed exactly as without it."""
    X, y, groups = data["X"], data["y"], data["groups"]
    train, test = task["train"], task["test"]
    cfg = data["config"]
    start = time.process_time()
    wall = time.perf_counter()
    est = create_estimator(cfg["model"], num_classes=data["n_classes"], seed=cfg["seed"],
                           trainer=cfg["trainer"], **cfg["model_kwargs"])
    watching = bool(cfg.get("leak_meter")) and hasattr(est, "watch")
    if watching:
        est.watch(X[test])
    if data.get("aux") is not None:
        if "aux" not in inspect.signature(est.fit).parameters:
            raise ConfigError(f"model {cfg['model']!r} cannot train auxiliary targets (aux_targets)")
        est.fit(X[train], y[train], groups[train], aux=data["aux"][train])
    else:
        est.fit(X[train], y[train], groups[train])
    pred = np.asarray(est.predict(X[test]), dtype=int)
    result = {"test": test.tolist(), "pred": pred.tolist(),
              "cpu_seconds": time.process_time() - start, "wall_seconds": time.perf_counter() - wall}
    if watching and getattr(est, "epoch_probas_", None) is not None:
        result["epoch_pred"] = np.asarray(est.epoch_probas_).argmax(axis=-1).astype(int).tolist()
    return result


def _safe_key(i: int, fold: Fold) -> str:
    return f"{i:03d}_" + "".join(c if c.isalnum() or c in "-_" else "-" for c in fold.name)


def evaluate(table: SampleTable, config: EvaluationConfig, out_dir: str | Path | None = None, *,
             backend: str = "local", jobs: int | None = None, address: str | None = None,
             progress: bool = True, overwrite: bool = False) -> EvaluationResult:
    """Evaluate ``config.model`` on ``table`` under ``config.protocol``; see the module docstring.

    A ``out_dir`` holding a run of other settings or other input data is refused, unless
    ``overwrite``, which discards its results and computes afresh.
    """
    cfg = config.resolved()
    folds = make_folds(table, cfg.protocol, **cfg.protocol_kwargs)
    out = Path(out_dir) if out_dir is not None else None
    cache = load_digest_cache(out / INPUTS_FILE) if out is not None else None
    identity = run_identity(cfg, table, folds, cache)
    fingerprint = fingerprint_of(identity)
    done: dict[str, dict] = {}
    if out is not None:
        done = _prepare_run_dir(out, identity, fingerprint, overwrite)
    keys = [_safe_key(i, f) for i, f in enumerate(folds)]
    tasks = [{"key": k, "train": f.train, "test": f.test} for k, f in zip(keys, folds) if k not in done]
    resumed = len(folds) - len(tasks)
    record_written = False

    def write_record() -> None:  # config.yaml appears with the first stored fold: a failed start leaves nothing
        nonlocal record_written
        if out is not None and not record_written:
            save_digest_cache(out / INPUTS_FILE, cache)
            cfg.save(out / "config.yaml", fingerprint=fingerprint, identity=identity)
            record_written = True

    t0 = time.perf_counter()
    if tasks:
        data = {"X": table.arrays(cfg.input_kind), "y": table.y, "groups": table.subjects,
                "n_classes": len(table.classes), "config": cfg.to_dict(), "aux": aux_matrix(table, cfg.aux_targets)}
        results = run_tasks(fit_predict_fold, data, tasks, backend=backend, jobs=jobs, address=address)
        bar = _progress(len(folds), resumed, progress)
        for key, res in results:
            epoch_pred = res.pop("epoch_pred", None)
            done[key] = res
            if out is not None:
                write_record()
                if epoch_pred is not None:  # first, so that a stored fold always has its epochs
                    atomic_write_json(out / EPOCHS_DIR / f"{key}.json",
                                      {"fingerprint": fingerprint, "test": res["test"], "epoch_pred": epoch_pred})
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
        write_record()
        _write_outputs(out, predictions, metrics, table.classes)
        if cfg.leak_meter:
            write_leak_meter(out, table, folds, keys, fingerprint, metrics)
    return EvaluationResult(metrics, predictions, out, len(tasks), resumed)


def _progress(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="folds", unit="fold", disable=not enabled, leave=False)


#: Beside config.yaml: digests of the run's input files, keyed by path, size and mtime.
INPUTS_FILE = "inputs.json"
#: What a run directory holds besides config.yaml (removed by ``overwrite``).
RESULT_FILES = ("predictions.csv", "metrics.json", "confusion_matrix.png", INPUTS_FILE, "leak_meter.json")


def _describe_change(old: dict, new: dict) -> str:
    names = {"settings": "settings", "samples": "samples or folds", "data": "input data",
             "weights": "weights or flow files", "microexp_version": "a microexp version"}
    changed = [names[k] for k in names if old.get(k) != new.get(k)]
    return " and ".join(changed) or "settings (another fingerprint)"


def _prepare_run_dir(out: Path, identity: dict, fingerprint: str, overwrite: bool) -> dict[str, dict]:
    """Finished folds of the same run in ``out`` (see :func:`evaluate`)."""
    cfg_path = out / "config.yaml"
    stored = sorted((out / "folds").glob("*.json"))
    if cfg_path.exists():
        try:
            old = yaml.safe_load(cfg_path.read_text()) or {}
        except yaml.YAMLError:
            old = {}
        if not isinstance(old, dict):
            old = {}
        if old.get("fingerprint") != fingerprint:
            has_results = bool(stored) or (out / "metrics.json").exists()
            if has_results and not overwrite:
                what = _describe_change(old.get("identity") or {}, identity)
                raise ConfigError(f"{out}: holds a run made with other {what} "
                                  f"(fingerprint {old.get('fingerprint')} ≠ {fingerprint}); its results would be "
                                  "stale. Use a new --out, or --overwrite to discard them and compute afresh")
            for p in [*stored, *(out / EPOCHS_DIR).glob("*.json")]:
                p.unlink()
            for name in RESULT_FILES:
                (out / name).unlink(missing_ok=True)
            cfg_path.unlink()
            for sub in ("folds", EPOCHS_DIR):
                if (out / sub).is_dir() and not any((out / sub).iterdir()):
                    shutil.rmtree(out / sub, ignore_errors=True)
            return {}
    done = {}
    for p in stored:
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
    from .plots import plot_confusion_matrix

    atomic_write_text(out / "predictions.csv", predictions.to_csv(index=False))
    plot_confusion_matrix(np.array(metrics["full"]["confusion_matrix"]), classes, out / "confusion_matrix.png",
                          title=f"UF1 {metrics['full']['uf1']:.3f}  UAR {metrics['full']['uar']:.3f}")
    atomic_write_json(out / "metrics.json", metrics)
