"""Evaluation jobs as the CLI runs them: config files, several seeds, a printed table."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..datasets import load_dataset
from ..errors import ConfigError
from ..evaluation import EvaluationConfig, evaluate
from ..evaluation.backends import BACKENDS
from ..identity import check_output_dir
from ..io import atomic_write_json

def read_config(path: Path | None) -> EvaluationConfig:
    """The evaluation config in ``path`` (defaults when ``None``); unknown keys name the file."""
    return EvaluationConfig() if path is None else EvaluationConfig.load(path)


def run_evaluation(*, dataset: str | None, root: Path | None, model: str | None, protocol: str | None, out: Path,
                   config: Path | None = None, seeds: int | None = None, first_seed: int | None = None,
                   backend: str = "local", address: str | None = None, jobs: int | None = None, fast: bool = False,
                   overwrite: bool = False, progress: bool = True, echo: Callable[[str], None] = print,
                   table=None, leak_meter: bool = False) -> dict:
    """Run one or several seeds; returns the metrics (mean ± std over seeds when several).

    Command-line values win over the config file's; the file's ``dataset`` and ``root`` are used
    when none is given, so a run's own ``config.yaml`` reproduces it."""
    cfg = read_config(config)
    if fast:
        cfg = cfg.with_fast_budget()
    changes = {k: v for k, v in (("model", model), ("protocol", protocol), ("dataset", dataset)) if v}
    if first_seed is not None:
        changes["seed"] = int(first_seed)
    if leak_meter:
        changes["leak_meter"] = True
    if root is not None:
        changes["root"] = str(Path(root).resolve())  # config.yaml then reproduces the run from any folder
    cfg = cfg.replace(**changes)
    if not cfg.dataset:
        cfg = cfg.replace(dataset="megc2019")
    if not cfg.root:
        raise ConfigError("no dataset root: give --root (or a config file with 'root')")
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    out = check_output_dir(out, "results folder")
    n_seeds = seeds or cfg.seeds
    table = table if table is not None else load_dataset(cfg.dataset, Path(cfg.root))
    runs = []
    for k in range(n_seeds):
        seed = cfg.seed + k
        run_dir = out if n_seeds == 1 else out / f"seed_{seed}"
        c = cfg.replace(seed=seed, seeds=1)
        res = evaluate(table, c, run_dir, backend=backend, jobs=jobs, address=address, progress=progress,
                       overwrite=overwrite)
        runs.append(res.metrics)
        if c.leak_meter:
            echo(_leak_line(run_dir, seed))
        if res.folds_resumed:
            echo(f"seed {seed}: resumed {res.folds_resumed} finished folds, computed {res.folds_computed}")
    metrics = runs[0] if n_seeds == 1 else _mean_std(runs)
    if n_seeds > 1:
        atomic_write_json(out / "metrics.json", metrics)
    echo(format_table(metrics, title=f"{cfg.resolved().model} · {cfg.protocol} · {cfg.dataset}"
                      + (f" · {n_seeds} seeds" if n_seeds > 1 else "")))
    echo(f"results: {out}")
    return metrics


def _leak_line(run_dir: Path, seed: int) -> str:
    import json

    meter = json.loads((run_dir / "leak_meter.json").read_text())
    if not meter.get("available"):
        return f"seed {seed}: leak meter: {meter['reason']}"
    return (f"seed {seed}: leak meter (test-selected, LEAKS): UF1 {meter['selected']['uf1']:.4f} vs honest "
            f"{meter['honest']['uf1']:.4f} (inflation {meter['inflation']['uf1']:+.4f}); {run_dir / 'leak_meter.json'}")


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
    out["per_seed"] = [{p: {m: r[p][m] for m in ("uf1", "uar", "accuracy")}
                        for p in r if isinstance(r[p], dict) and "uf1" in r[p]} for r in runs]
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
