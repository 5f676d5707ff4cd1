"""Ground truth of MEGC-style spotting in long videos: where the micro- and macro-expressions are.

Three databases code long recordings (not cut clips), each in its own sheet layout. Every loader
here returns ONE table of intervals, one row per coded expression:

=============== ===============================================================================
column          meaning
=============== ===============================================================================
dataset         ``casme_sq`` (CAS(ME)^2), ``samm_lv`` (SAMM Long Videos), ``casme3_lv``
                (CAS(ME)^3 part A long videos) or the name given to a simulated set
subject         as the frame folders name it: ``s15`` / ``006`` / ``001``
video           the video's frame folder: ``15_0101disgustingteeth`` / ``006_1`` / ``a``
                (a video is identified by (dataset, subject, video))
onset, apex,    frame numbers as the database numbers its frame files (see ``first_frame``),
offset          inclusive, after the repairs listed below (``onset <= apex <= offset``)
type            ``'micro'`` or ``'macro'``
aus             action units as coded (``'4+10+14'``, ``'4(B/C)+7B'``; ``''`` when not coded)
emotion         emotion as coded (``'anger'``; ``''`` when the database codes none)
emotion_class   CAS(ME)^2's coarse class (``negative``/``positive``/``surprise``/``others``),
                else ``''``
video_length    frames in the video
fps             frames per second (CAS(ME)^2 30, SAMM 200, CAS(ME)^3 30)
first_frame     number of the video's first frame file (1, 1, 0): valid frames are
                ``first_frame .. first_frame + video_length - 1``
quirk           what was repaired in this row (``';'``-separated tags, ``''`` when nothing)
row             the row of the sheet (the row number Excel shows; the line number of a CSV)
=============== ===============================================================================

``df.attrs["videos"]`` holds the table of every video of the database (``dataset, subject,
video, video_length, fps, first_frame``), including videos where nothing was coded;
:func:`videos_of` returns it.

Sheet quirks and the rules applied (none drops a row)
------------------------------------------------------
CAS(ME)^2 (``CASME_sq_gt.xlsx``, 357 rows; ``cas_duration.csv``, 97 videos):

* ``offset_not_coded``: 44 macro rows have offset 0. Rule (default ``offset_rule="median"``):
  offset = apex + the median (offset - apex) of the rows of that type whose three frames are
  coded and in order (rounded half up; 22 frames for macro-expressions), clipped to the video's
  last frame. ``offset_rule="apex"`` instead sets offset = apex, the rule of the spotting code
  that circulates with this sheet.
* ``apex_not_coded``: one row has apex 0; apex = (onset + offset) // 2.
* ``apex_offset_swapped``: three rows have 0 < offset < apex (``1221, 1230, 1224``); both frames
  lie after the onset and the two numbers are read as transposed: they are swapped.
* ``emotion_typo``: ``'happyiness'`` is read as ``'happiness'``.
* videos: ``<subject>_<code>`` of the sheet (subject number from sheet "naming rule1", clip name
  ``disgust1_3`` → ``disgust1`` → code ``0101`` from sheet "naming rule2") joins
  ``cas_duration.csv``'s ``org_vid`` (``15_0101disgustingteeth``); two of its 97 videos have no
  coded interval.

SAMM Long Videos (``SAMMLV_gt.xlsx``, 502 rows; ``samm_duration.csv``, 147 videos):

* ``fractional_frames``: 178 rows hold frame numbers like 566.4 (multiples of 0.2); each frame
  number is rounded half up (``floor(x + 0.5)``; no value ends in .5, so the direction of a tie
  never matters).
* ``apex_not_coded``: apex -1 (6 rows; the sheet says "Apex Frame not annotated were labelled
  as -1"); apex = (onset + offset) // 2.
* ``onset_before_first_frame``: onset 0 (10 macro rows; frames are numbered from 1) becomes 1.
  Some published code drops these rows as "extremely long"; here they are kept.
* ``offset_past_end``: offset after the video's last frame (2 rows, e.g. 5476 in a video of
  5001 frames) is clipped to the last frame.
* ``duplicate_filename``: ``037_4_1`` names two rows (one micro, one macro); both are kept.
* ``video`` is the ``Filename`` without its last ``_<n>`` (``006_1_3`` → ``006_1``);
  ``samm_duration.csv`` names it ``samm_006_1``.

CAS(ME)^3 part A long videos (``cas3_longvideo_intervals.csv``, 2,348 rows, 757 videos):

* ``apex_not_coded``: the file has no apex (every row); apex = (onset + offset) // 2.
* the ``video`` column holds a path of another machine
  (``.../new_data_full_reduce/001/a``): its last two parts are subject and video.
* ``length`` is ``endFrame - startFrame`` (not + 1); ``frame_num`` is the video's frame count.
  Frames are numbered from 0 (``startFrame >= 1`` and ``endFrame <= frame_num - 1`` everywhere).
* the file lists only videos with at least one interval.

Frame folders as the databases ship them
----------------------------------------
No frames are at hand here; the layouts are inferred from the names in the sheets and duration
files (``org_vid`` = folder name, ``Filename`` prefixes, the CSV's subject/video path parts), the
frame numbering the sheets use (which first frame is 1 or 0, see above) and the layouts the
databases' own releases document::

    CAS(ME)^2   <root>/rawpic/s15/15_0101disgustingteeth/img1.jpg, img2.jpg, …   (from 1)
    SAMM-LV     <root>/SAMM_longvideos/007_6/007_6_0001.jpg, 007_6_0002.jpg, … (from 1)
    CAS(ME)^3   <root>/part_A/spNO.1/a/color/0.jpg, 1.jpg, …                  (from 0)

(CAS(ME)^3's subject ``001`` is folder ``spNO.1``; ``color/`` may be absent and ``part_A`` may
sit under ``part_A/data/``.) :func:`video_frame_paths` lists a video's frames in order.

Simulated long recordings
-------------------------
:func:`write_long_video_sheet` writes an interval table in the CAS(ME)^3 CSV layout (plus three
optional columns ``apex, aus, emotion``) and a ``<name>_duration.csv`` beside it
(``subject,video,frame_num,fps``, so videos without intervals and the frame rate survive);
:func:`load_casme3_lv` reads both back.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .frame_folders import index_frames

#: Names accepted by :func:`load_long_video_intervals`.
LONG_VIDEO_DATABASES = ("casme_sq", "samm_lv", "casme3_lv")
#: Frame rates of the three databases.
FPS = {"casme_sq": 30.0, "samm_lv": 200.0, "casme3_lv": 30.0}
#: Number of each database's first frame file.
FIRST_FRAME = {"casme_sq": 1, "samm_lv": 1, "casme3_lv": 0}
#: Expression types, as the table writes them.
TYPES = ("micro", "macro")
#: Columns of the interval table, in order.
INTERVAL_COLUMNS = ("dataset", "subject", "video", "onset", "apex", "offset", "type", "aus", "emotion",
                    "emotion_class", "video_length", "fps", "first_frame", "quirk", "row")
#: Columns of the video table.
VIDEO_COLUMNS = ("dataset", "subject", "video", "video_length", "fps", "first_frame")
#: A video is identified by these columns.
VIDEO_KEYS = ("dataset", "subject", "video")

CASME_SQ_SHEET = "CASME_sq_gt.xlsx"
CASME_SQ_DURATIONS = "cas_duration.csv"
SAMM_LV_SHEET = "SAMMLV_gt.xlsx"
SAMM_LV_DURATIONS = "samm_duration.csv"
CASME3_LV_CSV = "cas3_longvideo_intervals.csv"
CASME3_LV_COLUMNS = ("subject", "video", "type", "type_idx", "startFrame", "endFrame", "frame_num", "length")
#: Optional columns a simulated sheet in the CAS(ME)^3 layout may add.
CASME3_LV_EXTRA = ("apex", "aus", "emotion")

_FOLDERS = {"casme_sq": "CASME_sq", "samm_lv": "SAMM-LV", "casme3_lv": "CASME3"}
_FILES = {"casme_sq": CASME_SQ_SHEET, "samm_lv": SAMM_LV_SHEET, "casme3_lv": CASME3_LV_CSV}
_SAMM_COLUMNS = ("Subject", "Filename", "Onset", "Apex", "Offset", "Type", "Action Units")
_HEADER_SEARCH_ROWS = 30
_EMOTION_TYPOS = {"happyiness": "happiness"}


# --------------------------------------------------------------------------------------------- helpers
def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _text(value: object) -> str:
    """A cell as text: ``''`` for empty, ``12`` for ``12.0``."""
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _number(value: object, path: Path, row: int, column: str) -> float:
    if _is_blank(value):
        raise DataError(f"column {column!r} is empty", path, row)
    try:
        number = float(str(value).strip())
    except ValueError:
        raise DataError(f"column {column!r}: {value!r} is not a frame number", path, row) from None
    if not math.isfinite(number):
        raise DataError(f"column {column!r}: {value!r} is not a frame number", path, row)
    return number


def _whole(value: object, path: Path, row: int, column: str) -> int:
    number = _number(value, path, row, column)
    if not number.is_integer():
        raise DataError(f"column {column!r}: {value!r} is not a whole frame number", path, row)
    return int(number)


def _type_of(value: object, path: Path, row: int) -> str:
    """``'micro'`` / ``'macro'`` from ``micro-expression``, ``Micro - 1/2``, ``Macro`` …"""
    text = _text(value).lower()
    for t in TYPES:
        if text.startswith(t):
            return t
    raise DataError(f"expression type {value!r} is neither micro nor macro", path, row)


def _add(quirks: list[str], tag: str) -> None:
    if tag not in quirks:
        quirks.append(tag)


def _check_row(r: dict, path: Path) -> None:
    first = r["first_frame"]
    last = first + r["video_length"] - 1
    if not first <= r["onset"] <= r["apex"] <= r["offset"] <= last:
        raise DataError(f"frames out of order or outside video {r['subject']}/{r['video']} "
                        f"({first}..{last}): onset {r['onset']}, apex {r['apex']}, offset {r['offset']}",
                        path, r["row"])


def _table(records: list[dict], videos: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame.from_records(records, columns=list(INTERVAL_COLUMNS))
    for col in ("onset", "apex", "offset", "video_length", "first_frame", "row"):
        df[col] = df[col].astype("int64")
    df["fps"] = df["fps"].astype(float)
    videos = videos.loc[:, list(VIDEO_COLUMNS)].reset_index(drop=True)
    df.attrs["videos"] = videos
    return df


def _video_table(rows: Iterable[tuple[str, str, str, int, float, int]]) -> pd.DataFrame:
    videos = pd.DataFrame(list(rows), columns=list(VIDEO_COLUMNS))
    videos["video_length"] = videos["video_length"].astype("int64")
    videos["first_frame"] = videos["first_frame"].astype("int64")
    videos["fps"] = videos["fps"].astype(float)
    return videos


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{what} is missing", path)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises ParserError, UnicodeDecodeError, EmptyDataError …
        raise DataError(f"cannot read {what} as CSV ({exc})", path) from exc


def _read_sheet(path: Path, sheet: str | None = None) -> dict[str, pd.DataFrame]:
    if not path.is_file():
        raise DataError("coding sheet is missing", path)
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = [sheet] if sheet is not None else book.sheet_names
            missing = [n for n in names if n not in book.sheet_names]
            if missing:
                raise DataError(f"workbook has no sheet {missing[0]!r}; sheets: {book.sheet_names}", path)
            return {n: pd.read_excel(book, sheet_name=n, header=None, dtype=object) for n in names}
    except DataError:
        raise
    except Exception as exc:  # openpyxl raises zipfile/KeyError/… on a non-xlsx file
        raise DataError(f"cannot open as an xlsx workbook ({exc})", path) from exc


def _resolve(root: str | Path, name: str) -> Path:
    """The database's sheet under ``root``: the file itself, ``root/<file>`` or
    ``root/<database folder>/<file>``."""
    root = Path(root)
    filename = _FILES[name]
    if root.is_file():
        return root
    candidates = [root / filename, root / _FOLDERS[name] / filename]
    for c in candidates:
        if c.is_file():
            return c
    if not root.exists():
        raise DataError(f"{name} root does not exist", root)
    raise DataError(f"no {filename} found (looked for {', '.join(str(c) for c in candidates)})", root)


# ------------------------------------------------------------------------------------------ CAS(ME)^2
def _casme_sq_naming(sheets: dict[str, pd.DataFrame], path: Path) -> tuple[dict[int, tuple[int, str]], dict[str, str]]:
    """Subject index → (subject number, folder ``s15``) and video name ``disgust1`` → code ``0101``."""
    names = list(sheets)
    rule1 = next((n for n in names if n.strip().lower() == "naming rule1"), None)
    rule2 = next((n for n in names if n.strip().lower() == "naming rule2"), None)
    if rule1 is None or rule2 is None:
        raise DataError(f"workbook lacks the sheets 'naming rule1' and 'naming rule2'; sheets: {names}", path)
    subjects: dict[int, tuple[int, str]] = {}
    for i, r in enumerate(sheets[rule1].itertuples(index=False), start=1):
        if len(r) < 3 or all(_is_blank(v) for v in r[:3]):
            continue
        number, folder, index = _whole(r[0], path, i, "subject number"), _text(r[1]), _whole(r[2], path, i, "index")
        if subjects.setdefault(index, (number, folder)) != (number, folder):
            raise DataError(f"sheet {rule1!r}: subject index {index} maps to both {subjects[index]} and "
                            f"{(number, folder)}", path, i)
    codes: dict[str, str] = {}
    for i, r in enumerate(sheets[rule2].itertuples(index=False), start=1):
        if len(r) < 2 or all(_is_blank(v) for v in r[:2]):
            continue
        code, name = _text(r[0]), _text(r[1]).lower()
        if not code.isdigit():
            raise DataError(f"sheet {rule2!r}: video code {r[0]!r} is not a number", path, i)
        codes[name] = code.zfill(4)
    return subjects, codes


def _half_up(x: float) -> int:
    return math.floor(x + 0.5)


def load_casme_sq(root: str | Path, *, durations: str | Path | None = None,
                  offset_rule: str = "median") -> pd.DataFrame:
    """CAS(ME)^2 long-video intervals (357 rows) from ``CASME_sq_gt.xlsx`` and ``cas_duration.csv``.

    ``root``: the xlsx, its folder or the folder above it. ``durations``: the duration CSV
    (default: beside the sheet). ``offset_rule``: ``'median'`` or ``'apex'`` for offsets coded 0
    (see the module docstring).
    """
    if offset_rule not in ("median", "apex"):
        raise ConfigError(f"offset_rule must be 'median' or 'apex', got {offset_rule!r}")
    path = _resolve(root, "casme_sq")
    dur_path = Path(durations) if durations is not None else path.parent / CASME_SQ_DURATIONS
    sheets = _read_sheet(path)
    main = next(iter(sheets))
    if "CASFEcode_final" in sheets:
        main = "CASFEcode_final"
    subjects, codes = _casme_sq_naming(sheets, path)

    dur = _read_csv(dur_path, "CAS(ME)^2 duration file")
    if not {"org_vid", "duration"} <= set(dur.columns):
        raise DataError(f"expected columns vid,org_vid,duration, found {list(dur.columns)}", dur_path)
    videos_by_key: dict[str, tuple[str, str, int]] = {}
    video_rows = []
    for i, r in enumerate(dur.itertuples(index=False), start=2):
        org = str(r.org_vid).strip()
        m = re.match(r"^(\d+)_(\d{4})", org)
        if not m:
            raise DataError(f"org_vid {org!r} is not <subject>_<code><name>", dur_path, i)
        length = _whole(r.duration, dur_path, i, "duration")
        subject = f"s{int(m.group(1))}"
        videos_by_key[f"{int(m.group(1))}_{m.group(2)}"] = (subject, org, length)
        video_rows.append(("casme_sq", subject, org, length, FPS["casme_sq"], FIRST_FRAME["casme_sq"]))
    videos = _video_table(video_rows)

    raw = sheets[main]
    if raw.shape[1] < 9:
        raise DataError(f"sheet {main!r} has {raw.shape[1]} columns, expected 9 (subject, clip, onset, apex, "
                        "offset, AUs, emotion class, type, emotion)", path)
    parsed = []
    for i, r in enumerate(raw.itertuples(index=False), start=1):
        if all(_is_blank(v) for v in r[:9]):
            continue
        index = _whole(r[0], path, i, "subject")
        if index not in subjects:
            raise DataError(f"subject index {index} is not in sheet 'naming rule1'", path, i)
        number, folder = subjects[index]
        clip = _text(r[1])
        name = re.sub(r"_\d+$", "", clip).lower()
        if name not in codes:
            raise DataError(f"clip {clip!r}: video name {name!r} is not in sheet 'naming rule2'", path, i)
        key = f"{number}_{codes[name]}"
        if key not in videos_by_key:
            raise DataError(f"video {key} (subject {folder}, clip {clip!r}) is not in {dur_path.name}", path, i)
        subject, video, length = videos_by_key[key]
        if subject != folder:
            raise DataError(f"subject folder {folder!r} disagrees with {dur_path.name} ({subject!r})", path, i)
        parsed.append({
            "row": i, "subject": subject, "video": video, "video_length": length,
            "onset": _whole(r[2], path, i, "onset"), "apex": _whole(r[3], path, i, "apex"),
            "offset": _whole(r[4], path, i, "offset"), "aus": _text(r[5]), "emotion_class": _text(r[6]).lower(),
            "type": _type_of(r[7], path, i), "emotion": _text(r[8]).lower(),
        })
    if not parsed:
        raise DataError(f"sheet {main!r} has no rows", path)

    # the typical apex→offset gap of each type, from the rows whose three frames are coded and in order
    gaps: dict[str, int] = {}
    for t in TYPES:
        coded = [p["offset"] - p["apex"] for p in parsed
                 if p["type"] == t and p["apex"] > 0 and p["offset"] > 0 and p["onset"] <= p["apex"] <= p["offset"]]
        gaps[t] = _half_up(float(np.median(coded))) if coded else 0

    records = []
    for p in parsed:
        quirks: list[str] = []
        onset, apex, offset = p["onset"], p["apex"], p["offset"]
        last = FIRST_FRAME["casme_sq"] + p["video_length"] - 1
        if offset == 0:
            _add(quirks, "offset_not_coded")
            offset = min(apex + gaps[p["type"]], last) if offset_rule == "median" else apex
        elif 0 < apex and offset < apex and onset <= offset:
            _add(quirks, "apex_offset_swapped")
            apex, offset = offset, apex
        if apex == 0:
            _add(quirks, "apex_not_coded")
            apex = (onset + offset) // 2
        emotion = p["emotion"]
        if emotion in _EMOTION_TYPOS:
            _add(quirks, "emotion_typo")
            emotion = _EMOTION_TYPOS[emotion]
        rec = {"dataset": "casme_sq", "subject": p["subject"], "video": p["video"], "onset": onset, "apex": apex,
               "offset": offset, "type": p["type"], "aus": p["aus"], "emotion": emotion,
               "emotion_class": p["emotion_class"], "video_length": p["video_length"], "fps": FPS["casme_sq"],
               "first_frame": FIRST_FRAME["casme_sq"], "quirk": ";".join(quirks), "row": p["row"]}
        _check_row(rec, path)
        records.append(rec)
    df = _table(records, videos)
    df.attrs["offset_gap"] = gaps
    return df


# ------------------------------------------------------------------------------------------- SAMM-LV
def load_samm_lv(root: str | Path, *, durations: str | Path | None = None) -> pd.DataFrame:
    """SAMM Long Videos intervals (502 rows) from ``SAMMLV_gt.xlsx`` and ``samm_duration.csv``."""
    path = _resolve(root, "samm_lv")
    dur_path = Path(durations) if durations is not None else path.parent / SAMM_LV_DURATIONS
    sheets = _read_sheet(path, None)
    sheet = "FACS_Movement_Only" if "FACS_Movement_Only" in sheets else next(iter(sheets))
    raw = sheets[sheet]
    wanted = {re.sub(r"\s+", "", c).lower(): c for c in _SAMM_COLUMNS}
    for h in range(min(_HEADER_SEARCH_ROWS, len(raw))):
        found = {re.sub(r"\s+", "", str(v)).lower(): j for j, v in enumerate(raw.iloc[h]) if not _is_blank(v)}
        if all(k in found for k in wanted):
            break
    else:
        raise DataError(f"sheet {sheet!r} has no header row with columns {list(_SAMM_COLUMNS)} in its first "
                        f"{_HEADER_SEARCH_ROWS} rows", path)
    col = {name: found[k] for k, name in wanted.items()}

    dur = _read_csv(dur_path, "SAMM-LV duration file")
    if len(dur.columns) < 2:
        raise DataError(f"expected two columns (samm_<video>, frame count), found {list(dur.columns)}", dur_path)
    lengths: dict[str, int] = {}
    video_rows = []
    for i, (name, count) in enumerate(zip(dur.iloc[:, 0], dur.iloc[:, 1]), start=2):
        video = re.sub(r"^samm_", "", str(name).strip())
        if not re.fullmatch(r"\d+_\d+", video):
            raise DataError(f"video name {name!r} is not samm_<subject>_<n>", dur_path, i)
        lengths[video] = _whole(count, dur_path, i, "duration")
        video_rows.append(("samm_lv", video.split("_")[0], video, lengths[video], FPS["samm_lv"],
                           FIRST_FRAME["samm_lv"]))
    videos = _video_table(video_rows)

    records = []
    first = FIRST_FRAME["samm_lv"]
    for h_i in range(h + 1, len(raw)):
        r = raw.iloc[h_i]
        row = h_i + 1
        if all(_is_blank(r.iloc[j]) for j in col.values()):
            continue
        subject = _text(r.iloc[col["Subject"]])
        subject = subject.zfill(3) if subject.isdigit() else subject
        filename = _text(r.iloc[col["Filename"]])
        video = filename.rsplit("_", 1)[0] if "_" in filename else ""
        if not video or not video.startswith(subject + "_"):
            raise DataError(f"Filename {filename!r} is not <subject>_<video>_<n> of subject {subject!r}", path, row)
        if video not in lengths:
            raise DataError(f"video {video!r} is not in {dur_path.name}", path, row)
        quirks: list[str] = []
        frames = {}
        for name in ("Onset", "Apex", "Offset"):
            x = _number(r.iloc[col[name]], path, row, name)
            if not x.is_integer():
                _add(quirks, "fractional_frames")
            frames[name] = _half_up(x)
        onset, apex, offset = frames["Onset"], frames["Apex"], frames["Offset"]
        length = lengths[video]
        last = first + length - 1
        if onset < first:
            _add(quirks, "onset_before_first_frame")
            onset = first
        if offset > last:
            _add(quirks, "offset_past_end")
            offset = last
        if apex < 0:
            _add(quirks, "apex_not_coded")
            apex = (onset + offset) // 2
        rec = {"dataset": "samm_lv", "subject": subject, "video": video, "onset": onset, "apex": apex,
               "offset": offset, "type": _type_of(r.iloc[col["Type"]], path, row),
               "aus": _text(r.iloc[col["Action Units"]]), "emotion": "", "emotion_class": "", "video_length": length,
               "fps": FPS["samm_lv"], "first_frame": first, "quirk": quirks, "row": row, "_filename": filename}
        records.append(rec)
    if not records:
        raise DataError(f"sheet {sheet!r} has no rows below its header", path)
    counts = pd.Series([r["_filename"] for r in records]).value_counts()
    for rec in records:
        if counts[rec.pop("_filename")] > 1:
            _add(rec["quirk"], "duplicate_filename")
        rec["quirk"] = ";".join(rec["quirk"])
        _check_row(rec, path)
    return _table(records, videos)


# --------------------------------------------------------------------------- CAS(ME)^3 (and simulated)
def _duration_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}_duration.csv")


def load_casme3_lv(root: str | Path, *, durations: str | Path | None = None, dataset: str = "casme3_lv",
                   fps: float = FPS["casme3_lv"]) -> pd.DataFrame:
    """CAS(ME)^3 part A long-video intervals (2,348 rows) from ``cas3_longvideo_intervals.csv``,
    or a sheet in that layout written by :func:`write_long_video_sheet`.

    Video lengths come from ``frame_num``; when ``<name>_duration.csv`` lies beside the file (or
    ``durations`` names one: ``subject,video,frame_num[,fps]``) it lists the videos, also those
    without intervals, and its ``fps`` overrides ``fps``. Optional columns ``apex``, ``aus`` and
    ``emotion`` are read when present.
    """
    path = _resolve(root, "casme3_lv")
    data = _read_csv(path, "CAS(ME)^3 long-video interval file")
    missing = [c for c in CASME3_LV_COLUMNS if c not in data.columns]
    if missing:
        raise DataError(f"columns {missing} are missing (found {list(data.columns)})", path)
    first = FIRST_FRAME["casme3_lv"]

    dur_path = Path(durations) if durations is not None else _duration_path(path)
    listed: dict[tuple[str, str], tuple[int, float]] = {}
    if durations is not None or dur_path.is_file():
        dur = _read_csv(dur_path, "long-video duration file")
        if not {"subject", "video", "frame_num"} <= set(dur.columns):
            raise DataError(f"expected columns subject,video,frame_num[,fps], found {list(dur.columns)}", dur_path)
        for i, r in enumerate(dur.to_dict("records"), start=2):
            v_fps = _number(r["fps"], dur_path, i, "fps") if str(r.get("fps", "")).strip() else float(fps)
            listed[(r["subject"].strip(), r["video"].strip())] = (_whole(r["frame_num"], dur_path, i, "frame_num"),
                                                                  v_fps)

    seen: dict[tuple[str, str], int] = {}
    records = []
    for i, r in enumerate(data.to_dict("records"), start=2):
        parts = [p for p in re.split(r"[\\/]", r["video"].strip()) if p]
        if len(parts) < 2:
            raise DataError(f"video {r['video']!r} does not end in <subject>/<video>", path, i)
        subject, video = parts[-2], parts[-1]
        if r["subject"].strip() != subject:
            raise DataError(f"subject {r['subject']!r} disagrees with the video path {r['video']!r}", path, i)
        t = _type_of(r["type"], path, i)
        idx = r["type_idx"].strip()
        if idx and idx != {"macro": "1", "micro": "2"}[t]:
            raise DataError(f"type_idx {idx!r} disagrees with type {r['type']!r} (1 macro, 2 micro)", path, i)
        onset, offset = _whole(r["startFrame"], path, i, "startFrame"), _whole(r["endFrame"], path, i, "endFrame")
        count = _whole(r["frame_num"], path, i, "frame_num")
        if seen.setdefault((subject, video), count) != count:
            raise DataError(f"frame_num {count} disagrees with {seen[(subject, video)]} of an earlier row of "
                            f"video {subject}/{video}", path, i)
        quirks: list[str] = []
        if "apex" in data.columns and str(r["apex"]).strip():
            apex = _whole(r["apex"], path, i, "apex")
        else:
            _add(quirks, "apex_not_coded")
            apex = (onset + offset) // 2
        v_fps = float(fps)
        if listed:
            if (subject, video) not in listed:
                raise DataError(f"video {subject}/{video} is not in {dur_path.name}", path, i)
            length, v_fps = listed[(subject, video)]
            if length != count:
                raise DataError(f"frame_num {count} disagrees with {dur_path.name} ({length})", path, i)
        rec = {"dataset": dataset, "subject": subject, "video": video, "onset": onset, "apex": apex, "offset": offset,
               "type": t, "aus": _text(r.get("aus", "")), "emotion": _text(r.get("emotion", "")).lower(),
               "emotion_class": "", "video_length": count, "fps": v_fps, "first_frame": first,
               "quirk": ";".join(quirks), "row": i}
        _check_row(rec, path)
        records.append(rec)
    if listed:
        video_rows = [(dataset, s, v, n, f, first) for (s, v), (n, f) in listed.items()]
    else:
        video_rows = [(dataset, s, v, n, float(fps), first) for (s, v), n in seen.items()]
    return _table(records, _video_table(video_rows))


def write_long_video_sheet(intervals: pd.DataFrame, path: str | Path, videos: pd.DataFrame | None = None,
                           *, prefix: str = "simulated") -> Path:
    """Write ``intervals`` (the table of this module) in the CAS(ME)^3 CSV layout, read back by
    :func:`load_casme3_lv`. Returns the CSV's path.

    ``path``: a ``.csv`` file or a folder (then ``<folder>/cas3_longvideo_intervals.csv``). Frame
    numbers are written from 0 (``onset - first_frame``). ``videos`` (default
    ``intervals.attrs['videos']``, else the videos of the intervals) goes to
    ``<name>_duration.csv`` with ``subject,video,frame_num,fps``. Apex, AUs and emotion go to the
    extra columns ``apex, aus, emotion``; the ``video`` column holds ``<prefix>/<subject>/<video>``.
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        path = path / CASME3_LV_CSV
    required = ("subject", "video", "onset", "offset", "type", "video_length")
    missing = [c for c in required if c not in intervals.columns]
    if missing:
        raise DataError(f"interval table lacks columns {missing}", path)
    if videos is None:
        videos = videos_of(intervals)
    for c in ("subject", "video", "video_length"):
        if c not in videos.columns:
            raise DataError(f"video table lacks column {c!r}", path)
    for name in ("subject", "video"):
        bad = [str(v) for v in pd.concat([intervals[name], videos[name]]).astype(str)
               if not v or "/" in v or "\\" in v or "," in v]
        if bad:
            raise DataError(f"{name} {bad[0]!r} cannot be written (empty, or holds '/', '\\' or ',')", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    first = intervals["first_frame"] if "first_frame" in intervals.columns else 0
    start = (intervals["onset"] - first).astype(int)
    end = (intervals["offset"] - first).astype(int)
    apex = ((intervals["apex"] - first).astype(int) if "apex" in intervals.columns else (start + end) // 2)
    types = intervals["type"].map(lambda v: _type_of(v, path, None))
    out = pd.DataFrame({
        "subject": intervals["subject"].astype(str),
        "video": [f"{prefix}/{s}/{v}" for s, v in zip(intervals["subject"], intervals["video"])],
        "type": types.map({"macro": "Macro", "micro": "Micro"}),
        "type_idx": types.map({"macro": 1, "micro": 2}),
        "startFrame": start, "endFrame": end, "frame_num": intervals["video_length"].astype(int),
        "length": end - start, "apex": apex,
        "aus": intervals["aus"].fillna("").astype(str) if "aus" in intervals.columns else "",
        "emotion": intervals["emotion"].fillna("").astype(str) if "emotion" in intervals.columns else "",
    })
    out.to_csv(path, index=False)
    vids = pd.DataFrame({"subject": videos["subject"].astype(str), "video": videos["video"].astype(str),
                         "frame_num": videos["video_length"].astype(int),
                         "fps": videos["fps"].astype(float) if "fps" in videos.columns else FPS["casme3_lv"]})
    vids.to_csv(_duration_path(path), index=False)
    return path


# ------------------------------------------------------------------------------------------ dispatch
_LOADERS = {"casme_sq": load_casme_sq, "samm_lv": load_samm_lv, "casme3_lv": load_casme3_lv}


def load_long_video_intervals(name: str, root: str | Path, **kwargs) -> pd.DataFrame:
    """The interval table of database ``name`` (``casme_sq``, ``samm_lv``, ``casme3_lv``).

    ``root``: the annotations folder (``…/annotations``), the database's folder
    (``…/annotations/CASME_sq``) or the sheet itself. Keyword options go to the loader.
    """
    if name not in _LOADERS:
        raise ConfigError(f"unknown long-video database {name!r}; known: {', '.join(LONG_VIDEO_DATABASES)}")
    return _LOADERS[name](root, **kwargs)


def videos_of(df: pd.DataFrame) -> pd.DataFrame:
    """The video table of an interval table: ``df.attrs['videos']`` when the loader left it, else
    the distinct videos of its rows (then videos without intervals are unknown)."""
    videos = df.attrs.get("videos")
    if isinstance(videos, pd.DataFrame):
        return videos
    keys = [k for k in VIDEO_KEYS if k in df.columns]
    cols = keys + [c for c in ("video_length", "fps", "first_frame") if c in df.columns]
    return df.loc[:, cols].drop_duplicates(keys).reset_index(drop=True)


# ----------------------------------------------------------------------------------------- frames
_CASME3_ROOTS = ("", "part_A", "part_A/data/part_A", "data/part_A")


def _video_folder(name: str, root: Path, subject: str, video: str) -> Path:
    subject, video = str(subject), str(video)
    if name == "casme_sq":
        folder = subject if subject.startswith("s") else f"s{int(subject)}"
        candidates = [root / "rawpic" / folder / video, root / folder / video]
    elif name == "samm_lv":
        candidates = [root / "SAMM_longvideos" / video, root / video]
    elif name == "casme3_lv":
        folder = f"spNO.{int(subject)}" if subject.isdigit() else subject
        candidates = []
        for rel in _CASME3_ROOTS:
            base = root / rel / folder / video
            candidates += [base / "color", base]
    else:
        raise ConfigError(f"unknown long-video database {name!r}; known: {', '.join(LONG_VIDEO_DATABASES)}")
    for c in candidates:
        if c.is_dir():
            return c
    raise DataError(f"no frame folder for {name} subject {subject} video {video} "
                    f"(looked for {', '.join(str(c) for c in candidates[:4])})", root)


def video_frame_paths(name: str, root: str | Path, subject: str, video: str) -> list[Path]:
    """The frames of one long video, in temporal order, in the layouts the databases ship in
    (see the module docstring): ``rawpic/s15/15_0101disgustingteeth/img1.jpg``,
    ``SAMM_longvideos/007_6/007_6_0001.jpg``, ``part_A/spNO.1/a/color/0.jpg``.

    ``subject`` and ``video`` as in the interval table. Frames are ordered by the number in their
    file names (``img10`` after ``img9``).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{name} frame root does not exist", root)
    folder = _video_folder(name, root, subject, video)
    frames = list(index_frames(folder).values())
    if not frames:
        raise DataError("frame folder holds no images", folder)
    return frames


# ------------------------------------------------------------------------------------- statistics
def _quantiles(values: np.ndarray, prefix: str) -> dict[str, float]:
    if values.size == 0:
        return {f"{prefix}_{k}": float("nan") for k in ("mean", "std", "min", "q10", "q25", "median", "q75",
                                                          "q90", "max")}
    q = np.quantile(values, [0.1, 0.25, 0.5, 0.75, 0.9])
    return {f"{prefix}_mean": float(values.mean()), f"{prefix}_std": float(values.std()),
            f"{prefix}_min": float(values.min()), f"{prefix}_q10": float(q[0]), f"{prefix}_q25": float(q[1]),
            f"{prefix}_median": float(q[2]), f"{prefix}_q75": float(q[3]), f"{prefix}_q90": float(q[4]),
            f"{prefix}_max": float(values.max())}


def interval_statistics(df: pd.DataFrame, videos: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per database and type (``micro``, ``macro``, ``all``): counts, durations and rates.

    One row per (dataset, type) with ``n_intervals``, ``n_videos`` (videos of the database),
    ``n_videos_with``, ``n_subjects``; ``duration_frames_*`` and ``duration_s_*`` (duration =
    offset - onset + 1 frames; mean, std, min, q10, q25, median, q75, q90, max);
    ``rate_per_minute`` (intervals per minute of video, over all the database's videos, also those
    without intervals); ``total_minutes``; ``video_length_frames_*`` and ``video_length_s_*``; ``fps``.
    """
    videos = videos_of(df) if videos is None else videos
    rows = []
    for dataset in sorted(set(df["dataset"]) | set(videos["dataset"])):
        d = df[df["dataset"] == dataset]
        v = videos[videos["dataset"] == dataset]
        fps = np.asarray(v["fps"], float)
        lengths = np.asarray(v["video_length"], float)
        seconds = lengths / fps
        total_minutes = float(seconds.sum() / 60.0)
        for t in (*TYPES, "all"):
            g = d if t == "all" else d[d["type"] == t]
            dur = np.asarray(g["offset"] - g["onset"] + 1, float)
            row = {"dataset": dataset, "type": t, "n_intervals": len(g), "n_videos": len(v),
                   "n_videos_with": int(g.drop_duplicates(["subject", "video"]).shape[0]),
                   "n_subjects": int(d["subject"].nunique()),
                   "fps": float(np.median(fps)) if fps.size else float("nan"),
                   "total_minutes": total_minutes,
                   "rate_per_minute": len(g) / total_minutes if total_minutes else float("nan")}
            row.update(_quantiles(dur, "duration_frames"))
            row.update(_quantiles(dur / np.asarray(g["fps"], float), "duration_s"))
            row.update(_quantiles(lengths, "video_length_frames"))
            row.update(_quantiles(seconds, "video_length_s"))
            rows.append(row)
    return pd.DataFrame(rows).set_index(["dataset", "type"])


def database_statistics(name: str, root: str | Path, **kwargs) -> pd.DataFrame:
    """:func:`interval_statistics` of database ``name`` read from ``root`` (simulator calibration)."""
    return interval_statistics(load_long_video_intervals(name, root, **kwargs))


__all__ = [
    "CASME3_LV_COLUMNS", "FIRST_FRAME", "FPS", "INTERVAL_COLUMNS", "LONG_VIDEO_DATABASES", "TYPES", "VIDEO_COLUMNS",
    "VIDEO_KEYS", "database_statistics", "interval_statistics", "load_casme3_lv", "load_casme_sq",
    "load_long_video_intervals", "load_samm_lv", "video_frame_paths", "videos_of", "write_long_video_sheet",
]
