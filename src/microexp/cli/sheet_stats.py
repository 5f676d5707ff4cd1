"""``microexp sheet-stats``: what the real long-video sheets say about micro- and macro-expressions
(counts, durations, rates, video lengths): the numbers the long-recording simulator is calibrated on."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

DATABASES = ("casme_sq", "samm_lv", "casme3_lv")


def register(app: typer.Typer) -> None:
    app.command("sheet-stats")(sheet_stats_command)


#: Columns: durations in frames (f) and seconds (s), intervals per minute, the videos' count, total
#: minutes and lengths in seconds.
_COLUMNS = ("database", "type", "count", "f mean", "f median", "f q10-q90", "s mean", "s median", "s q10-q90",
            "per min", "videos", "minutes", "video s", "video min-max")
_WIDTHS = (10, 6, 6, 7, 8, 12, 7, 8, 12, 8, 7, 8, 8, 13)


def _line(cells) -> str:
    return " ".join(f"{c:<{w}}" if i < 2 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, _WIDTHS)))


def _row(stats, name: str, t: str) -> str:
    r = stats.loc[(name, t)]
    return _line((name, t, int(r["n_intervals"]), f"{r['duration_frames_mean']:.1f}",
                  f"{r['duration_frames_median']:.1f}",
                  f"{r['duration_frames_q10']:.1f}-{r['duration_frames_q90']:.1f}", f"{r['duration_s_mean']:.3f}",
                  f"{r['duration_s_median']:.3f}", f"{r['duration_s_q10']:.3f}-{r['duration_s_q90']:.3f}",
                  f"{r['rate_per_minute']:.3f}", int(r["n_videos"]), f"{r['total_minutes']:.1f}",
                  f"{r['video_length_s_median']:.1f}", f"{r['video_length_s_min']:.1f}-{r['video_length_s_max']:.1f}"))


def _plain(key: str, value):
    """A statistic as JSON wants it: counts (``n_*``) as integers, the rest as floats."""
    value = value.item() if hasattr(value, "item") else value
    return int(value) if key.startswith("n_") else float(value)


def sheet_stats_command(
    annotations: Path = typer.Option(..., help="Folder holding CASME_sq/, SAMM-LV/ and CASME3/ (the spotting sheets)."),
    database: Optional[List[str]] = typer.Option(None, help="Only these databases (repeatable): "
                                                            "casme_sq, samm_lv, casme3_lv."),
    out: Optional[Path] = typer.Option(None, help="Also write every statistic to this JSON file."),
) -> None:
    """Count, durations, rate per minute and video lengths of micro- and macro-expressions in the real long-video sheets.

    Durations in frames and seconds (mean, median, 10-90 % quantiles); then the simulator's calibration.
    """
    from ..datasets.long_videos import database_statistics
    from ..errors import ConfigError
    from ..identity import check_output_dir
    from ..io import atomic_write_json

    names = list(database or DATABASES)
    unknown = [n for n in names if n not in DATABASES]
    if unknown:
        raise ConfigError(f"unknown database {unknown[0]!r}; choose from {', '.join(DATABASES)}")
    if out is not None:
        if out.is_dir():
            raise ConfigError(f"{out}: --out names a folder; give a .json file")
        check_output_dir(out.parent if str(out.parent) else Path("."), "folder of --out")
    from ..simulate.long_calibration import calibration_from_statistics

    tables = {name: database_statistics(name, annotations) for name in names}
    typer.echo(_line(_COLUMNS))
    result, calibrations = {}, []
    for name, stats in tables.items():
        for t in ("micro", "macro", "all"):
            typer.echo(_row(stats, name, t))
        result[name] = {t: {k: _plain(k, v) for k, v in stats.loc[(name, t)].items()} for t in ("micro", "macro", "all")}
        calibrations.append(calibration_from_statistics(name, stats))
    typer.echo("\nsimulator calibration (seconds at quantiles min, q10, q25, median, q75, q90, max):")
    for c in calibrations:
        for t in ("micro", "macro"):
            tc = c.of(t)
            typer.echo(f"{c.name:<10} {t:<6} rate/min {tc.rate_per_minute:.3f}  duration_s {tc.duration_s}")
        typer.echo(f"{c.name:<10} fps {c.fps:g}  video_length_s {c.video_length_s}")
    if out is not None:
        atomic_write_json(out, result)
        typer.echo(f"statistics written to {out}")
