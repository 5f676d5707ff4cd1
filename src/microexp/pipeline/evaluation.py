"""Evaluation jobs as the CLI runs them: config files, several seeds, a printed table."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import yaml

from ..datasets import load_dataset
from ..errors import ConfigError
from ..evaluation import EvaluationConfig, evaluate
from ..io import atomic_write_json

CONFIG_KEYS = {"model", "model_kwargs", "trainer", "fast_trainer", "protocol", "protocol_kwargs", "input_kind", "seeds",
               "dataset", "description", "paper"}


def read_config(path: Path | None) -> dict:
    if path is None:
        return {}
    if not Path(path).is_file():
        raise ConfigError(f"config file {path} does not exist")
    cfg = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: a config must be a mapping")
    unknown = set(cfg) - CONFIG_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(CONFIG_KEYS)}")
    return cfg


def evaluation_settings(cfg: dict, fast: bool = False) -> dict:
    """The :class:`EvaluationConfig` fields a config file gives (defaults: ``svm``, ``loso``, seed 0);
    ``fast`` lays the file's ``fast_trainer`` over its ``trainer``."""
    trainer = dict(cfg.get("trainer") or {})
    if fast:
        trainer.update(cfg.get("fast_trainer") or {})
    return {"model": cfg.get("model", "svm"), "protocol": cfg.get("protocol", "loso"), "seed": int(cfg.get("seed", 0)),
            "input_kind": cfg.get("input_kind"), "model_kwargs": dict(cfg.get("model_kwargs") or {}),
            "trainer": trainer, "protocol_kwargs": dict(cfg.get("protocol_kwargs") or {})}


def run_evaluation(*, dataset: str, root: Path, model: str | None, protocol: str | None, out: Path,
                   config: Path | None = None, seeds: int | None = None, first_seed: int = 0, backend: str = "local",
                   address: str | None = None, jobs: int | None = None, fast: bool = False, progress: bool = True,
                   echo: Callable[[str], None] = print, table=None) -> dict:
    """Run one or several seeds; returns the metrics (mean ± std over seeds when several)."""
    cfg = read_config(config)
    table = table if table is not None else load_dataset(dataset, root)
    n_seeds = seeds or int(cfg.get("seeds", 1))
    settings = evaluation_settings(cfg, fast)
    settings.update({k: v for k, v in (("model", model), ("protocol", protocol)) if v})
    base = EvaluationConfig(**settings, dataset=dataset, root=str(root))
    out = Path(out)
    runs = []
    for k in range(n_seeds):
        seed = first_seed + k
        run_dir = out if n_seeds == 1 else out / f"seed_{seed}"
        c = EvaluationConfig(**{**base.__dict__, "seed": seed})
        res = evaluate(table, c, run_dir, backend=backend, jobs=jobs, address=address, progress=progress)
        runs.append(res.metrics)
        if res.folds_resumed:
            echo(f"seed {seed}: resumed {res.folds_resumed} finished folds, computed {res.folds_computed}")
    metrics = runs[0] if n_seeds == 1 else _mean_std(runs)
    if n_seeds > 1:
        atomic_write_json(out / "metrics.json", metrics)
    echo(format_table(metrics, title=f"{base.resolved().model} · {base.protocol} · {dataset}"
                      + (f" · {n_seeds} seeds" if n_seeds > 1 else "")))
    echo(f"results: {out}")
    return metrics


def _mean_std(runs: list[dict]) -> dict:
    out: dict = {"seeds": len(runs)}
    for part in runs[0]:
        if isinstance(runs[0][part], dict) and "uf1" in runs[0][part]:
            out[part] = {}
            for m in ("uf1", "uar", "accuracy"):
                vals = np.array([r[part][m] for r in runs])
                out[part][m] = float(vals.mean())
                out[part][m + "_std"] = float(vals.std())
    out["seconds"] = float(sum(r["seconds"] for r in runs))
    out["per_seed"] = [{p: {m: r[p][m] for m in ("uf1", "uar", "accuracy")} for p in r if isinstance(r[p], dict) and "uf1" in r[p]}
                       for r in runs]
    return out


def format_table(metrics: dict, title: str = "") -> str:
    parts = ["full"] + sorted(p for p in metrics if isinstance(metrics[p], dict) and "uf1" in metrics[p]
                              and p not in ("full", "mean_over_folds"))
    lines = [title, f"{'':<10}{'UF1':>16}{'UAR':>16}{'accuracy':>16}"]
    for p in parts:
        m = metrics[p]
        cells = []
        for k in ("uf1", "uar", "accuracy"):
            std = m.get(k + "_std")
            cells.append(f"{m[k]:.4f}" + (f" ± {std:.4f}" if std is not None else ""))
        lines.append(f"{p:<10}" + "".join(f"{c:>16}" for c in cells))
    if "seconds" in metrics:
        lines.append(f"({metrics['seconds']:.1f} s)")
    return "\n".join(line for line in lines if line)
