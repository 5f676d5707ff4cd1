"""Sweeps: one evaluation config, a grid of values, every point under the same protocol.

A sweep file is an evaluation config (the keys ``microexp evaluate --config`` reads) plus ``grid``,
a mapping from a setting to the values to try::

    model: svm
    protocol: loso
    model_kwargs: {C: 1.0}
    grid:
      model_kwargs.C: [0.5, 1.0, 2.0]
      seed: [0, 1, 2]

Grid keys: ``model``, ``protocol``, ``seed``, ``input_kind``, and ``model_kwargs.<name>``,
``trainer.<name>``, ``protocol_kwargs.<name>``. Every point is one ordinary results directory
(``OUT/points/<nnn>_<setting>/``, resumable fold by fold); the points run one after another and
each spreads its folds over the local worker pool or a Ray cluster. After every point
``results.csv``, ``summary.csv`` (mean ± std over seeds) and ``table.md`` are rewritten
atomically, so a sweep stopped at any moment keeps what it finished and resumes where it stopped.

A sweep scores every point on the protocol's test folds. Reading the best row off the table and
quoting its score is choosing a hyper-parameter on the test subjects: the table says so. To choose
honestly, give the model its grid and let it choose inside each training fold (``model: nested``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Callable, ClassVar

import numpy as np
import pandas as pd
import yaml

from ..datasets import load_dataset
from ..errors import ConfigError
from ..evaluation import EvaluationConfig, evaluate
from ..identity import check_output_dir
from ..io import atomic_write_json, atomic_write_text, yaml_text

TOP_LEVEL = ("model", "protocol", "seed", "input_kind")
NESTED = ("model_kwargs", "trainer", "protocol_kwargs")


@dataclass
class SweepConfig(EvaluationConfig):
    """An evaluation config plus ``grid``: the settings to vary and their values."""

    KIND: ClassVar[str] = "sweep config"

    grid: dict = field(default_factory=dict)

    def validate(self, source: str) -> None:
        super().validate(source)
        if not self.grid:
            raise ConfigError(f"{source}: 'grid' must map settings to lists of values, e.g. {{model_kwargs.C: [0.5, 1, 2]}}")
        for key, values in self.grid.items():
            head, _, tail = str(key).partition(".")
            if not ((head in TOP_LEVEL and not tail) or (head in NESTED and tail)):
                raise ConfigError(f"{source}: grid key {key!r} is not one of {', '.join(TOP_LEVEL)} or "
                                  f"{', '.join(n + '.<name>' for n in NESTED)}")
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{source}: grid key {key!r} needs a non-empty list of values, got {values!r}")
        if self.seeds != 1:
            raise ConfigError(f"{source}: a sweep varies seeds through its grid ('grid: {{seed: [0, 1, 2]}}'), "
                              "not through 'seeds'")

SELECTION_WARNING = ("Every row is scored on the protocol's test folds. Picking the best row and quoting its "
                     "score chooses a hyper-parameter on the test subjects; to choose honestly, let the "
                     "model search its grid inside each training fold (`model: nested`).")


def read_sweep(path: Path) -> tuple[dict, dict[str, list]]:
    """(base config, grid) from a sweep file; every problem names the file and the key."""
    cfg = SweepConfig.load(path).to_dict()
    grid = cfg.pop("grid")
    return cfg, grid


def expand_grid(base: dict, grid: dict[str, list]) -> list[tuple[str, dict, dict]]:
    """[(point name, evaluation config dict, the point's settings)] in the grid's order."""
    points = []
    keys = list(grid)
    for i, values in enumerate(product(*(grid[k] for k in keys))):
        cfg = {"model_kwargs": {}, "trainer": {}, "protocol_kwargs": {}, **_copy(base)}
        setting = dict(zip(keys, values))
        for key, value in setting.items():
            head, _, tail = key.partition(".")
            if tail:
                cfg[head] = {**(cfg.get(head) or {}), tail: value}
            else:
                cfg[head] = value
        slug = ",".join(f"{k.rpartition('.')[2]}={v}" for k, v in setting.items())
        points.append((f"{i:03d}_" + re.sub(r"[^A-Za-z0-9=,._-]", "-", slug)[:80], cfg, setting))
    return points


def _copy(d: dict) -> dict:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in d.items()}


def run_sweep(*, sweep: Path, dataset: str | None, root: Path, out: Path, backend: str = "local",
              address: str | None = None, jobs: int | None = None, fast: bool = False, progress: bool = True,
              echo: Callable[[str], None] = print, table=None) -> pd.DataFrame:
    """Evaluate every grid point; returns the results table (one row per point)."""
    sweep_cfg = SweepConfig.load(sweep)
    if fast:
        sweep_cfg = sweep_cfg.with_fast_budget()
    dataset = dataset or sweep_cfg.dataset or "megc2019"
    root = root if root is not None else (Path(sweep_cfg.root) if sweep_cfg.root else None)
    if root is None:
        raise ConfigError("no dataset root: give --root (or a sweep file with 'root')")
    base = sweep_cfg.settings_identity()
    grid = base.pop("grid")
    base.pop("dataset", None)
    points = expand_grid(base, grid)
    out = check_output_dir(out, "sweep folder")
    record = {"dataset": dataset, "fast": fast, "base": base, "grid": grid}
    stored = out / "sweep.yaml"
    if stored.exists() and (yaml.safe_load(stored.read_text()) or {}) != yaml.safe_load(yaml_text(record)):
        raise ConfigError(f"{out} holds another sweep ({stored} differs from {sweep}); use a new --out")
    table = table if table is not None else load_dataset(dataset, root)
    atomic_write_text(stored, yaml_text(record))

    rows = []
    for n, (name, cfg, setting) in enumerate(points, 1):
        ec = EvaluationConfig.from_dict({**cfg, "dataset": dataset, "root": str(root)}, source=f"{sweep}, point {name}")
        try:
            res = evaluate(table, ec, out / "points" / name, backend=backend, jobs=jobs, address=address,
                           progress=progress)
        except ConfigError as exc:
            raise ConfigError(f"sweep point {name} ({setting}): {exc}") from exc
        row = {"point": name, **{k: _cell(v) for k, v in setting.items()}}
        for part in _parts(res.metrics):
            for m in ("uf1", "uar", "accuracy"):
                row[f"{part}_{m}"] = res.metrics[part][m]
        row["cpu_minutes"] = round(res.metrics["cpu_seconds_in_folds"] / 60, 3)
        rows.append(row)
        _write_tables(out, pd.DataFrame(rows), list(grid))
        echo(f"[{n}/{len(points)}] {name}: UF1 {row['full_uf1']:.4f}  UAR {row['full_uar']:.4f}"
             + (f"  (resumed {res.folds_resumed} folds)" if res.folds_resumed else ""))
    echo(SELECTION_WARNING)
    echo(f"results: {out}")
    return pd.DataFrame(rows)


def _parts(metrics: dict) -> list[str]:
    """``full`` first, then each source database the metrics hold."""
    found = [p for p, v in metrics.items() if isinstance(v, dict) and "uf1" in v and p not in ("full", "mean_over_folds")]
    return ["full", *sorted(found)]


def _cell(v):
    return v if isinstance(v, (int, float, str, bool)) or v is None else yaml.safe_dump(v, default_flow_style=True).strip()


def summarise_over_seeds(results: pd.DataFrame, grid_keys: list[str]) -> pd.DataFrame:
    """Mean and std of every metric over ``seed`` for each setting of the other grid keys."""
    metrics = [c for c in results.columns if c.endswith(("_uf1", "_uar", "_accuracy")) or c == "cpu_minutes"]
    if "seed" not in grid_keys:
        return results[[*grid_keys, *metrics]].assign(seeds=1)
    others = [k for k in grid_keys if k != "seed"]
    groups = list(results.groupby(others, sort=False, dropna=False)) if others else [((), results)]
    rows = []
    for key, part in groups:
        row = dict(zip(others, key if isinstance(key, tuple) else (key,)))
        row["seeds"] = len(part)
        for m in metrics:
            vals = part[m].astype(float).to_numpy()
            row[m] = float(vals.mean())
            row[m + "_std"] = float(vals.std())
        rows.append(row)
    return pd.DataFrame(rows)


def _write_tables(out: Path, results: pd.DataFrame, grid_keys: list[str]) -> None:
    summary = summarise_over_seeds(results, grid_keys)
    atomic_write_text(out / "results.csv", results.to_csv(index=False))
    atomic_write_text(out / "summary.csv", summary.to_csv(index=False))
    atomic_write_json(out / "results.json", {"points": results.to_dict(orient="records"),
                                             "summary": summary.to_dict(orient="records")})
    atomic_write_text(out / "table.md", _markdown(summary, grid_keys))


def _markdown(summary: pd.DataFrame, grid_keys: list[str]) -> str:
    shown = [k for k in grid_keys if k in summary.columns and k != "seed"] or [k for k in grid_keys if k in summary.columns]
    parts = ["full", *sorted({c[:-4] for c in summary.columns if c.endswith("_uf1")} - {"full"})]
    head = [*shown, "seeds"] + [f"{p} {m}" for p in parts for m in ("UF1", "UAR")] + ["CPU min"]
    lines = ["# Sweep", "", SELECTION_WARNING, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in summary.iterrows():
        cells = [str(r[k]) for k in shown] + [str(int(r["seeds"]))]
        for p in parts:
            for m in ("uf1", "uar"):
                std = r.get(f"{p}_{m}_std")
                cells.append(f"{r[f'{p}_{m}']:.4f}" + (f" ± {std:.4f}" if std is not None and not np.isnan(std) else ""))
        cells.append(f"{r['cpu_minutes']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
