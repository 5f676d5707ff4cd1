"""Folders of numbered frames: ``img46.jpg``, ``006_05562.jpg``, ``image17581039.bmp``, ``0.jpg``.

A frame's number is the last run of digits in its file name; that is the number the coding
sheets use for onset, apex and offset.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import DataError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def explicit_frames_folder(root: Path, frames: str, database: str) -> Path:
    """The frame folder a user named (absolute, or relative to the database ``root``)."""
    path = Path(frames) if Path(frames).is_absolute() else root / frames
    if not path.is_dir():
        raise DataError(f"{database} frame folder is missing", path)
    return path


def frame_number_of(path: str | Path) -> int | None:
    """The last integer in a file's stem (``reg_img46.jpg`` → 46), ``None`` if it has none."""
    m = _LAST_NUMBER.search(Path(path).stem)
    return int(m.group(1)) if m else None


def index_frames(folder: str | Path) -> dict[int, Path]:
    """Frame number → image path for every image in ``folder``, in temporal order.

    Files without a number are numbered by their sorted position, as are all files when two
    share a number (then the numbers in the names cannot be what a sheet refers to).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("frame folder is missing", folder)
    try:
        images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    except OSError as exc:
        raise DataError(f"cannot list frame folder ({exc.strerror or exc})", folder) from exc
    numbers = [frame_number_of(p) for p in images]
    if None in numbers or len(set(numbers)) != len(numbers):
        return dict(enumerate(images))
    return dict(sorted(zip(numbers, images)))


def frames_in_range(index: dict[int, Path], first: int, last: int, folder: str | Path,
                    sheet: str | Path | None = None, row: int | None = None) -> list[str]:
    """Paths of frames ``first..last`` (inclusive); raises :class:`DataError` naming the sheet row
    and the folder when any of them is not on disk."""
    if last < first:
        raise DataError(f"frame range {first}..{last} is empty", sheet or folder, row)
    missing = [n for n in range(first, last + 1) if n not in index]
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (" …" if len(missing) > 5 else "")
        have = f"{min(index)}..{max(index)}" if index else "none"
        raise DataError(f"{len(missing)} of frames {first}..{last} are missing in {folder} "
                        f"(missing {shown}; frames on disk: {have})", sheet or folder, row)
    return [str(index[n]) for n in range(first, last + 1)]


def attach_frames(records: list[dict], sheet: Path, strict: bool) -> None:
    """Fill ``frame_paths`` (onset..offset, or onset..apex when the offset is not coded) of records
    that carry ``frames_dir``; a missing folder or frame raises, or with ``strict=False`` is
    written to ``frames_error`` so that preprocessing can report the clip and skip it."""
    cache: dict[str, dict[int, Path]] = {}
    for r in records:
        r["frame_paths"], r["frames_error"] = [], ""
        try:
            folder = r["frames_dir"]
            if folder not in cache:
                cache[folder] = index_frames(folder)
            index = cache[folder]
            if not index:
                raise DataError(f"frame folder {folder} holds no images", sheet, r["sheet_row"])
            last = r["offset"] if r["offset"] is not None else r["apex"]
            r["frame_paths"] = frames_in_range(index, r["onset"], last, folder, sheet, r["sheet_row"])
        except DataError as exc:
            if strict:
                if exc.row is None:
                    raise DataError(str(exc), sheet, r["sheet_row"]) from exc
                raise
            r["frames_error"] = str(exc)
