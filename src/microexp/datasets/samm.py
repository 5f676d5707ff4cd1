"""SAMM (Davison et al. 2018): 159 micro-movements of 29 subjects, 200 fps, grayscale.

Layout (``root`` holds the coding sheet and one folder per subject)::

    SAMM.xlsx                      sheet MICRO_ONLY: Subject, Filename, Inducement Code, Onset Frame,
                                   Apex Frame, Offset Frame, Duration, Micro, Action Units,
                                   Estimated Emotion, Objective Classes, Notes
    006/006_1_2/006_05562.jpg …    <subject>/<clip>/<subject>_<frame>.jpg

The header row is found wherever it is in the first rows (some copies carry a title above it).
``taxonomy='samm_objective'`` uses the Objective Classes column ("1" … "7").
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

SHEET_NAME = "MICRO_ONLY"
COLUMNS = ("Subject", "Filename", "Onset Frame", "Apex Frame", "Offset Frame", "Action Units",
           "Estimated Emotion", "Objective Classes")
#: A cell that holds a whole number (``6``, ``'006'``, ``6.0``); anything else is kept as text.
_WHOLE_NUMBER = re.compile(r"[0-9]+(\.0*)?")


def subject_code(value: object) -> str:
    """``6``, ``'6'``, ``6.0`` or ``'006'`` → ``'006'`` (other text is kept as it is)."""
    text = cell_text(value)
    return f"{int(float(text)):03d}" if _WHOLE_NUMBER.fullmatch(text) else text


def _objective(value: object) -> str | None:
    text = cell_text(value)
    return str(int(float(text))) if _WHOLE_NUMBER.fullmatch(text) else None


def _frames_root(root: Path, frames: str | None) -> Path:
    if frames is not None:
        return explicit_frames_folder(root, frames, "SAMM")
    for candidate in (root, root / "SAMM"):
        if candidate.is_dir() and any(p.is_dir() and p.name.isdigit() for p in candidate.iterdir()):
            return candidate
    raise DataError("no SAMM subject folders (006/, 007/ …) found; pass frames=NAME or annotations_only=True", root)


def load_samm(root: str | Path, *, taxonomy: str | Sequence[str] = "samm_emotion", sheet: str | Path | None = None,
              frames: str | None = None, annotations_only: bool = False, strict: bool = True) -> SampleTable:
    """SAMM clips under ``taxonomy`` (``samm_emotion``, ``samm_objective``, ``megc3`` …); rows
    outside it are dropped and counted in ``table.df.attrs['dropped']``. Options as
    :func:`microexp.datasets.casme2.load_casme2`."""
    resolve_taxonomy(taxonomy)  # fail on a wrong name before reading anything
    root = Path(root)
    if not root.exists():
        raise DataError("SAMM root does not exist", root)
    sheet_path = Path(sheet) if sheet is not None else find_sheet_file(root, ["SAMM*.xlsx", "*.xlsx"], "SAMM")
    rows = read_coding_sheet(sheet_path, SHEET_NAME, COLUMNS)
    frames_root = None if annotations_only else _frames_root(root if root.is_dir() else root.parent, frames)
    records = []
    for _, r in rows.iterrows():
        line = int(r["sheet_row"])
        onset, apex, offset, apex_source = key_frames(r["Onset Frame"], r["Apex Frame"], r["Offset Frame"],
                                                      sheet_path, line, COLUMNS[2:5])
        if not cell_text(r["Subject"]) or not cell_text(r["Filename"]):
            raise DataError("Subject or Filename is empty", sheet_path, line)
        sub, clip = subject_code(r["Subject"]), cell_text(r["Filename"])
        records.append({
            "dataset": "samm", "subject": f"samm/{sub}", "clip": clip,
            "onset": onset, "apex": apex, "offset": offset, "apex_source": apex_source,
            "emotion": emotion_of(r["Estimated Emotion"], sheet_path, line), "au": au_string(r["Action Units"]),
            "objective_class": _objective(r["Objective Classes"]), "sheet_row": line,
            "frames_dir": "" if frames_root is None else str(frames_root / sub / clip),
        })
    return table_from_records(records, taxonomy, "samm", sheet_path, with_frames=frames_root is not None,
                              strict=strict)
