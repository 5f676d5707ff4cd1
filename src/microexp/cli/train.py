"""``microexp train``: fit the deployable recogniser on every sample of a database."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)


def train_command(
    dataset: str = typer.Option("megc2019", help="Dataset name (megc2019, or a preprocessed folder: preprocessed)."),
    root: Path = typer.Option(..., help="Dataset root folder (for megc2019: the folder holding the CSV)."),
    model: Optional[str] = typer.Option(None, help="Registered model name, or 'best'. Default: the config's, else 'svm'."),
    out: Path = typer.Option(..., help="Model folder to write (model.json + estimator weights)."),
    config: Optional[Path] = typer.Option(None, help="YAML config: model, model_kwargs, trainer, fast_trainer, input_kind."),
    seed: int = typer.Option(0, help="Random seed."),
    evaluate_loso: bool = typer.Option(False, "--evaluate-loso",
                                       help="First run a leave-one-subject-out evaluation of the same configuration "
                                            "into OUT/loso; its scores appear in the model card and analysis reports."),
    jobs: Optional[int] = typer.Option(None, help="Folds run at once by --evaluate-loso (default: number of cores)."),
    fast: bool = typer.Option(False, help="Use the config's 'fast_trainer' budget (for quick checks)."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Fit a recogniser on ALL samples of a database (no test split: this is the deployable model) and
    write a model folder for `microexp analyse`. Its accuracy on new subjects is estimated only by
    --evaluate-loso."""
    from ..pipeline.train import train_model

    train_model(dataset=dataset, root=root, out=out, model=model, config=config, seed=seed, fast=fast,
                evaluate_loso=evaluate_loso, jobs=jobs, progress=not quiet, echo=typer.echo)
