"""``microexp demo``: simulate, preprocess, recognise (LOSO) and write a report — no arguments needed."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    out: Path = typer.Option(Path("runs/demo"), help="Folder for the dataset, intermediate results and the report."),
    fast: bool = typer.Option(False, help="A smaller, quicker run (6 subjects x 6 short clips, 64 px faces)."),
    amplitude: Optional[float] = typer.Option(None, help="Expression amplitude (default 1; 0: faces do not move)."),
    model: str = typer.Option("best", help="Registered recogniser, or 'best'."),
    seed: int = typer.Option(0, help="Seed of the simulation and the model."),
    jobs: int = typer.Option(2, help="Worker processes."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Run the whole chain on simulated micro-expressions and print where the report is."""
    from ..pipeline.demo import run_demo

    from ..identity import check_output_dir

    check_output_dir(out)
    result = run_demo(out, profile="fast" if fast else "default", amplitude=amplitude, seed=seed, model=model,
                      jobs=jobs, progress=not quiet, echo=typer.echo)
    typer.echo(f"report: {result.index_html.resolve()}")
