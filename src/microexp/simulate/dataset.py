"""A whole simulated database in CASME II's on-disk layout, with its ground truth.

Layout written under ``out_dir``::

    CASME2_RAW_selected/sub01/EP07_02/img113.jpg …   frames onset..offset, numbered as in CASME II
    CASME2-coding-20140508.xlsx                      Sheet1 with CASME II's columns
    ground_truth.json                                per clip: emotion, AUs, apex index, AU curves …
    ground_truth_landmarks.npz                       per clip: (n_frames, 68, 2) true landmarks
    simulation.yaml                                  the resolved settings

Every random choice comes from streams seeded by ``seed`` (and the subject and clip numbers), so
the same arguments give byte-identical files, whatever the number of worker processes.
"""
from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..io import atomic_write_json, atomic_write_npz, atomic_write_text
from ..labels import to_megc3
from .casme2_sheet import write_casme2_sheet
from .clip import render_clip
from .emotions import DEFAULT_EMOTION_WEIGHTS, allocate_emotions
from .identities import DEFAULT_FRAME_SIZE, make_identity
from .nuisances import nuisance_config
from .timeline import DURATION_RANGE_S, sample_timeline

FRAMES_FOLDER = "CASME2_RAW_selected"
SHEET_NAME = "CASME2-coding-20140508.xlsx"
GROUND_TRUTH = "ground_truth.json"
LANDMARKS = "ground_truth_landmarks.npz"
CONFIG = "simulation.yaml"
#: Ground-truth format tag, to recognise (and safely overwrite) an earlier simulation.
FORMAT = "microexp.simulate/1"


@dataclass
class SimulationSummary:
    """Where a simulated dataset was written and what it holds."""

    root: Path
    n_subjects: int
    n_clips: int
    n_frames: int
    emotions: dict[str, int]
    megc3: dict[str, int]
    config: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def frames_root(self) -> Path:
        return self.root / FRAMES_FOLDER

    @property
    def coding_sheet(self) -> Path:
        return self.root / SHEET_NAME

    @property
    def ground_truth(self) -> Path:
        return self.root / GROUND_TRUTH

    def to_dict(self) -> dict:
        return {"root": str(self.root), "n_subjects": self.n_subjects, "n_clips": self.n_clips,
                "n_frames": self.n_frames, "emotions": self.emotions, "megc3": self.megc3,
                "seconds": round(self.seconds, 2)}


def _clip_names(rng: np.random.Generator, n: int) -> list[str]:
    """CASME II-like clip names, unique within a subject: ``EP<video>_<take>`` with an optional ``f``."""
    videos = rng.permutation(np.arange(1, 20))
    names, last_take = [], {}
    for j in range(n):
        video = int(videos[j % len(videos)])
        take = j // len(videos) + int(rng.integers(1, 6))
        take = max(take, last_take.get(video, 0) + 1)  # a later take of the same video gets a later number
        last_take[video] = take
        names.append(f"EP{video:02d}_{take:02d}" + ("f" if rng.random() < 0.25 else ""))
    return names


def _simulate_subject(job: dict) -> dict:
    """Render and write one subject's clips; returns its sheet rows, truths and landmarks."""
    import cv2

    seed, index = job["seed"], job["index"]
    cfg = nuisance_config(job["difficulty"], job["noise"])
    identity = make_identity(index, seed, tuple(job["frame_size"]))
    folder = f"sub{identity.subject}"
    final = Path(job["frames_root"]) / folder
    tmp = Path(job["frames_root"]) / f".{folder}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    names = _clip_names(np.random.default_rng([seed, index, 0xC1]), len(job["emotions"]))
    rows, truths, landmarks, n_frames = [], [], {}, 0
    for j, (emotion, name) in enumerate(zip(job["emotions"], names)):
        rng = np.random.default_rng([seed, index, j, 0xC2])
        timeline = sample_timeline(rng, job["fps"], tuple(job["duration_range_s"]))
        frames, truth = render_clip(identity, emotion, fps=job["fps"], amplitude=job["amplitude"], nuisances=cfg,
                                    timeline=timeline, seed=rng)
        onset = int(rng.integers(1, 200))
        offset = onset + truth.n_frames - 1
        apex = onset + truth.apex_index
        clip_dir = tmp / name
        clip_dir.mkdir(parents=True)
        for k, frame in enumerate(frames):
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_JPEG_QUALITY, int(cfg.jpeg_quality)])
            if not ok:
                raise ConfigError(f"JPEG encoding failed for {clip_dir}/img{onset + k}.jpg")
            (clip_dir / f"img{onset + k}.jpg").write_bytes(buf.tobytes())
        n_frames += truth.n_frames
        rows.append({"Subject": identity.subject, "Filename": name, "OnsetFrame": onset, "ApexFrame": apex,
                     "OffsetFrame": offset, "Action Units": truth.action_units, "Estimated Emotion": emotion})
        truths.append({"subject": identity.subject, "folder": folder, "filename": name, "onset_frame": onset,
                       "apex_frame": apex, "offset_frame": offset, **truth.to_dict()})
        landmarks[f"{folder}/{name}"] = truth.landmarks.astype(np.float32)
    if final.exists():
        shutil.rmtree(final)
    if tmp.exists():
        os.replace(tmp, final)
    return {"subject": identity.subject, "identity": identity.params, "rows": rows, "truths": truths,
            "landmarks": landmarks, "n_frames": n_frames}


