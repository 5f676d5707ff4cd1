"""``microexp show``: pictures for checking preprocessing by eye."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("show")(show_command)


def show_command(
    kind: str = typer.Argument(..., help="flow, landmarks or ars."),
    input: Path = typer.Option(..., "--input", help="Frame folder, video, image (landmarks) or a preprocessed .npz."),
    out: Path = typer.Option(..., help="PNG file to write."),
    onset: Optional[int] = typer.Option(None, help="Onset frame number (default: first frame)."),
    apex: Optional[int] = typer.Option(None, help="Apex frame number (default: middle frame)."),
    offset: Optional[int] = typer.Option(None, help="Offset frame number (default: last frame)."),
    size: int = typer.Option(128, help="Side of the aligned face crop."),
    method: str = typer.Option("tvl1", help="Optical flow: tvl1 or farneback."),
) -> None:
    """Write a picture: HSV flow (flow), landmarks and ROIs (landmarks), ARS/RRS (ars)."""
    from ..io import atomic_write_image
    from ..pipeline.pictures import make_picture

    picture = make_picture(kind, input, onset=onset, apex=apex, offset=offset, size=size, method=method)
    atomic_write_image(out, picture)
    typer.echo(f"{kind} picture {picture.shape[1]}x{picture.shape[0]} -> {out}")
