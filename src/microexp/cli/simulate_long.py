"""``microexp simulate-long``: long simulated recordings with micro- and macro-expressions among
blinks, head motion, talking and illumination changes, and their ground-truth sheet."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("simulate-long")(simulate_long_command)


def simulate_long_command(
    out: Path = typer.Option(..., help="Folder to write (new, empty, or an earlier long simulation to replace)."),
    subjects: int = typer.Option(2, help="Number of distinct synthetic people."),
    videos_per_subject: int = typer.Option(2, help="Recordings per person."),
    minutes: Optional[float] = typer.Option(None, help="Length of each recording (default: the profile's "
                                                      "median video length)."),
    fps: Optional[float] = typer.Option(None, help="Frame rate (default: the profile's: casme_sq 30, samm_lv 200)."),
    seed: int = typer.Option(0, help="Random seed; the same seed gives the same frames and sheet."),
    format: str = typer.Option("mp4", "--format", help="mp4 (one video per recording) or frames (JPEG folders)."),
    profile: str = typer.Option("casme_sq", help="Recordings like casme_sq (CAS(ME)^2), samm_lv (SAMM-LV) or "
                                                 "casme3_lv (CAS(ME)^3)."),
    micro_per_minute: Optional[float] = typer.Option(None, help="Micro-expressions per minute (default: the "
                                                                "profile's, measured on the real sheets)."),
    macro_per_minute: Optional[float] = typer.Option(None, help="Macro-expressions per minute (default: the "
                                                                "profile's)."),
) -> None:
    """Simulate long recordings for spotting, with exact ground truth in CAS(ME)^3's sheet layout."""
    from ..errors import ConfigError
    from ..identity import check_output_dir
    from ..simulate.long_dataset import FORMATS, simulate_long_dataset

    if format not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
    check_output_dir(out, "simulation folder")
    summary = simulate_long_dataset(out, subjects=subjects, videos_per_subject=videos_per_subject, minutes=minutes,
                                    fps=fps, seed=seed, profile=profile, format=format,
                                    micro_per_minute=micro_per_minute, macro_per_minute=macro_per_minute)
    info = summary.to_dict()
    typer.echo(f"{info['n_videos']} recordings ({info['n_frames']} frames) with {info['micro']} micro- and "
               f"{info['macro']} macro-expressions written to {summary.root} in {summary.seconds:.1f} s")
    typer.echo(f"ground truth: {summary.sheet}")
    typer.echo(json.dumps(info))
