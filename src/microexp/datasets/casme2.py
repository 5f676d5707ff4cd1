"""CASME II (Yan et al. 2014): 255 coded clips of 26 subjects, 200 fps.

Layout (``root`` holds the coding sheet and one of the frame folders)::

    CASME2-coding-20140508.xlsx            Sheet1: Subject, Filename, OnsetFrame, ApexFrame,
                                           OffsetFrame, Action Units, Estimated Emotion
    CASME2_RAW_selected/sub01/EP02_01f/img46.jpg …   (or Cropped/sub01/EP02_01f/reg_img46.jpg …)

Sheet oddities and the rule applied: frame numbers are ints, floats or text; an apex coded
``'/'`` becomes the middle of onset..offset (``apex_source='middle'``); an offset of 0 means
"not coded" and the clip then runs onset..apex (see :func:`coding_sheet.key_frames`); action
units are kept as text (``12`` → ``'12'``). All 255 rows of the 2014-05-08 sheet parse; the
standard 5-class subset has 246 (32 happiness, 25 surprise, 63 disgust, 27 repression, 99 others).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import DataError
from .coding_sheet import (au_string, cell_text, emotion_of, find_sheet_file, key_frames, read_coding_sheet,
                           resolve_taxonomy, table_from_records)
from .frame_folders import explicit_frames_folder
from .samples import SampleTable

SHEET_NAME = "Sheet1"
COLUMNS = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion")
FRAME_FOLDERS = ("CASME2_RAW_selected", "Cropped", "CASME2_RAW", "CASME2_Cropped")


def subject_folder(value: object) -> str:
    """``'01'``, ``1``, ``1.0`` or ``'sub01'`` → ``'sub01'`` (other text is kept: ``'subXY'``)."""
    text = str(value).strip()
    if text.lower().startswith("sub"):
        text = text[3:]
    return f"sub{int(float(text)):02d}" if re.fullmatch(r"[0-9]+(\.0*)?", text) else f"sub{text}"


def _frames_root(root: Path, frames: str | None) -> Path:
    if frames is not None:
        return explicit_frames_folder(root, frames, "CASME II")
    for name in FRAME_FOLDERS:
        if (root / name).is_dir():
            return root / name
    if any(root.glob("sub*/EP*")):
        return root
    raise DataError(f"no CASME II frame folder ({' or '.join(FRAME_FOLDERS)}) found; "
                    "pass frames=NAME or annotations_only=True", root)


def load_casme2(root: str | Path, *, taxonomy: str | Sequence[str] = "casme2_5", sheet: str | Path | None = None,
                frames: str | None = None, annotations_only: bool = False, strict: bool = True) -> SampleTable:
    """CASME II clips under ``taxonomy`` (``casme2_5``, ``megc3`` …); rows outside it are dropped
    and counted in ``table.df.attrs['dropped']``.

    ``frames`` names the frame folder (default: the first of :data:`FRAME_FOLDERS` present);
    ``annotations_only`` reads the sheet alone; ``strict=False`` records missing frames in
    ``frames_error`` instead of raising (preprocessing then reports and skips those clips).
    """
    resolve_taxonomy(taxonomy)  # fail on a wrong name before reading anything
    root = Path(root)
    if not root.exists():
        raise DataError("CASME II root does not exist", root)
    sheet_path = Path(sheet) if sheet is not None else find_sheet_file(root, ["CASME2-coding-*.xlsx", "CASME2*.xlsx"],
                                                                       "CASME II")
    rows = read_coding_sheet(sheet_path, SHEET_NAME, COLUMNS)
    frames_root = None if annotations_only else _frames_root(root if root.is_dir() else root.parent, frames)
    records = []
    for _, r in rows.iterrows():
        line = int(r["sheet_row"])
        onset, apex, offset, apex_source = key_frames(r["OnsetFrame"], r["ApexFrame"], r["OffsetFrame"], sheet_path,
                                                      line, COLUMNS[2:5])
        if not cell_text(r["Subject"]) or not cell_text(r["Filename"]):
            raise DataError("Subject or Filename is empty", sheet_path, line)
        sub, clip = subject_folder(cell_text(r["Subject"])), cell_text(r["Filename"])
        records.append({
            "dataset": "casme2", "subject": f"casme2/{sub}", "clip": clip,
            "onset": onset, "apex": apex, "offset": offset, "apex_source": apex_source,
            "emotion": emotion_of(r["Estimated Emotion"], sheet_path, line), "au": au_string(r["Action Units"]),
            "sheet_row": line,
            "frames_dir": "" if frames_root is None else str(frames_root / sub / clip),
        })
    return table_from_records(records, taxonomy, "casme2", sheet_path, with_frames=frames_root is not None,
                              strict=strict)
