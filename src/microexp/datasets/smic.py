"""SMIC (Li et al. 2013): HS (100 fps), VIS and NIR (25 fps) recordings, three classes.

Layout (``root`` is the folder holding ``HS/``, ``VIS/``, ``NIR/``, or one of them)::

    HS/s1/micro/negative/s1_ne_01/image106799.bmp …     sXX/micro/{positive,negative,surprise}/<clip>/
    HS_long/SMIC_HS_E/s20/s20_ne_01/image17581039.jpg … sXX/<clip>/ (SMIC-E layout) also read

A clip folder holds just the micro-expression, so onset and offset are its first and last
frames. SMIC codes no apex: it is the middle frame unless ``apex_from`` (a spotter:
``callable(frames: ndarray (T, H, W, 3) uint8 RGB) -> index``) or ``apex_sheet`` (``smic_apex.xlsx``:
estimated SMIC-E-HS apexes, 164 rows) gives it. Clip ids are zero-padded (``s03_ne_03``) like the
MEGC2019 composite, whichever way the folders or the sheet spell them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..io import read_image
from ..labels import MEGC3
from .coding_sheet import frame_number, key_frames, read_coding_sheet, resolve_taxonomy, table_from_records
from .frame_folders import frames_in_range, index_frames
from .samples import SampleTable

VARIANTS = ("HS", "VIS", "NIR")
EMOTION_FOLDERS = ("negative", "positive", "surprise")
APEX_SHEET_COLUMNS = ("subject", "clip", "label", "onset_frame", "apex_frame", "offset_frame")
_CODE_TO_EMOTION = {"ne": "negative", "po": "positive", "sur": "surprise"}
_CLIP_ID = re.compile(r"^s(\d+)_(ne|po|sur)_(\d+)$", re.IGNORECASE)
_SUBJECT_DIR = re.compile(r"^s(\d+)$", re.IGNORECASE)

ApexSpotter = Callable[[np.ndarray], int]


def canonical_clip(name: str) -> tuple[str, str, str | None]:
    """``(subject, clip, emotion)`` of a clip name: ``'s3_ne_3'`` → ``('s03', 's03_ne_03', 'negative')``;
    names of another form are kept as they are, with emotion ``None``."""
    m = _CLIP_ID.match(name.strip())
    if not m:
        return "", name.strip(), None
    sub = f"s{int(m.group(1)):02d}"
    return sub, f"{sub}_{m.group(2).lower()}_{int(m.group(3)):02d}", _CODE_TO_EMOTION[m.group(2).lower()]


def _variant_root(root: Path, variant: str) -> Path:
    if variant not in VARIANTS:
        raise ConfigError(f"unknown SMIC variant {variant!r}; known: {VARIANTS}")
    for candidate in (root / variant, root / f"SMIC_{variant}", root / f"{variant}_long" / f"SMIC_{variant}_E", root):
        if candidate.is_dir() and any(_SUBJECT_DIR.match(p.name) for p in candidate.iterdir() if p.is_dir()):
            return candidate
    raise DataError(f"no SMIC-{variant} subject folders (s1/, s2/ …) found; pass annotations_only=True "
                    "with apex_sheet= to read the sheet alone", root)


def _clip_folders(variant_root: Path) -> list[tuple[str, str, str, Path]]:
    """``(subject, clip, emotion, folder)`` of every clip folder, in both known layouts."""
    found = []
    for sub_dir in sorted(p for p in variant_root.iterdir() if p.is_dir() and _SUBJECT_DIR.match(p.name)):
        sub = f"s{int(_SUBJECT_DIR.match(sub_dir.name).group(1)):02d}"
        micro = sub_dir / "micro"
        if micro.is_dir():
            for emo in EMOTION_FOLDERS:
                for clip_dir in sorted(p for p in (micro / emo).glob("*") if p.is_dir()):
                    found.append((sub, canonical_clip(clip_dir.name)[1], emo, clip_dir))
        else:
            for clip_dir in sorted(p for p in sub_dir.iterdir() if p.is_dir()):
                _, clip, emo = canonical_clip(clip_dir.name)
                if emo is not None:
                    found.append((sub, clip, emo, clip_dir))
    return found


def _read_apex_sheet(path: Path) -> dict[str, dict]:
    """Clip id → ``{subject, emotion, onset, apex, offset, sheet_row}`` of ``smic_apex.xlsx``."""
    rows = read_coding_sheet(path, 0, APEX_SHEET_COLUMNS)
    out = {}
    for _, r in rows.iterrows():
        line = int(r["sheet_row"])
        sub, clip, emo = canonical_clip(str(r["clip"]))
        if emo is None:
            raise DataError(f"clip {r['clip']!r} is not of the form sNN_(ne|po|sur)_NN", path, line)
        code = frame_number(r["label"], path, line, "label")
        if code >= len(MEGC3) or MEGC3[code] != emo:
            raise DataError(f"label {r['label']!r} contradicts clip name {r['clip']!r} ({emo}; "
                            "0 negative, 1 positive, 2 surprise)", path, line)
        onset, apex, offset, _ = key_frames(r["onset_frame"], r["apex_frame"], r["offset_frame"], path, line,
                                            APEX_SHEET_COLUMNS[3:])
        if clip in out:
            raise DataError(f"clip {clip} appears twice in the sheet (rows {out[clip]['sheet_row']} and {line})",
                            path, line)
        out[clip] = {"subject": sub, "emotion": emo, "onset": onset, "apex": apex, "offset": offset,
                     "sheet_row": line}
    return out


def load_smic(root: str | Path, *, variant: str = "HS", taxonomy: str | Sequence[str] = "smic_3",
              apex_sheet: str | Path | None = None, apex_from: ApexSpotter | None = None,
              annotations_only: bool = False, strict: bool = True) -> SampleTable:
    """SMIC-``variant`` clips under ``taxonomy`` (``smic_3`` or ``megc3``, which agree).

    ``apex_sheet`` (default: ``root/smic_apex.xlsx`` when present, HS only) gives estimated apexes
    (and, with ``annotations_only=True``, the clips themselves: SMIC has no other coding sheet);
    ``apex_from`` overrides both with a spotter run on each clip's frames. ``apex_source`` says
    which gave each apex (``spotter``, ``sheet``, ``middle``).
    """
    resolve_taxonomy(taxonomy)
    root = Path(root)
    if not root.exists():
        raise DataError("SMIC root does not exist", root)
    if apex_sheet is None:
        default = (root if root.is_dir() else root.parent) / "smic_apex.xlsx"
        apex_sheet = root if root.is_file() else (default if default.is_file() else None)
    if apex_sheet is not None and variant != "HS":
        raise ConfigError(f"apex_sheet holds SMIC-E-HS frame numbers; it does not fit SMIC-{variant}")
    sheet = _read_apex_sheet(Path(apex_sheet)) if apex_sheet is not None else {}
    source = Path(apex_sheet) if apex_sheet is not None else root

    records = []
    if annotations_only:
        if not sheet:
            raise DataError("SMIC has no coding sheet of its own: annotations_only needs apex_sheet=smic_apex.xlsx",
                            root)
        for clip, s in sheet.items():
            records.append({"dataset": "smic", "subject": f"smic/{s['subject']}", "clip": clip, "variant": variant,
                            "onset": s["onset"], "apex": s["apex"], "offset": s["offset"], "apex_source": "sheet",
                            "emotion": s["emotion"], "au": "", "sheet_row": s["sheet_row"], "frames_dir": ""})
        return table_from_records(records, taxonomy, "smic", source, with_frames=False)

    vroot = _variant_root(root if root.is_dir() else root.parent, variant)
    seen = set()
    for sub, clip, emo, folder in _clip_folders(vroot):
        seen.add(clip)
        s = sheet.get(clip)
        rec = {"dataset": "smic", "subject": f"smic/{sub}", "clip": clip, "variant": variant, "emotion": emo,
               "au": "", "sheet_row": None if s is None else s["sheet_row"], "frames_dir": str(folder),
               "frame_paths": [], "frames_error": ""}
        try:
            index = index_frames(folder)
            if not index:
                raise DataError("clip folder holds no images", folder)
            numbers = list(index)
            onset, offset = numbers[0], numbers[-1]
            apex, apex_source = numbers[len(numbers) // 2], "middle"
            if s is not None:
                onset, apex, apex_source = s["onset"], s["apex"], "sheet"
                offset = s["offset"] if s["offset"] is not None else numbers[-1]
                if s["emotion"] != emo:
                    raise DataError(f"sheet says {s['emotion']}, folder {folder} says {emo}", source, s["sheet_row"])
            paths = frames_in_range(index, onset, offset, folder, source if s else folder, rec["sheet_row"])
            if apex_from is not None:
                frames = np.stack([read_image(p, "rgb") for p in paths])
                k = int(apex_from(frames))
                if not 0 <= k < len(paths):
                    raise DataError(f"apex_from returned index {k} outside 0..{len(paths) - 1}", folder)
                apex, apex_source = onset + k, "spotter"
            rec.update(onset=onset, apex=apex, offset=offset, apex_source=apex_source, frame_paths=paths)
        except DataError as exc:
            if strict:
                raise
            rec.update(onset=None, apex=None, offset=None, apex_source="", frames_error=str(exc))
        records.append(rec)
    for clip, s in sheet.items():
        if clip not in seen:
            msg = f"clip {clip} of the apex sheet has no folder under {vroot}"
            if strict:
                raise DataError(msg, source, s["sheet_row"])
            records.append({"dataset": "smic", "subject": f"smic/{s['subject']}", "clip": clip, "variant": variant,
                            "onset": s["onset"], "apex": s["apex"], "offset": s["offset"], "apex_source": "sheet",
                            "emotion": s["emotion"], "au": "", "sheet_row": s["sheet_row"], "frames_dir": "",
                            "frame_paths": [], "frames_error": msg})
    return _labelled(records, taxonomy, source)


def _labelled(records: list[dict], taxonomy, source: Path) -> SampleTable:
    """Like :func:`coding_sheet.table_from_records` for records whose frames are already attached."""
    table = table_from_records([{k: v for k, v in r.items() if k not in ("frame_paths", "frames_error")}
                                for r in records], taxonomy, "smic", source, with_frames=False)
    by_clip = {(r["subject"], r["clip"]): r for r in records}
    keys = list(zip(table.df["subject"], table.df["clip"]))
    table.df["frame_paths"] = [by_clip[k]["frame_paths"] for k in keys]
    table.df["frames_error"] = [by_clip[k]["frames_error"] for k in keys]
    return table
