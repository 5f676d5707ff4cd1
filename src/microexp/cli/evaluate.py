"""``microexp evaluate``: a recogniser under a leak-free protocol, with a results directory."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)


def evaluate_command(
    dataset: Optional[str] = typer.Option(None, help="Dataset name (megc2019, casme2, samm, smic, casme3, preprocessed). "
                                                     "Default: the config's, else megc2019."),
    root: Optional[Path] = typer.Option(None, help="Dataset root folder (for megc2019: the folder holding the CSV). "
                                                   "Default: the config's 'root'."),
    model: Optional[str] = typer.Option(None, help="Registered model name, or 'best'. Default: the config's, else 'svm'."),
    protocol: Optional[str] = typer.Option(None, help="loso | lodo | kfold | holdout (default loso)."),
    out: Path = typer.Option(..., help="Results directory (re-using it resumes a finished-fold-wise run)."),
    config: Optional[Path] = typer.Option(None, help="YAML config (configs/*.yaml, or a run's own config.yaml to "
                                                     "reproduce it): model, model_kwargs, trainer, protocol, seed, seeds …"),
    seeds: Optional[int] = typer.Option(None, help="Number of seeds (seed .. seed+n-1); several give mean ± std."),
    seed: Optional[int] = typer.Option(None, help="First seed (default: the config's, else 0)."),
    backend: str = typer.Option("local", help="local (worker processes) or ray."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address to join (default: start a local one)."),
    jobs: Optional[int] = typer.Option(None, help="Folds run at once (default: number of cores)."),
    fast: bool = typer.Option(False, help="Use the config's 'fast_trainer' budget (for quick checks)."),
    overwrite: bool = typer.Option(False, help="Discard results in --out made with other settings or other data "
                                               "(they are otherwise refused, never resumed)."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Evaluate a recogniser; prints UF1/UAR/accuracy for the full set and each source database."""
    from ..pipeline.evaluation import run_evaluation

    run_evaluation(dataset=dataset, root=root, model=model, protocol=protocol, out=out, config=config,
                   seeds=seeds, first_seed=seed, backend=backend, address=address, jobs=jobs, fast=fast, overwrite=overwrite,
                   progress=not quiet, echo=typer.echo)
