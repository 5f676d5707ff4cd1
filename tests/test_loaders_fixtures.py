"""Builders of tiny databases in the real layouts (sheets + frame folders), for loader and
preprocessing tests. Frames are small noise images, or real frames when a source is given."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl

from microexp.io import atomic_write_image, read_image

CASME2_HEADER = ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion"]
#: (subject, clip, onset, apex, offset, AU, emotion); apex '/' exercises the not-coded rule.
CASME2_ROWS = [
    ("01", "EP02_01f", 46, 48, 50, 12, "happiness"),
    ("01", "EP03_02", 10, "/", 14, "4+L10", "others"),
    ("02", "EP01_11f", 5, 7, 9, "4", "disgust"),
    ("02", "EP09_01", 20, 21, 23, "12", "sadness"),
]
SAMM_HEADER = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
               "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"]
SAMM_ROWS = [
    ("006", "006_1_2", 1, 100, 102, 104, 5, "Micro - 1/2", "4+7", "Anger", 3, None),
    ("007", "007_3_1", 3, 7, 9, 10, 4, "Micro - 1/2", 12, "Happiness", 1, "note"),
    ("007", "007_5_2", 5, 30, 31, 33, 4, "Micro - 1/2", "R2", "Other", 7, None),
]
CASME3_HEADER = ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]
CASME3_ROWS = [
    ("spNO.1", "a", "3", "5", "6", "5", "II", "others"),
    ("spNO.1", "J", "10", "12", "0", "R12", "I", "happy"),
    ("spNO.2", "b", "1", "2", "4", "4", "III", "disgust"),
]
SMIC_HEADER = ["data", "subject", "clip", "label", "onset_frame", "apex_frame", "offset_frame"]


def noise_frame(n: int, shape=(24, 20)) -> np.ndarray:
    return np.random.default_rng(n).integers(0, 255, size=(*shape, 3), dtype=np.uint8)


def write_frames(folder: Path, numbers, pattern: str = "img{n}.jpg", source: list[Path] | None = None) -> None:
    """Write frames ``numbers`` into ``folder``; with ``source`` images, frame k is source[k % len]."""
    for k, n in enumerate(numbers):
        img = read_image(source[k % len(source)], "rgb") if source else noise_frame(n)
        atomic_write_image(folder / pattern.format(n=n), img)


def write_xlsx(path: Path, sheet: str, header: list, rows: list, title_rows: int = 0, extra_sheets=()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for t in range(title_rows):
        ws.append([f"title line {t}"])
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    for name in extra_sheets:
        wb.create_sheet(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def make_casme2(root: Path, rows=CASME2_ROWS, folder: str = "CASME2_RAW_selected", source=None,
                skip_frames: dict | None = None) -> Path:
    """CASME II layout; ``skip_frames`` {clip: frame number} leaves one frame out on disk."""
    write_xlsx(root / "CASME2-coding-20140508.xlsx", "Sheet1", CASME2_HEADER, rows, extra_sheets=("Sheet2",))
    for sub, clip, onset, _apex, offset, *_ in rows:
        numbers = [n for n in range(onset, offset + 1) if (skip_frames or {}).get(clip) != n]
        write_frames(root / folder / f"sub{sub}" / clip, numbers, "img{n}.jpg", source)
    return root


def make_samm(root: Path, rows=SAMM_ROWS, title_rows: int = 1) -> Path:
    write_xlsx(root / "SAMM.xlsx", "MICRO_ONLY", SAMM_HEADER, rows, title_rows=title_rows)
    for sub, clip, _, onset, _apex, offset, *_ in rows:
        write_frames(root / sub / clip, range(onset - 2, offset + 3), f"{sub}_{{n:05d}}.jpg")
    return root


def make_casme3(root: Path, rows=CASME3_ROWS) -> Path:
    write_xlsx(root / "casme3_table.xlsx", "label", CASME3_HEADER, rows, extra_sheets=("Sheet1",))
    for sub, name, _onset, apex, offset, *_ in rows:
        last = int(offset) if int(offset) else int(apex)
        write_frames(root / sub / name.lower() / "color", range(0, last + 3), "{n}.jpg")
    return root


def make_smic(root: Path, variant: str = "HS") -> Path:
    """Two subjects, three clips: s1_ne_01 (frames 100..104), s1_po_01 (200..206), s2_sur_01 (7..9)."""
    clips = [("s1", "negative", "s1_ne_01", range(100, 105)), ("s1", "positive", "s1_po_01", range(200, 207)),
             ("s2", "surprise", "s2_sur_01", range(7, 10))]
    for sub, emo, clip, numbers in clips:
        write_frames(root / variant / sub / "micro" / emo / clip, numbers, "image{n:06d}.bmp")
    return root
