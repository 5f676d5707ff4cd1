"""``microexp evaluate``: a recogniser under a leak-free protocol, with a results directory."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)


def evaluate_command(
    task: str = typer.Option("emotion", help="emotion: recognise emotion classes; au: detect action units (the "
                                             "coding sheets' AUs joined to the samples; per-AU F1 beside baselines)."),
    sheets: Optional[Path] = typer.Option(None, help="--task au: the annotations folder with the databases' coding "
                                                     "sheets (CASME2/, SAMM/ …). Default: the shared data folder's."),
    aus: Optional[str] = typer.Option(None, help="--task au: AU numbers to detect, comma-separated (1,2,4). Default: "
                                                 "every AU with at least 20 positives among the coded samples."),
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
    leak_meter: bool = typer.Option(False, "--leak-meter", help="Also record every epoch's test predictions of a deep "
                                    "model and report, apart and labelled as leaked, what choosing each test "
                                    "subject's best epoch would claim (leak_meter.json); the honest results are unchanged."),
) -> None:
    """Evaluate a recogniser; prints UF1/UAR/accuracy for the full set and each source database
    (``--task au``: per-AU F1 of an action-unit detector)."""
    if task == "au":
        from ..pipeline.au_evaluation import run_au_evaluation

        run_au_evaluation(dataset=dataset, root=root, sheets=sheets, aus=aus, model=model, protocol=protocol,
                          out=out, config=config, first_seed=seed, overwrite=overwrite, progress=not quiet, echo=typer.echo)
        return
    if task != "emotion":
        from ..errors import ConfigError

        raise ConfigError(f"unknown task {task!r}; choose 'emotion' or 'au'")
    from ..pipeline.evaluation import run_evaluation

    run_evaluation(dataset=dataset, root=root, model=model, protocol=protocol, out=out, config=config,
                   seeds=seeds, first_seed=seed, backend=backend, address=address, jobs=jobs, fast=fast, overwrite=overwrite,
                   leak_meter=leak_meter,
                   progress=not quiet, echo=typer.echo)
