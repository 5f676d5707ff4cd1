"""A simulated long-video spotting dataset: several recordings per synthetic person and ONE
ground-truth sheet in CAS(ME)^3's long-video CSV layout, read back like the real sheets.

Layout written under ``out``::

    videos/s01/v01.mp4 …                          or frames/s01/v01/0.jpg, 1.jpg, …
    cas3_longvideo_intervals.csv                  the intervals (frames from 0; apex, aus, emotion)
    cas3_longvideo_intervals_duration.csv         every video's frame count and frame rate
    simulation.json                               settings; per video its file, the face's scale,
                                                  the person and the nuisance events

The same arguments give the same frames and the same sheet.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from ..io import atomic_write_json
from ..labels import to_megc3
from .long_recording import SIMULATED_DATASET, simulate_recording, write_recording
from .long_schedule import LongRecordingProfile, recording_profile

#: Layout of a simulated long-video dataset (see :func:`simulate_long_dataset`).
VIDEOS_FOLDER, FRAMES_FOLDER, SIMULATION_FILE = "videos", "frames", "simulation.json"
#: Format tag of ``simulation.json``, to recognise (and safely overwrite) an earlier simulation.
LONG_FORMAT = "microexp.simulate.long/1"
FORMATS = ("mp4", "frames")


@dataclass
class LongSimulationSummary:
    """What :func:`simulate_long_dataset` wrote: ``intervals`` (as :func:`load_simulated_long`
    reads them), the ``sheet`` path and per-video details in ``videos``."""

    root: Path
    sheet: Path
    intervals: pd.DataFrame
    videos: list[dict] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n_frames(self) -> int:
        return int(sum(v["n_frames"] for v in self.videos))

    def to_dict(self) -> dict:
        counts = self.intervals["type"].value_counts()
        return {"root": str(self.root), "sheet": str(self.sheet), "n_videos": len(self.videos),
                "n_frames": self.n_frames, "micro": int(counts.get("micro", 0)), "macro": int(counts.get("macro", 0)),
                "seconds": round(self.seconds, 2)}


def video_path(root: str | Path, subject: str, video: str, format: str = "mp4") -> Path:
    """Where :func:`simulate_long_dataset` puts a video: ``videos/<subject>/<video>.mp4`` or the
    frame folder ``frames/<subject>/<video>/`` (the latter is what
    ``video_frame_paths("casme3_lv", root / "frames", subject, video)`` lists)."""
    if format not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    root = Path(root)
    return root / VIDEOS_FOLDER / subject / f"{video}.mp4" if format == "mp4" else root / FRAMES_FOLDER / subject / video


def _prepare_out_dir(root: Path) -> None:
    from ..datasets.long_videos import CASME3_LV_CSV

    if any(root.iterdir()):
        marker = root / SIMULATION_FILE
        if not marker.is_file() or LONG_FORMAT not in marker.read_text(errors="replace")[:200]:
            raise ConfigError(f"{root} is not empty and does not hold an earlier long-recording simulation; "
                              "choose an empty or new folder")
        for name in (VIDEOS_FOLDER, FRAMES_FOLDER, CASME3_LV_CSV, CASME3_LV_CSV.replace(".csv", "_duration.csv")):
            p = root / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    atomic_write_json(root / SIMULATION_FILE, {"format": LONG_FORMAT, "complete": False})


def simulate_long_dataset(out: str | Path, *, subjects: int = 2, videos_per_subject: int = 2,
                          minutes: float | None = None, fps: float | None = None, seed: int = 0,
                          profile: str | LongRecordingProfile = "casme_sq", format: str = "mp4",
                          **overrides) -> LongSimulationSummary:
    """Simulate ``videos_per_subject`` recordings of each of ``subjects`` synthetic people into
    ``out``: the videos (see :func:`video_path`), ONE ground-truth sheet in CAS(ME)^3's CSV layout
    (``cas3_longvideo_intervals.csv`` + ``…_duration.csv``, read by :func:`load_simulated_long`)
    and ``simulation.json`` (settings; per video its file, head placement and nuisance events).

    ``minutes``: length of every recording (default: the profile's median video length);
    ``fps`` and ``overrides`` replace profile settings (see :func:`recording_profile`).
    """
    from ..datasets.long_videos import VIDEO_COLUMNS, write_long_video_sheet
    from ..identity import check_output_dir

    if subjects < 1 or videos_per_subject < 1:
        raise ConfigError(f"need at least one subject and one video, got {subjects} x {videos_per_subject}")
    if format not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    prof = recording_profile(profile, fps=fps, **overrides)
    started = time.perf_counter()
    root = check_output_dir(out, "simulation folder")
    _prepare_out_dir(root)
    tables, videos = [], []
    for i in range(subjects):
        for j in range(videos_per_subject):
            rec = simulate_recording(prof, minutes=minutes, seed=seed, subject_index=i, video_index=j)
            target = video_path(root, rec.subject, rec.video, format)
            write_recording(target, rec)
            table = rec.intervals
            table.attrs = {}  # the video tables go separately: pandas cannot compare them when concatenating
            tables.append(table)
            videos.append({"subject": rec.subject, "video": rec.video, "file": str(target.relative_to(root)),
                           "n_frames": rec.n_frames, "fps": rec.fps, "face_scale": round(rec.scale, 4),
                           "identity": rec.identity.params, "nuisance_events": rec.nuisance_events})
    intervals = pd.concat(tables, ignore_index=True)
    video_table = pd.DataFrame([(SIMULATED_DATASET, v["subject"], v["video"], v["n_frames"], v["fps"], 0)
                                for v in videos], columns=list(VIDEO_COLUMNS))
    sheet = write_long_video_sheet(intervals, root, videos=video_table, prefix="simulated")
    config = {"subjects": subjects, "videos_per_subject": videos_per_subject, "minutes": minutes, "seed": int(seed),
              "format": format, "profile": prof.to_dict()}
    atomic_write_json(root / SIMULATION_FILE, {"format": LONG_FORMAT, "complete": True, "config": config,
                                               "videos": videos})
    return LongSimulationSummary(root, sheet, load_simulated_long(root), videos, config,
                                 time.perf_counter() - started)


def load_simulated_long(root: str | Path) -> pd.DataFrame:
    """The interval table of a simulated long-video dataset (the folder or its sheet), as
    :func:`microexp.datasets.long_videos.load_casme3_lv` reads it, with ``emotion_class``
    (negative, positive, surprise, others) filled in from the emotion."""
    from ..datasets.long_videos import load_casme3_lv

    df = load_casme3_lv(root, dataset=SIMULATED_DATASET)
    df["emotion_class"] = [(to_megc3(e) or "others") if e else "" for e in df["emotion"]]
    return df