def _prepare_out_dir(root: Path) -> None:
    if root.exists() and any(root.iterdir()):
        gt = root / GROUND_TRUTH
        if not gt.is_file() or FORMAT not in gt.read_text(errors="replace")[:400]:
            raise ConfigError(f"{root} is not empty and does not hold an earlier simulation; "
                              "choose an empty or new folder")
        for name in (FRAMES_FOLDER, SHEET_NAME, GROUND_TRUTH, LANDMARKS, CONFIG):
            p = root / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    root.mkdir(parents=True, exist_ok=True)


def simulate_dataset(out_dir: str | Path, *, subjects: int = 12, clips_per_subject: int = 12, seed: int = 0,
                     fps: float = 200.0, amplitude: float = 1.0, difficulty: str = "medium",
                     noise: float | None = None, emotion_weights: dict[str, float] | None = None,
                     frame_size: tuple[int, int] = DEFAULT_FRAME_SIZE,
                     duration_range_s: tuple[float, float] = DURATION_RANGE_S, workers: int = 1) -> SimulationSummary:
    """Simulate ``subjects`` × ``clips_per_subject`` clips into ``out_dir`` (see the module docstring).

    ``amplitude`` scales every expression (0: faces that do not move except for nuisances);
    ``difficulty`` picks the nuisance preset (none, easy, medium, hard) and ``noise`` overrides its
    sensor noise (grey levels); ``emotion_weights`` sets the mix of CASME II emotions;
    ``frame_size`` is (width, height); ``workers`` > 1 renders subjects in parallel processes.
    """
    if subjects < 1 or clips_per_subject < 1:
        raise ConfigError(f"need at least one subject and one clip, got {subjects} x {clips_per_subject}")
    if subjects > 99:
        raise ConfigError("CASME II's layout numbers subjects with two digits: at most 99 subjects")
    if amplitude < 0:
        raise ConfigError(f"amplitude must be >= 0, got {amplitude}")
    cfg = nuisance_config(difficulty, noise)
    weights = dict(emotion_weights or DEFAULT_EMOTION_WEIGHTS)
    started = time.perf_counter()
    root = Path(out_dir)
    _prepare_out_dir(root)
    frames_root = root / FRAMES_FOLDER
    frames_root.mkdir(parents=True, exist_ok=True)

    emotions = allocate_emotions(subjects * clips_per_subject, weights, np.random.default_rng([seed, 0xE]))
    config = {"subjects": subjects, "clips_per_subject": clips_per_subject, "seed": int(seed), "fps": float(fps),
              "amplitude": float(amplitude), "difficulty": difficulty, "noise": None if noise is None else float(noise),
              "nuisances": cfg.to_dict(), "emotion_weights": weights, "frame_size": list(frame_size),
              "duration_range_s": list(duration_range_s)}
    jobs = [{"seed": int(seed), "index": i, "difficulty": difficulty, "noise": noise, "fps": float(fps),
             "amplitude": float(amplitude), "frame_size": list(frame_size), "duration_range_s": list(duration_range_s),
             "frames_root": str(frames_root), "emotions": emotions[i * clips_per_subject:(i + 1) * clips_per_subject]}
            for i in range(subjects)]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_simulate_subject, jobs))
    else:
        results = [_simulate_subject(job) for job in jobs]

    rows = [r for res in results for r in res["rows"]]
    truths = [t for res in results for t in res["truths"]]
    order = sorted(range(len(rows)), key=lambda k: (rows[k]["Subject"], rows[k]["Filename"]))
    rows, truths = [rows[k] for k in order], [truths[k] for k in order]
    landmarks = {k: v for res in results for k, v in sorted(res["landmarks"].items())}

    import yaml

    atomic_write_text(root / CONFIG, yaml.safe_dump(config, sort_keys=False))
    atomic_write_npz(root / LANDMARKS, **landmarks)
    atomic_write_json(root / GROUND_TRUTH, {
        "format": FORMAT, "config": config,
        "identities": {res["subject"]: res["identity"] for res in results},
        "clips": truths,
    })
    write_casme2_sheet(root / SHEET_NAME, rows)  # last: a dataset with a sheet is complete

    counts: dict[str, int] = {}
    for e in emotions:
        counts[e] = counts.get(e, 0) + 1
    megc: dict[str, int] = {}
    for e in emotions:
        m = to_megc3(e)
        if m is not None:
            megc[m] = megc.get(m, 0) + 1
    return SimulationSummary(root, subjects, len(rows), sum(res["n_frames"] for res in results),
                             dict(sorted(counts.items())), dict(sorted(megc.items())), config,
                             time.perf_counter() - started)


def read_ground_truth(root: str | Path) -> dict:
    """The ``ground_truth.json`` of a simulated dataset, with each clip's ``landmarks`` array added."""
    import json

    root = Path(root)
    from ..errors import DataError

    path = root / GROUND_TRUTH
    if not path.is_file():
        raise DataError("simulated dataset has no ground truth file", path)
    truth = json.loads(path.read_text())
    lm_path = root / LANDMARKS
    if lm_path.is_file():
        with np.load(lm_path) as lm:
            for clip in truth["clips"]:
                key = f"{clip['folder']}/{clip['filename']}"
                if key in lm:
                    clip["landmarks"] = lm[key]
    return truth
