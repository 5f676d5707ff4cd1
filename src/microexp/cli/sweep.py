"""``microexp sweep``: one evaluation config over a grid of settings, each point resumable."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep_command)


def sweep_command(
    config: Path = typer.Option(..., help="Sweep YAML: an evaluation config plus `grid: {setting: [values]}`."),
    root: Optional[Path] = typer.Option(None, help="Dataset root folder (for megc2019: the folder holding the CSV). "
                                                   "Default: the file's 'root'."),
    out: Path = typer.Option(..., help="Sweep folder: points/, results.csv, summary.csv, table.md (re-using it resumes)."),
    dataset: Optional[str] = typer.Option(None, help="Dataset name (default: the sweep file's, else megc2019)."),
    backend: str = typer.Option("local", help="local (worker processes) or ray."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address to join (default: start a local one)."),
    jobs: Optional[int] = typer.Option(None, help="Folds run at once (default: number of cores)."),
    fast: bool = typer.Option(False, help="Use the file's 'fast_trainer' budget (for quick checks)."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Evaluate every point of a grid (settings × seeds) under the config's protocol; writes a table.

    Rows are scored on the test folds: to choose a setting honestly use 'model: nested'."""
    from ..pipeline.sweep import run_sweep

    run_sweep(sweep=config, dataset=dataset, root=root, out=out, backend=backend, address=address, jobs=jobs,
              fast=fast, progress=not quiet, echo=typer.echo)
