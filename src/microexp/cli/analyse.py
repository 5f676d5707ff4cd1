"""``microexp analyse``: one new clip end to end (face, apex, motion, class) with an HTML report."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


#: A recording no longer than this is analysed as one clip in ``--mode auto``.
SHORT_CLIP_S = 3.0


def register(app: typer.Typer) -> None:
    app.command("analyse")(analyse_command)


def analyse_command(
    source: str = typer.Argument(..., help="A video file or a folder of frames of one person; or a folder of videos, "
                                           "or a quoted glob ('videos/*.mp4'), for one report each."),
    model: str = typer.Option("builtin", help="Recogniser: builtin (STSTNet shipped with microexp, trained on simulated "
                                              "faces only; the page gives its scores on real samples it never saw), "
                                              "or a model folder written by `microexp train` (checked on "
                                              "load: it cannot run code)."),
    out: Path = typer.Option(..., help="Report folder to write (index.html, report.json, pictures)."),
    onset: Optional[int] = typer.Option(None, help="Onset frame number of a clip (default: the first frame)."),
    apex: Optional[int] = typer.Option(None, help="Apex frame number of a clip (default: spotted from the motion)."),
    offset: Optional[int] = typer.Option(None, help="Offset frame number of a clip (default: the last frame)."),
    fps: Optional[float] = typer.Option(None, help="Frame rate (default: the video's; 30 for a frame folder)."),
    mode: str = typer.Option("auto", help="clip (one expression: one class), recording (spot every expression), or "
                                          "auto: a clip when --onset/--apex/--offset is given or it lasts at most "
                                          f"{SHORT_CLIP_S:g} s."),
    spotter: str = typer.Option("builtin", help="Spotter of a whole recording: builtin (the learned spotter shipped "
                                                "with microexp, trained on simulated recordings only), training-free "
                                                "(the MEGC-baseline-style spotter with fixed thresholds), or a spotter "
                                                "folder (`microexp spot-long --save-spotter`)."),
    whole_frame_face: bool = typer.Option(False, "--whole-frame-face",
                                          help="The frames are tight face crops: take the whole frame as the face "
                                               "when the detector finds none (clip mode)."),
    cache_dir: Optional[Path] = typer.Option(None, help="Cache of extracted frames and motion features "
                                                        "(default ~/.cache/microexp)."),
    backend: str = typer.Option("local", help="Many recordings: local worker processes or ray."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address to join (default: start a local one)."),
    jobs: Optional[int] = typer.Option(None, help="Many recordings: how many at once (default: number of cores)."),
    truth: Optional[Path] = typer.Option(None, help="A recording's ground truth: a long-video sheet holding its coded "
                                                    "intervals (the page then scores the spotting against them, MEGC "
                                                    "style). Its video is the one named like the recording, or "
                                                    "--truth-video; frame numbers as the database numbers its frame "
                                                    "files."),
    truth_database: str = typer.Option("casme3_lv", help="Layout of the --truth sheet: casme3_lv (CAS(ME)^3's CSV, "
                                                         "also what simulate-long and an analysis's intervals.csv "
                                                         "use), casme_sq (CAS(ME)^2) or samm_lv (SAMM Long Videos)."),
    truth_video: Optional[str] = typer.Option(None, help="Which video of the --truth sheet is the recording: "
                                                         "SUBJECT/VIDEO or VIDEO (one recording only)."),
) -> None:
    """Analyse a clip (face, apex, onset→apex motion, MEGC class) or a whole recording (every micro-
    and macro-expression spotted, each micro-expression recognised) and write an interactive page.
    Frame numbers: a video's frames count from 0; a folder's come from its file names in a clip, and
    count from 0 in reading order in a recording."""
    from ..errors import ConfigError
    from ..identity import check_output_dir
    from ..pipeline.analyse_recording import analyse_many, analyse_recording, recording_sources

    from ..recognisers.model_folder import load_trained

    if out.exists() and not out.is_dir():
        check_output_dir(out)  # names the file in the way
    if mode not in ("auto", "clip", "recording"):
        raise ConfigError(f"unknown --mode {mode!r}; expected auto, clip or recording")
    model = load_trained(model).directory  # a bad or tampered model folder is refused before the source is opened
    if mode != "clip":
        from ..pipeline.analyse_recording import load_spotter

        load_spotter(spotter)  # so is a bad spotter folder
    if truth is None and truth_video is not None:
        raise ConfigError("--truth-video names a video of the --truth sheet; give the sheet too")
    sources = recording_sources(source)
    if len(sources) > 1 or (Path(source).is_dir() and sources[0] != Path(source)):
        if truth_video is not None:
            raise ConfigError("--truth-video names one recording's video; with many recordings each one's "
                              "video is found in the sheet by its name")
        if truth is not None:
            from ..datasets.long_videos import load_long_video_intervals

            load_long_video_intervals(truth_database, truth)  # a bad sheet is refused before any worker starts
        index = analyse_many(sources, model, out, spotter_dir=spotter, fps=fps, cache_dir=cache_dir,
                             backend=backend, jobs=jobs, address=address, truth_sheet=truth,
                             truth_database=truth_database, echo=typer.echo)
        typer.echo(str(index))
        return
    src = sources[0]
    clip = mode == "clip" or (mode == "auto" and (any(v is not None for v in (onset, apex, offset))
                                                  or _is_short(src, fps)))
    if clip and truth is not None:
        raise ConfigError("--truth scores the spotting of a whole recording; this source is analysed as one clip "
                          "(give --mode recording)")
    truth_table = None
    if truth is not None and not clip:
        from ..pipeline.recording_truth import truth_for_recording

        truth_table = truth_for_recording(truth, src, database=truth_database, video=truth_video)
    check_output_dir(out)  # created only once every input has been checked
    if clip:
        from ..pipeline.analyse import analyse_clip

        result = analyse_clip(src, model, out, onset=onset, apex=apex, offset=offset, fps=fps,
                              whole_frame_face=whole_frame_face, cache_dir=cache_dir, echo=typer.echo)
    else:
        result = analyse_recording(src, model, out, spotter_dir=spotter, fps=fps,
                                   cache_dir=None if cache_dir is None else cache_dir / "features",
                                   truth=truth_table, echo=typer.echo)
    typer.echo(str(result.index_html))


def _is_short(source: Path, fps: float | None) -> bool:
    from ..errors import DataError
    from ..pipeline.analyse_recording import recording_fps

    if source.is_dir():
        from ..datasets.frame_folders import index_frames

        return len(index_frames(source)) <= SHORT_CLIP_S * (fps or 30.0)
    import cv2

    if not source.is_file():
        raise DataError("recording is missing (expected a video file or a folder of frames)", source)
    cap = cv2.VideoCapture(str(source))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if cap.isOpened() else 0
    cap.release()
    return n <= SHORT_CLIP_S * recording_fps(source, fps)
