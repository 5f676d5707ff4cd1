"""CAS(ME)^3 part A (Li et al. 2022): 860 coded micro-expressions of 100 subjects, 30 fps.

Layout (``root`` holds the coding sheet and the part A frames)::

    casme3_table.xlsx                 sheet label: Subject, Filename, Onset, Apex, Offset, AU,
                                      Objective class, emotion
    spNO.1/a/color/355.jpg …          <Subject>/<Filename>/color/<frame>.jpg  (also without color/,
                                      and under part_A/data/part_A/ as the release unpacks)

``Filename`` names a long recording (``a`` … ``m``) that holds several micro-expressions, so the
clip id is ``<filename>_<onset>`` (``a_355``). Sheet oddities and the rules applied: ``'J'`` for
``'j'`` (file names are lower-cased), ``'Others'`` for ``'others'``, ``'sad'``/``'happy'`` for
``sadness``/``happiness``; an Offset of 0 (two rows) means "not coded" and the clip runs
onset..apex; the Roman objective classes I…VII become ``'1'`` … ``'7'`` (``samm_objective``).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import DataError
from ..labels import CASME3_7CLASS
from .coding_sheet import (au_string, cell_text, emotion_of, find_sheet_file, key_frames, read_coding_sheet,
                           resolve_taxonomy, table_from_records)
from .frame_folders import explicit_frames_folder
from .samples import SampleTable

SHEET_NAME = "label"
COLUMNS = ("Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion")
#: CAS(ME)^3's seven emotion classes (Li et al. 2022, Table 3), in canonical names.
_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "VII": "7"}
_FRAME_ROOTS = ("", "part_A", "part_A/data/part_A", "data/part_A")


def _objective_class(value: object) -> str | None:
    """``'II'`` (as the sheet codes it) or ``2`` → ``'2'``; anything else → ``None``."""
    text = cell_text(value).upper().removesuffix(".0")
    return _ROMAN.get(text, text if text in _ROMAN.values() else None)


def _frames_root(root: Path, frames: str | None) -> Path:
    if frames is not None:
        return explicit_frames_folder(root, frames, "CAS(ME)^3")
    for rel in _FRAME_ROOTS:
        candidate = root / rel
        if candidate.is_dir() and any(candidate.glob("spNO.*")):
            return candidate
    raise DataError("no CAS(ME)^3 subject folders (spNO.1/ …) found; pass frames=NAME or annotations_only=True", root)


def _clip_folder(frames_root: Path, subject: str, filename: str) -> Path:
    base = frames_root / subject / filename
    return base / "color" if (base / "color").is_dir() else base


def load_casme3(root: str | Path, *, taxonomy: str | Sequence[str] = CASME3_7CLASS, sheet: str | Path | None = None,
                frames: str | None = None, annotations_only: bool = False, strict: bool = True) -> SampleTable:
    """CAS(ME)^3 part A micro-expressions under ``taxonomy`` (default its seven emotions;
    ``megc3``, ``samm_objective`` …); options as :func:`microexp.datasets.casme2.load_casme2`."""
    resolve_taxonomy(taxonomy)  # fail on a wrong name before reading anything
    root = Path(root)
    if not root.exists():
        raise DataError("CAS(ME)^3 root does not exist", root)
    sheet_path = Path(sheet) if sheet is not None else find_sheet_file(root, ["casme3*.xlsx", "CAS(ME)*.xlsx"],
                                                                       "CAS(ME)^3")
    rows = read_coding_sheet(sheet_path, SHEET_NAME, COLUMNS)
    frames_root = None if annotations_only else _frames_root(root if root.is_dir() else root.parent, frames)
    records = []
    for _, r in rows.iterrows():
        line = int(r["sheet_row"])
        onset, apex, offset, apex_source = key_frames(r["Onset"], r["Apex"], r["Offset"], sheet_path, line,
                                                      COLUMNS[2:5])
        sub, name = cell_text(r["Subject"]), cell_text(r["Filename"]).lower()
        if not sub or not name:
            raise DataError("Subject or Filename is empty", sheet_path, line)
        records.append({
            "dataset": "casme3", "subject": f"casme3/{sub}", "clip": f"{name}_{onset}", "recording": name,
            "onset": onset, "apex": apex, "offset": offset, "apex_source": apex_source,
            "emotion": emotion_of(r["emotion"], sheet_path, line), "au": au_string(r["AU"]),
            "objective_class": _objective_class(r["Objective class"]), "sheet_row": line,
            "frames_dir": "" if frames_root is None else str(_clip_folder(frames_root, sub, name)),
        })
    return table_from_records(records, taxonomy, "casme3", sheet_path, with_frames=frames_root is not None,
                              strict=strict)
