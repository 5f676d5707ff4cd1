"""``microexp analyse``: one new clip end to end (face, apex, motion, class) with an HTML report."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("analyse")(analyse_command)


def analyse_command(
    source: Path = typer.Argument(..., help="A video file (mp4, avi …) or a folder of frames of one person."),
    model: Path = typer.Option(..., help="Model folder written by `microexp train` (checked on load: it cannot run code)."),
    out: Path = typer.Option(..., help="Report folder to write (index.html, report.json, pictures)."),
    onset: Optional[int] = typer.Option(None, help="Onset frame number (default: the first frame)."),
    apex: Optional[int] = typer.Option(None, help="Apex frame number (default: spotted from the motion)."),
    offset: Optional[int] = typer.Option(None, help="Offset frame number (default: the last frame)."),
    fps: Optional[float] = typer.Option(None, help="Frame rate (default: the video's; scales the spotting window)."),
    whole_frame_face: bool = typer.Option(False, "--whole-frame-face",
                                          help="The frames are tight face crops: take the whole frame as the face "
                                               "when the detector finds none."),
    cache_dir: Optional[Path] = typer.Option(None, help="Where a video's frames are extracted (default ~/.cache/microexp)."),
) -> None:
    """Find the face, the apex and the onset→apex motion of a clip, predict its MEGC class
    (negative / positive / surprise) with a trained model, and write an HTML report.
    Frame numbers: a video's frames count from 0; a folder's come from its file names."""
    from ..pipeline.analyse import analyse_clip

    from ..identity import check_output_dir

    check_output_dir(out)
    result = analyse_clip(source, model, out, onset=onset, apex=apex, offset=offset, fps=fps,
                          whole_frame_face=whole_frame_face, cache_dir=cache_dir, echo=typer.echo)
    typer.echo(str(result.index_html))
