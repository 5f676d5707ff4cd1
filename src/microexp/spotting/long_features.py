"""Per-frame motion features of a long recording, streamed: memory does not grow with its length.

A recording arrives as an iterator of RGB frames (:func:`video_frames`, :func:`image_frames`, the
simulator's generator …) and leaves as a small matrix ``(T, D)`` float32 (``D`` =
:data:`FEATURE_DIM`, 26 floats per processed frame) plus each frame's face-tracking quality:
:func:`stream_features` → :class:`LongVideoFeatures`. How a frame becomes a row (sparse face
detection, DIS flow at two distances, region statistics, 200 fps decimation) is
:mod:`.long_stream`; face tracking and flow statistics are :mod:`.long_tracking`.
:func:`cached_features` keeps each recording's features on disk, keyed by its content and the
settings, so a second run over the same video only reads a small ``.npz``.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from .long_stream import (FEATURE_DIM, FEATURE_NAMES, FEATURE_VERSION, FLOW_PRESETS, FOUND, INTERPOLATED, LONG_SPAN_S,
                          LOST, MAX_PROCESSED_FPS, ROI_KEYS, SHORT_SPAN_S, STATUS_NAMES, FeatureSettings, FeatureStream,
                          decimation_step, spans)


@dataclass
class LongVideoFeatures:
    """Features of one recording: ``values`` (T, D) float32 for the processed frames, their
    ``frame_index`` (0-based frame of the recording), tracking ``status`` (0 lost, 1 interpolated,
    2 found), landmark ``jitter`` (RMS change between successive detections, translation removed,
    in eye distances; NaN before the second detection) and ``inside`` (fraction of the face box
    inside the frame)."""

    values: np.ndarray
    frame_index: np.ndarray
    status: np.ndarray
    jitter: np.ndarray
    inside: np.ndarray
    fps: float
    step: int
    n_frames: int
    names: tuple[str, ...] = FEATURE_NAMES
    settings: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Processed frames per second."""
        return self.fps / self.step

    def __len__(self) -> int:
        return len(self.values)

    def to_frames(self, row: int | np.ndarray, side: str = "centre") -> np.ndarray | int:
        """Original frame number(s) of processed row(s): a row stands for ``step`` frames; ``side``
        ``'onset'`` takes the first of them, ``'offset'`` the last, ``'centre'`` the row's own."""
        rows = np.clip(np.asarray(row, np.int64), 0, len(self.frame_index) - 1)
        frames = self.frame_index[rows]
        half = self.step // 2
        if side == "onset":
            frames = frames - half
        elif side == "offset":
            frames = frames + (self.step - 1 - half)
        frames = np.clip(frames, 0, self.n_frames - 1)
        return int(frames) if np.ndim(frames) == 0 else frames

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything as plain arrays (the cache's .npz)."""
        return {"values": self.values, "frame_index": self.frame_index, "status": self.status,
                "jitter": self.jitter, "inside": self.inside,
                "meta": np.array([self.fps, self.step, self.n_frames], np.float64),
                "names": np.array(self.names), "settings": np.array(json.dumps(self.settings, sort_keys=True))}

    @classmethod
    def from_arrays(cls, a) -> "LongVideoFeatures":
        fps, step, n = (float(v) for v in a["meta"])
        settings = json.loads(str(a["settings"])) if "settings" in a else {}
        return cls(np.asarray(a["values"], np.float32), np.asarray(a["frame_index"], np.int64),
                   np.asarray(a["status"], np.int8), np.asarray(a["jitter"], np.float32),
                   np.asarray(a["inside"], np.float32), fps, int(step), int(n),
                   tuple(str(x) for x in a["names"]), settings)

    @property
    def spans(self) -> tuple[int, int]:
        """``(k_short, k_long)``: the two flow distances, in rows."""
        known = {f for f in FeatureSettings.__dataclass_fields__}
        s = FeatureSettings(**{k: v for k, v in self.settings.items() if k in known})
        return spans(self.fps, s)[1:]


def iter_feature_rows(frames: Iterable, fps: float, settings: FeatureSettings | None = None, *,
                      presampled: bool = False) -> Iterator[tuple[int, np.ndarray, int, float, float]]:
    """Yield ``(frame number, features (D,), status, jitter, inside)`` per processed frame, in order.

    ``frames``: an iterator of ``(H, W, 3)`` RGB (or ``(H, W)`` grey) uint8 frames of the whole
    recording; with ``presampled`` it already holds only every ``step``-th frame. Rows come out
    ``k_long`` frames late (their neighbour features need the frames after them); lost frames
    give NaN features.
    """
    stream = FeatureStream(fps, settings, presampled=presampled)
    for frame in frames:
        yield from stream.push(frame)
    yield from stream.close()


def stream_features(frames: Iterable, fps: float, *, settings: FeatureSettings | None = None,
                    presampled: bool = False, n_frames: int | None = None) -> LongVideoFeatures:
    """Features of a whole recording read from an iterator of frames (never held all at once).

    ``n_frames``: the recording's length in original frames (default: what the iterator gave,
    or ``step`` times that with ``presampled``).
    """
    settings = settings or FeatureSettings()
    step = decimation_step(fps, settings.max_fps)
    seen = [0]

    def counted(source):
        for frame in source:
            seen[0] += 1
            yield frame

    rows, index, status, jitter, inside = [], [], [], [], []
    for frame_no, row, st, ji, ins in iter_feature_rows(counted(frames), fps, settings, presampled=presampled):
        rows.append(np.full(FEATURE_DIM, np.nan, np.float32) if st == LOST else row)
        index.append(frame_no)
        status.append(st)
        jitter.append(ji)
        inside.append(ins)
    if not rows:
        raise DataError("the recording holds no frames")
    total = n_frames if n_frames is not None else seen[0] * (step if presampled else 1)
    return LongVideoFeatures(np.stack(rows).astype(np.float32), np.asarray(index, np.int64),
                             np.asarray(status, np.int8), np.asarray(jitter, np.float32),
                             np.asarray(inside, np.float32), float(fps), step, int(total),
                             settings=settings.to_dict())


# --------------------------------------------------------------------------------- frame sources
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm")


def video_frames(path: str | Path, step: int = 1, counter: list | None = None) -> Iterator[np.ndarray]:
    """Every ``step``-th frame of a video file as RGB uint8 (skipped frames are grabbed, never
    converted); ``counter[0]`` ends as the number of frames in the file."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise DataError("cannot open as a video (missing, or a codec OpenCV lacks)", path)
    n = 0
    try:
        while True:
            if n % step:
                if not cap.grab():
                    break
            else:
                ok, frame = cap.read()
                if not ok:
                    break
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            n += 1
            if counter is not None:
                counter[:1] = [n]
    finally:
        cap.release()


def image_frames(paths, step: int = 1) -> Iterator[np.ndarray]:
    """Every ``step``-th image of ``paths`` (a recording's frame files, in order) as RGB uint8."""
    from ..io import read_image

    for p in list(paths)[::step]:
        yield read_image(p, "rgb")


def recording_frames(source: str | Path, step: int = 1, counter: list | None = None) -> Iterator[np.ndarray]:
    """Frames of a recording that is a video file or a folder of numbered frame images."""
    source = Path(source)
    if source.is_dir():
        from ..datasets.frame_folders import index_frames

        paths = list(index_frames(source).values())
        if not paths:
            raise DataError("frame folder holds no images", source)
        if counter is not None:
            counter[:1] = [len(paths)]
        return image_frames(paths, step)
    if not source.is_file():
        raise DataError("recording is missing (expected a video file or a folder of frames)", source)
    return video_frames(source, step, counter)


def recording_digest(source: str | Path) -> str:
    """Content digest of a recording: its video file, or every frame file of its folder."""
    from ..identity import file_digest, files_digest

    source = Path(source)
    if source.is_dir():
        from ..datasets.frame_folders import index_frames

        return files_digest(index_frames(source).values(), root=source)
    return file_digest(source)


# ------------------------------------------------------------------------------------------ cache
def feature_cache_key(source: str | Path, fps: float, settings: FeatureSettings | None = None) -> str:
    """``<content digest>_<settings digest>``: the recording's content, the extractor's settings,
    the frame rate and :data:`FEATURE_VERSION`; the same key means the same features."""
    from ..identity import settings_digest

    s = settings or FeatureSettings()
    described = {**s.to_dict(), "fps": float(fps), "version": FEATURE_VERSION}
    return f"{recording_digest(source)[:24]}_{settings_digest(described)[:16]}"


def load_features(path: str | Path) -> LongVideoFeatures:
    """Features saved by :func:`save_features` (``np.load`` without pickles)."""
    try:
        with np.load(path, allow_pickle=False) as a:
            return LongVideoFeatures.from_arrays(a)
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"not a feature file ({exc})", path) from exc


def save_features(path: str | Path, features: LongVideoFeatures) -> Path:
    from ..io import atomic_write_npz

    return atomic_write_npz(path, **features.arrays())


def cached_features(video_path: str | Path, fps: float, cache_dir: str | Path,
                    settings: FeatureSettings | None = None) -> LongVideoFeatures:
    """Features of a recording (video file or frame folder), computed once and then read from
    ``cache_dir/<key>.npz`` (:func:`feature_cache_key`); a changed file gets a new key."""
    settings = settings or FeatureSettings()
    path = Path(cache_dir) / f"{feature_cache_key(video_path, fps, settings)}.npz"
    if path.is_file():
        try:
            return load_features(path)
        except DataError:
            pass  # a damaged cache file is recomputed
    step = decimation_step(fps, settings.max_fps)
    counter = [0]
    feats = stream_features(recording_frames(video_path, step, counter), fps, settings=settings, presampled=True)
    feats.n_frames = max(int(counter[0]), int(feats.frame_index[-1]) + 1)
    save_features(path, feats)
    return feats


__all__ = [
    "FEATURE_DIM", "FEATURE_NAMES", "FEATURE_VERSION", "FLOW_PRESETS", "FOUND", "INTERPOLATED", "LONG_SPAN_S",
    "LOST", "MAX_PROCESSED_FPS", "ROI_KEYS", "SHORT_SPAN_S", "STATUS_NAMES", "FeatureSettings", "FeatureStream",
    "LongVideoFeatures", "cached_features", "decimation_step", "feature_cache_key", "image_frames",
    "iter_feature_rows", "load_features", "recording_digest", "recording_frames", "save_features", "spans",
    "stream_features", "video_frames",
]
