"""``microexp preprocess``: align faces and compute flow, strain, ARS/RRS and LBP-TOP per clip."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("preprocess")(preprocess_command)


def preprocess_command(
    dataset: str = typer.Option(..., help="casme2, samm, smic, casme3 or video."),
    root: Path = typer.Option(..., help="Database root (coding sheet + frame folders), or a video / frame folder."),
    out: Path = typer.Option(..., help="Output folder; re-running with it computes only what changed."),
    features: str = typer.Option("flow,strain", help="Comma list of flow, strain, ars, rrs, lbptop."),
    size: int = typer.Option(128, help="Side of the aligned face crop in pixels."),
    method: str = typer.Option("tvl1", help="Optical flow: tvl1 or farneback."),
    jobs: int = typer.Option(1, help="Worker processes (clips run in parallel)."),
    composite_size: int = typer.Option(28, help="Side of the composite-style u/v/strain flow image."),
    taxonomy: Optional[str] = typer.Option(None, help="Classes: casme2_5, samm_emotion, samm_objective, smic_3, "
                                                     "megc3 … (default: the database's own)."),
    apex_sheet: Optional[Path] = typer.Option(None, help="SMIC only: smic_apex.xlsx with estimated apexes."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Preprocess every clip of a database; failing clips are listed in OUT/errors.csv and skipped."""
    from ..pipeline.preprocess import load_for_preprocessing, preprocess_dataset

    from ..identity import check_output_dir

    check_output_dir(out)
    table = load_for_preprocessing(dataset, root, taxonomy=taxonomy, apex_sheet=apex_sheet)
    summary = preprocess_dataset(table, out, features=features, size=size, method=method, jobs=jobs,
                                 composite_size=composite_size, progress=not quiet)
    typer.echo(f"{summary.total} clips: {summary.done} done, {summary.cached} cached, {summary.failed} failed "
               f"({summary.elapsed_s:.1f} s) -> {out}")
    for err in summary.errors[:10]:
        typer.echo(f"  failed {err['clip']}: {err['error']}", err=True)
    if summary.failed > 10:
        typer.echo(f"  … {summary.failed - 10} more in {out / 'errors.csv'}", err=True)
