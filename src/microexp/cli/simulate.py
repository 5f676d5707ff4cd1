"""``microexp simulate``: a synthetic micro-expression database in CASME II's layout."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)


def simulate_command(
    out: Path = typer.Option(..., help="Folder to write (new, empty, or an earlier simulation to replace)."),
    subjects: int = typer.Option(12, help="Number of distinct synthetic people."),
    clips_per_subject: int = typer.Option(12, help="Clips per person."),
    seed: int = typer.Option(0, help="Random seed; the same seed gives byte-identical files."),
    fps: float = typer.Option(200.0, help="Frame rate (CASME II: 200)."),
    amplitude: float = typer.Option(1.0, help="Scale of every expression (0: no expression)."),
    difficulty: str = typer.Option("medium", help="Nuisance preset: none, easy, medium, hard."),
    noise: Optional[float] = typer.Option(None, help="Sensor noise std in grey levels (overrides the preset)."),
    workers: int = typer.Option(1, help="Processes rendering subjects in parallel."),
) -> None:
    """Simulate faces showing FACS-driven micro-expressions, with exact ground truth."""
    from ..simulate import simulate_dataset

    from ..identity import check_output_dir

    check_output_dir(out)
    summary = simulate_dataset(out, subjects=subjects, clips_per_subject=clips_per_subject, seed=seed, fps=fps,
                               amplitude=amplitude, difficulty=difficulty, noise=noise, workers=workers)
    typer.echo(f"{summary.n_clips} clips ({summary.n_frames} frames) of {summary.n_subjects} subjects "
               f"written to {summary.root} in {summary.seconds:.1f} s")
    typer.echo(f"emotions: {summary.emotions}; MEGC classes: {summary.megc3}")
    typer.echo(json.dumps(summary.to_dict()))
