"""One clip from a video file (mp4, avi … read with OpenCV) or a folder of frames.

Frame numbers are the numbers in the frame file names (``img46.jpg`` → 46; files without
numbers by sorted position); a video's frames are extracted once to a cache folder as
``000000.png`` …, so its frame numbers are 0-based positions. Onset, apex and offset default to
the first, middle and last frame.
"""
from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..io import atomic_write_image, atomic_write_text
from ..labels import normalise_emotion
from .coding_sheet import class_of, resolve_taxonomy
from .frame_folders import frames_in_range, index_frames
from .samples import SampleTable

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv")
UNLABELLED = "unknown"


def default_cache_dir() -> Path:
    """``$MICROEXP_CACHE/frames`` or ``~/.cache/microexp/frames``."""
    return Path(os.environ.get("MICROEXP_CACHE", Path.home() / ".cache" / "microexp")) / "frames"


def extract_frames(video: Path, cache_dir: Path | None = None) -> Path:
    """Decode ``video`` to ``<cache>/<stem>-<key>/000000.png …`` once; the key hashes the
    path, size and modification time, so an edited video is decoded again."""
    import cv2

    st = video.stat()
    key = hashlib.sha1(f"{video.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]
    out = Path(cache_dir or default_cache_dir()) / f"{video.stem}-{key}"
    done = out / "complete.txt"
    if done.is_file():
        return out
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise DataError("cannot open video (unsupported codec or not a video)", video)
    n = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            atomic_write_image(out / f"{n:06d}.png", cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            n += 1
        if n == 0:
            raise DataError("video has no decodable frames", video)
        atomic_write_text(done, f"{n}\n")
    except OSError as exc:  # a full disk or a read-only cache folder
        raise DataError(f"cannot write the frames of {video} to the frame cache ({exc.strerror or exc}); "
                        "pass cache_dir= or set MICROEXP_CACHE", out) from exc
    finally:
        cap.release()
    return out


def _frame_argument(value: object, name: str, path: Path) -> int | None:
    """A key frame given by the caller as a whole, non-negative number (``None``: not given)."""
    if value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number) or number < 0:
        raise DataError(f"{name} {value!r} is not a frame number (a whole number >= 0)", path)
    return int(number)


def load_video(path: str | Path, onset: int | None = None, apex: int | None = None, offset: int | None = None,
               label: str | None = None, *, taxonomy: str | tuple[str, ...] = "megc3", subject: str | None = None,
               cache_dir: str | Path | None = None) -> SampleTable:
    """A one-row :class:`SampleTable` for a video file or a folder of frames.

    ``label`` (an emotion such as ``'happiness'``) is mapped into ``taxonomy``; without one the
    table's only class is ``'unknown'``. Frames ``onset..offset`` must all exist.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("video file or frame folder does not exist", path)
    onset, apex, offset = (_frame_argument(v, n, path) for v, n in ((onset, "onset"), (apex, "apex"),
                                                                    (offset, "offset")))
    if path.is_dir():
        folder = path
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        folder = extract_frames(path, None if cache_dir is None else Path(cache_dir))
    else:
        raise DataError(f"not a video ({', '.join(VIDEO_SUFFIXES)}) nor a folder of frames", path)
    index = index_frames(folder)
    if not index:
        raise DataError("no frames found", folder)
    numbers = list(index)
    first = numbers[0] if onset is None else int(onset)
    last = numbers[-1] if offset is None else int(offset)
    paths = frames_in_range(index, first, last, folder)
    key = numbers[numbers.index(first) + len(paths) // 2] if apex is None else int(apex)
    if not first <= key <= last:
        raise DataError(f"apex {key} is outside onset..offset {first}..{last}", path)

    if label is None:
        emotion, cls, classes = "", UNLABELLED, (UNLABELLED,)
    else:
        emotion = normalise_emotion(label, str(path))
        name, classes = resolve_taxonomy(taxonomy)
        cls = class_of(emotion, name, classes)
        if cls is None:
            raise DataError(f"label {label!r} has no class in taxonomy {name} {list(classes)}", path)
    stem = path.stem if path.is_file() else path.name
    df = pd.DataFrame([{
        "dataset": "video", "subject": subject or f"video/{stem}", "clip": stem, "label": cls,
        "y": classes.index(cls), "onset": first, "apex": key, "offset": last,
        "apex_source": "given" if apex is not None else "middle", "emotion": emotion, "au": "",
        "frames_dir": str(folder), "frame_paths": paths, "frames_error": "", "source": str(path),
    }])
    return SampleTable(df, tuple(classes), {}, name="video")
