"""Action-unit detection under a subject-aware protocol, beside two baselines, with a results directory.

Samples are the rows of a table with ``au:<n>`` label columns (see
:mod:`microexp.datasets.au_labels`) that know at least one of the evaluated AUs; the AUs are those
given, else every AU with at least ``min_positives`` positives among those rows (a count fixed
from the labels, before any model runs). Each fold fits the detector on its training subjects
only (labels 1 / 0, NaN left out per AU) and predicts its test subjects. Nothing is tuned on a
test subject: the detectors' settings are fixed (:mod:`microexp.recognisers.au_detection`).

Scores, pooled over the folds (as UF1 is on the composite), per AU over the samples that know it:
F1, precision, recall, ROC AUC of the decision scores; ``mean_f1`` is the mean over the AUs with a
positive among those samples. Baselines, from the same folds: ``prior`` always predicts the AU
present (F1 = 2p / (1 + p) at prevalence p); ``majority`` predicts the training fold's more
frequent value (absent for every AU rarer than one in two), so its F1 is usually 0.

``RUN_DIR`` layout::

    config.yaml       the resolved settings, with the run's fingerprint and identity
    metrics.json      {"aus", "n_samples", "full": {...}, "by_dataset": {...}, "folds", "seconds"}
    per_au.csv        one row per AU: positives, n, f1, precision, recall, auc, prior_f1, majority_f1
    predictions.csv   one row per sample: dataset, subject, clip, fold, then per AU true / pred / score
    au_f1.png         F1 per AU of the detector and of the two baselines

A ``RUN_DIR`` holding a run of other settings or other data is refused, unless ``overwrite``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import yaml

from ..config import ConfigModel
from ..datasets.au_labels import MIN_POSITIVES, au_column, au_columns, frequent_aus, labelled_rows
from ..datasets.samples import SampleTable
from ..errors import ConfigError, DataError
from ..identity import package_version, settings_digest, table_digest
from ..io import atomic_write_json, atomic_write_text, pyplot, save_figure
from ..recognisers import create_estimator, get_spec
from .protocols import Fold, make_folds

#: Files of a run directory (removed by ``overwrite``).
RESULT_FILES = ("config.yaml", "metrics.json", "per_au.csv", "predictions.csv", "au_f1.png")


@dataclass
class AUEvaluationConfig(ConfigModel):
    """Settings of one AU-detection run (what ``microexp evaluate --task au --config`` reads)."""

    KIND: ClassVar[str] = "AU evaluation config"
    INFORMATIONAL: ClassVar[tuple[str, ...]] = ("fingerprint", "identity")

    model: str = "au_svm"
    protocol: str = "loso"
    seed: int = 0
    model_kwargs: dict = field(default_factory=dict)
    protocol_kwargs: dict = field(default_factory=dict)
    #: AU numbers to detect; empty: every AU with at least ``min_positives`` positives.
    aus: list = field(default_factory=list)
    min_positives: int = MIN_POSITIVES
    dataset: str = "megc2019"
    root: str = ""
    #: The annotations folder holding the databases' coding sheets.
    sheets: str = ""
    description: str = ""

    def validate(self, source: str) -> None:
        if self.min_positives < 1:
            raise ConfigError(f"{source}: key 'min_positives' must be at least 1, got {self.min_positives}")
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in self.aus):
            raise ConfigError(f"{source}: key 'aus' must list AU numbers (e.g. [1, 2, 4]), got {self.aus!r}")

    def settings_identity(self) -> dict:
        return {k: v for k, v in self.to_dict().items() if k not in ("root", "sheets", "description")}


@dataclass
class AUEvaluationResult:
    metrics: dict
    predictions: pd.DataFrame
    out_dir: Path | None


def au_samples(table: SampleTable, config: AUEvaluationConfig) -> tuple[SampleTable, list[int]]:
    """The rows that know at least one evaluated AU, and the evaluated AUs."""
    if not au_columns(table.df):
        raise DataError(f"table {table.name!r} has no AU label columns (au:<n>); join them with "
                        "microexp.datasets.au_labels.attach_au_labels")
    aus = sorted({int(a) for a in config.aus}) or frequent_aus(table.df[labelled_rows(table.df)], config.min_positives)
    missing = [a for a in aus if au_column(a) not in table.df.columns]
    if missing:
        raise ConfigError(f"AUs {missing} have no label column; the table has {au_columns(table.df)}")
    if not aus:
        raise ConfigError(f"no AU has {config.min_positives} positives in table {table.name!r}; lower "
                          "min_positives or name the AUs")
    return table.subset(labelled_rows(table.df, aus)), aus


def fold_predictions(table: SampleTable, config: AUEvaluationConfig, aus: list[int], folds: list[Fold],
                     progress: bool = False) -> dict[str, np.ndarray]:
    """Per sample: the detector's 0/1 predictions and scores, the prior and majority predictions
    and the fold index, each fold fitted on its training rows only."""
    spec = get_spec(config.model)
    X = table.arrays(spec.input_kind)
    Y = table.df[[au_column(a) for a in aus]].to_numpy(dtype=float)
    n, k = Y.shape
    out = {"pred": np.zeros((n, k), int), "score": np.zeros((n, k)), "prior": np.ones((n, k), int),
           "majority": np.zeros((n, k), int), "fold": np.full(n, -1)}
    from tqdm.auto import tqdm

    for i, fold in enumerate(tqdm(folds, desc="AU folds", unit="fold", disable=not progress, leave=False)):
        est = create_estimator(config.model, num_classes=k, seed=config.seed, **config.model_kwargs)
        est.fit(X[fold.train], Y[fold.train], table.subjects[fold.train])
        out["score"][fold.test] = est.decision_function(X[fold.test])
        out["pred"][fold.test] = est.predict(X[fold.test])
        positive_share = np.nanmean(Y[fold.train], axis=0)
        out["majority"][fold.test] = (np.nan_to_num(positive_share) > 0.5).astype(int)[None, :]
        out["fold"][fold.test] = i
    return out


def _f1(t: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    tp, fp, fn = int(((t == 1) & (p == 1)).sum()), int(((t == 0) & (p == 1)).sum()), int(((t == 1) & (p == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return f1, precision, recall


def _auc(t: np.ndarray, s: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(t, s)) if 0 < t.sum() < len(t) else None


def au_scores(Y: np.ndarray, pred: dict[str, np.ndarray], aus: list[int], rows=None) -> dict:
    """Per-AU F1 / precision / recall / AUC and the baselines' F1 over ``rows`` (default all),
    each AU over the samples that know it; means over the AUs with a positive there."""
    rows = np.arange(len(Y)) if rows is None else np.asarray(rows)
    per_au, means = {}, {"f1": [], "prior_f1": [], "majority_f1": []}
    for j, a in enumerate(aus):
        known = rows[~np.isnan(Y[rows, j])]
        t = Y[known, j].astype(int)
        f1, precision, recall = _f1(t, pred["pred"][known, j])
        entry = {"n": int(len(t)), "positives": int(t.sum()), "f1": f1, "precision": precision, "recall": recall,
                 "auc": _auc(t, pred["score"][known, j]) if len(t) else None,
                 "prior_f1": _f1(t, pred["prior"][known, j])[0], "majority_f1": _f1(t, pred["majority"][known, j])[0]}
        if t.sum() == 0:  # F1 is undefined without a positive: left out of the means
            entry.update(f1=None, prior_f1=None, majority_f1=None)
        else:
            for m in means:
                means[m].append(entry[m])
        per_au[str(a)] = entry
    mean = {f"mean_{m}" if m == "f1" else m.replace("_f1", "_mean_f1"): (float(np.mean(v)) if v else None)
            for m, v in means.items()}
    return {**mean, "per_au": per_au}


def evaluate_aus(table: SampleTable, config: AUEvaluationConfig, out_dir: str | Path | None = None, *,
                 overwrite: bool = False, progress: bool = False) -> AUEvaluationResult:
    """Detect AUs on ``table`` under ``config.protocol``; see the module docstring."""
    get_spec(config.model)  # an unknown model fails before anything is read
    samples, aus = au_samples(table, config)
    folds = make_folds(samples, config.protocol, **config.protocol_kwargs)
    Y = samples.df[[au_column(a) for a in aus]].to_numpy(dtype=float)
    cfg = config.replace(aus=list(aus))
    identity = {"settings": settings_digest(cfg.settings_identity()),
                "samples": settings_digest({"samples": samples.df[["subject", "clip"]].astype(str).agg("|".join, axis=1)
                                            .tolist(), "labels": np.nan_to_num(Y, nan=-1).astype(int).tolist(),
                                            "folds": [[f.name, f.test.tolist()] for f in folds]}),
                "data": table_digest(samples, get_spec(cfg.model).input_kind),
                "microexp_version": package_version()}
    fingerprint = settings_digest(identity)[:16]
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        _prepare(out, fingerprint, overwrite)
    t0 = time.perf_counter()
    pred = fold_predictions(samples, cfg, aus, folds, progress)
    metrics = {"aus": aus, "n_samples": len(samples), "model": cfg.model, "protocol": cfg.protocol,
               "full": au_scores(Y, pred, aus), "by_dataset": {}}
    for ds in sorted(set(samples.datasets)):
        metrics["by_dataset"][str(ds)] = au_scores(Y, pred, aus, np.flatnonzero(samples.datasets == ds))
    metrics["folds"] = len(folds)
    metrics["seconds"] = round(time.perf_counter() - t0, 3)
    predictions = _predictions_frame(samples, Y, pred, aus, folds)
    if out is not None:
        _write(out, cfg, fingerprint, identity, metrics, predictions)
    return AUEvaluationResult(metrics, predictions, out)


def _prepare(out: Path, fingerprint: str, overwrite: bool) -> None:
    cfg_path = out / "config.yaml"
    if cfg_path.is_file():
        try:
            old = yaml.safe_load(cfg_path.read_text()) or {}
        except yaml.YAMLError:
            old = {}
        if isinstance(old, dict) and old.get("fingerprint") != fingerprint and not overwrite:
            raise ConfigError(f"{out}: holds an AU run made with other settings or data (fingerprint "
                              f"{old.get('fingerprint')} ≠ {fingerprint}); use a new --out, or --overwrite")
    for name in RESULT_FILES:
        (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def _predictions_frame(samples: SampleTable, Y: np.ndarray, pred: dict, aus: list[int], folds: list[Fold]):
    df = samples.df[["dataset", "subject", "clip"]].copy()
    df["fold"] = [folds[i].name for i in pred["fold"]]
    for j, a in enumerate(aus):
        df[f"true:{a}"] = pd.array([None if np.isnan(v) else int(v) for v in Y[:, j]], dtype="Int64")
        df[f"pred:{a}"] = pred["pred"][:, j]
        df[f"score:{a}"] = np.round(pred["score"][:, j], 5)
    return df


def per_au_table(metrics: dict) -> pd.DataFrame:
    rows = [{"au": int(a), **{k: v for k, v in e.items()}} for a, e in metrics["full"]["per_au"].items()]
    return pd.DataFrame(rows, columns=["au", "positives", "n", "f1", "precision", "recall", "auc", "prior_f1",
                                       "majority_f1"])


def plot_au_f1(metrics: dict, path: str | Path) -> Path:
    """Bars of F1 per AU: the detector, always-present, majority."""
    plt = pyplot()
    table = per_au_table(metrics)
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(1.0 * len(table) + 2.5, 3.6))
    for offset, column, label in ((-0.27, "f1", metrics.get("model", "detector")), (0.0, "prior_f1", "always present"),
                                  (0.27, "majority_f1", "majority")):
        ax.bar(x + offset, table[column].fillna(0).to_numpy(), width=0.26, label=label)
    ax.set_xticks(x, [f"AU{a}" for a in table["au"]])
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    full = metrics["full"]
    ax.set_title(f"{metrics.get('protocol', '')}: mean F1 {full['mean_f1']:.3f} (always present "
                 f"{full['prior_mean_f1']:.3f})")
    ax.legend(fontsize=8, loc="upper right")
    return save_figure(fig, path)


def _write(out: Path, cfg: AUEvaluationConfig, fingerprint: str, identity: dict, metrics: dict,
           predictions: pd.DataFrame) -> None:
    cfg.save(out / "config.yaml", fingerprint=fingerprint, identity=identity)
    atomic_write_json(out / "metrics.json", metrics)
    atomic_write_text(out / "per_au.csv", per_au_table(metrics).to_csv(index=False))
    atomic_write_text(out / "predictions.csv", predictions.to_csv(index=False))
    plot_au_f1(metrics, out / "au_f1.png")


def format_au_table(metrics: dict, title: str = "") -> str:
    """The per-AU table as the CLI prints it."""
    lines = [title] if title else []
    lines.append(f"{'AU':<6}{'pos/n':>10}{'F1':>8}{'AUC':>8}{'prior F1':>10}{'majority F1':>13}")
    for a, e in metrics["full"]["per_au"].items():
        f1 = "-" if e["f1"] is None else f"{e['f1']:.3f}"
        auc = "-" if e["auc"] is None else f"{e['auc']:.3f}"
        prior = "-" if e["prior_f1"] is None else f"{e['prior_f1']:.3f}"
        major = "-" if e["majority_f1"] is None else f"{e['majority_f1']:.3f}"
        lines.append(f"AU{a:<4}{e['positives']:>5}/{e['n']:<4}{f1:>8}{auc:>8}{prior:>10}{major:>13}")
    full = metrics["full"]
    lines.append(f"{'mean':<16}{full['mean_f1']:>8.3f}{'':>8}{full['prior_mean_f1']:>10.3f}"
                 f"{full['majority_mean_f1']:>13.3f}")
    return "\n".join(lines)


__all__ = ["AUEvaluationConfig", "AUEvaluationResult", "au_samples", "au_scores", "evaluate_aus", "fold_predictions",
           "format_au_table", "per_au_table", "plot_au_f1"]
