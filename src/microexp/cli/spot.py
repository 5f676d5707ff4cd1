"""``microexp spot``: the apex frame of every clip of a dataset, with curve pictures."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("spot")(spot_command)


def spot_command(
    dataset: str = typer.Option(..., help="Dataset name (casme2, samm, smic, casme3, video …)."),
    root: Path = typer.Option(..., help="Dataset root folder."),
    out: Path = typer.Option(..., help="Results directory (apex_frames.csv, metrics.json, curves/)."),
    method: str = typer.Option("baseline", help="baseline | baseline_strain | path of a saved VGG-M regressor (.pt)."),
    decoder: str = typer.Option("sw_max", help="max | sw_max (paper 004)."),
    window: int = typer.Option(9, help="SW-Max window in frames (paper 004: 9)."),
    flow: str = typer.Option("farneback", help="Optical flow: farneback | tvl1 (slower)."),
    landmarks: bool = typer.Option(True, help="Find the eyes and nose with 68 landmarks (else fixed regions)."),
    limit: Optional[int] = typer.Option(None, help="Spot only the first N clips."),
    plots: int = typer.Option(20, help="Write at most this many curve pictures."),
) -> None:
    """Spot the apex of each clip (onset..offset frames) and write apex frames and curve pictures."""
    from ..datasets import load_dataset
    from ..spotting.apex import FlowPreparation
    from ..spotting.dataset_run import spot_dataset

    from ..identity import check_output_dir

    check_output_dir(out)
    table = load_dataset(dataset, root)
    prep = FlowPreparation(flow_method=flow) if method.startswith("baseline") else None
    spot_dataset(table, out, method, decoder=decoder, window=window, use_landmarks=landmarks, max_plots=plots,
                 limit=limit, prep=prep, echo=typer.echo)
