"""Reading the databases' coding sheets (xlsx) and turning their labels into a class taxonomy.

The sheets are hand-made: headers are not always on the first row, frame numbers come as
ints, floats or text, and a few cells hold ``'/'`` where a number was not coded. The rules
applied to every sheet are:

* the header row is the first of the top :data:`HEADER_SEARCH_ROWS` rows that holds every
  required column name (compared case- and space-insensitively);
* fully empty rows are skipped;
* a frame number is an integer (``46``, ``46.0``, ``'46'``); ``'/'``, ``'-'``, empty and
  ``None`` mean "not coded" and become missing; anything else is a :class:`DataError`;
* a clip (subject and clip id) appears once; a second row for it is a :class:`DataError`;
* row numbers in errors are the sheet's own (header row = the row Excel shows).
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, DataError
from ..labels import TAXONOMIES, normalise_emotion, to_megc3

log = logging.getLogger(__name__)

#: How far down a sheet the header row is looked for.
HEADER_SEARCH_ROWS = 10
#: Cell values that mean "this frame was not coded".
NOT_CODED = {"", "/", "-", "--", "n/a", "na", "nan", "none", "?"}


def _key(name: object) -> str:
    return re.sub(r"[\s_]+", "", str(name)).lower()


def read_coding_sheet(path: str | Path, sheet: str | int, required: Sequence[str]) -> pd.DataFrame:
    """Rows of ``sheet`` in the xlsx ``path`` with columns renamed to the names in ``required``.

    Adds ``sheet_row`` (the row number Excel shows). Raises :class:`DataError` when the file or
    sheet is missing or a required column cannot be found.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("coding sheet is missing", path)
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises zipfile/KeyError/… on a non-xlsx file
        raise DataError(f"cannot open as an xlsx workbook ({exc})", path) from exc
    with book:
        names = book.sheet_names
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise DataError(f"workbook has no sheet number {sheet}; sheets: {names}", path)
            sheet = names[sheet]
        if sheet not in names:
            raise DataError(f"workbook has no sheet {sheet!r}; sheets: {names}", path)
        try:
            raw = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
        except Exception as exc:  # a damaged sheet inside a readable zip: XML, zlib, openpyxl errors
            raise DataError(f"cannot read sheet {sheet!r} ({type(exc).__name__}: {exc})", path) from exc
    wanted = {_key(c): c for c in required}
    closest, closest_found = 0, {}
    for header_idx in range(min(HEADER_SEARCH_ROWS, len(raw))):
        found = {_key(v): j for j, v in enumerate(raw.iloc[header_idx]) if pd.notna(v)}
        if all(k in found for k in wanted):
            break
        if sum(k in found for k in wanted) > sum(k in closest_found for k in wanted):
            closest, closest_found = header_idx, found
    else:
        if not len(raw):
            raise DataError(f"sheet {sheet!r} is empty; expected a header row with columns {list(required)}", path)
        lacks = [c for k, c in wanted.items() if k not in closest_found]
        has = [str(v) for v in raw.iloc[closest] if pd.notna(v)]
        raise DataError(f"sheet {sheet!r} has no header row with columns {list(required)} in its first "
                        f"{HEADER_SEARCH_ROWS} rows: the closest, row {closest + 1}, lacks {lacks} (it has {has}; "
                        "names are compared ignoring case, spaces and underscores)", path)
    body = raw.iloc[header_idx + 1:, [found[k] for k in wanted]]
    body.columns = list(wanted.values())
    body.insert(0, "sheet_row", body.index + 1)  # 0-based frame index → Excel's 1-based row
    body = body[body[list(wanted.values())].notna().any(axis=1)]
    return body.reset_index(drop=True)


def frame_number(value: object, path: str | Path, row: int, column: str, *, required: bool = True) -> int | None:
    """Integer frame number of a cell; ``None`` for a not-coded cell unless ``required``."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip().lower() in NOT_CODED:
        if required:
            raise DataError(f"column {column!r} has no frame number ({value!r})", path, row)
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise DataError(f"column {column!r}: {value!r} is not a frame number", path, row) from None
    if not math.isfinite(number) or number != int(number) or number < 0:
        raise DataError(f"column {column!r}: {value!r} is not a whole, non-negative frame number", path, row)
    return int(number)


def key_frames(onset: object, apex: object, offset: object, path: str | Path, row: int,
               columns: Sequence[str] = ("onset", "apex", "offset")) -> tuple[int, int, int | None, str]:
    """``(onset, apex, offset, apex_source)`` of a sheet row, by one rule for every sheet:

    the onset must be coded; an offset of 0 or not coded means "not coded" (``None``); an apex
    that is not coded (``'/'``) becomes the middle frame of onset..offset (``apex_source='middle'``,
    else ``'sheet'``); onset <= apex <= offset must hold.
    """
    on = frame_number(onset, path, row, columns[0])
    off = frame_number(offset, path, row, columns[2], required=False)
    if off == 0:
        off = None
    ap = frame_number(apex, path, row, columns[1], required=False)
    source = "sheet"
    if ap is None:
        if off is None:
            raise DataError(f"neither {columns[1]!r} nor {columns[2]!r} is coded", path, row)
        ap, source = (on + off) // 2, "middle"
    if ap < on or (off is not None and off < ap):
        raise DataError(f"frames are out of order: onset {on}, apex {ap}, offset {off}", path, row)
    return on, ap, off, source


def cell_text(value: object) -> str:
    """A cell as stripped text; an empty cell (``None``, NaN, blanks) gives ``''``."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def au_string(value: object) -> str:
    """Action units as text (``12`` → ``'12'``, ``'4+L10'`` unchanged, empty → ``''``)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value).strip()


def resolve_taxonomy(taxonomy: str | Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """``(name, classes)`` of a taxonomy given by name (see :data:`microexp.labels.TAXONOMIES`)
    or as an explicit sequence of canonical emotion names."""
    if isinstance(taxonomy, str):
        if taxonomy not in TAXONOMIES:
            raise ConfigError(f"unknown taxonomy {taxonomy!r}; known: {sorted(TAXONOMIES)} or a list of classes")
        return taxonomy, tuple(TAXONOMIES[taxonomy])
    classes = tuple(taxonomy)
    if not classes:
        raise ConfigError("taxonomy has no classes")
    return "custom", classes


def class_of(emotion: str, taxonomy: str, classes: tuple[str, ...], objective: str | None = None) -> str | None:
    """Class of a canonical emotion under a taxonomy, or ``None`` when the taxonomy leaves it out.

    ``megc3`` follows :func:`microexp.labels.to_megc3`; ``samm_objective`` uses the sheet's
    objective class (``objective``); every other taxonomy keeps emotions that are among its classes.
    """
    if taxonomy == "megc3":
        return to_megc3(emotion)
    if taxonomy == "samm_objective":
        return objective if objective in classes else None
    return emotion if emotion in classes else None


def apply_taxonomy(records: list[dict], taxonomy: str | Sequence[str], dataset: str,
                   sheet_path: str | Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Table of ``records`` (each with ``emotion`` and maybe ``objective_class``) labelled under
    ``taxonomy``; rows outside it are dropped and counted in ``df.attrs``.

    ``df.attrs``: ``taxonomy``, ``dropped`` (rows left out), ``dropped_by_emotion``, ``source``,
    ``dropped_rows`` (one dict per row left out: ``file``, ``row``, ``subject``, ``clip``, ``label``
    (the sheet's emotion), ``reason``), so that whoever uses the table can say what it left out.
    """
    name, classes = resolve_taxonomy(taxonomy)
    if name == "samm_objective" and records and all(r.get("objective_class") is None for r in records):
        raise ConfigError(f"taxonomy 'samm_objective' needs objective classes, which {dataset} does not code")
    _check_unique_clips(records, sheet_path)
    kept, dropped, dropped_rows = [], {}, []
    for r in records:
        label = class_of(r["emotion"], name, classes, r.get("objective_class"))
        if label is None:
            dropped[r["emotion"]] = dropped.get(r["emotion"], 0) + 1
            dropped_rows.append({"file": str(sheet_path), "row": r.get("sheet_row"), "subject": r.get("subject", ""),
                                 "clip": r.get("clip", ""), "label": r["emotion"],
                                 "reason": _left_out_reason(r, name, classes)})
            continue
        kept.append({**r, "label": label, "y": classes.index(label)})
    df = pd.DataFrame.from_records(kept)
    if df.empty:
        df = pd.DataFrame(columns=["dataset", "subject", "clip", "label", "y", "onset", "apex", "offset"])
    df.attrs.update({"taxonomy": name, "dropped": sum(dropped.values()), "dropped_by_emotion": dropped,
                     "dropped_rows": dropped_rows, "source": str(sheet_path)})
    if dropped:
        log.info("%s: %d rows outside taxonomy %s left out (%s)", dataset, sum(dropped.values()), name, dropped)
    return df, classes


def _check_unique_clips(records: list[dict], sheet_path: str | Path) -> None:
    """Two rows (or folders) for one clip would write one clip's outputs twice: name both."""
    first: dict[tuple, dict] = {}
    for r in records:
        key = (r.get("subject"), r.get("clip"))
        if key in first:
            a, b = first[key], r
            if a.get("sheet_row") is not None and b.get("sheet_row") is not None:
                where = f"in the sheet (rows {a['sheet_row']} and {b['sheet_row']})"
            else:
                where = f"(folders {a.get('frames_dir') or '?'} and {b.get('frames_dir') or '?'})"
            raise DataError(f"clip {key[0]}/{key[1]} appears twice {where}", sheet_path, b.get("sheet_row"))
        first[key] = r


def _left_out_reason(record: dict, taxonomy: str, classes: tuple[str, ...]) -> str:
    if taxonomy == "megc3":
        return f"emotion {record['emotion']!r} has no MEGC2019 class (negative, positive, surprise)"
    if taxonomy == "samm_objective":
        return f"objective class {record.get('objective_class')!r} is not one of {list(classes)}"
    return f"emotion {record['emotion']!r} is not a class of taxonomy {taxonomy} {list(classes)}"


def table_from_records(records: list[dict], taxonomy: str | Sequence[str], dataset: str, sheet_path: str | Path,
                       *, with_frames: bool, strict: bool = True):
    """The :class:`SampleTable` of parsed sheet rows: labelled under ``taxonomy``, and (``with_frames``)
    with ``frame_paths`` of the kept rows looked up on disk (see :func:`frame_folders.attach_frames`)."""
    from .frame_folders import attach_frames
    from .samples import SampleTable

    df, classes = apply_taxonomy(records, taxonomy, dataset, sheet_path)
    attrs = dict(df.attrs)
    kept = df.to_dict("records")
    for r in kept:  # pandas turned None into NaN and ints into floats in columns with gaps
        for col in ("onset", "apex", "offset"):
            if col in r:
                r[col] = None if pd.isna(r[col]) else int(r[col])
    if with_frames:
        attach_frames(kept, Path(sheet_path), strict)
    else:
        for r in kept:
            r["frame_paths"], r["frames_error"] = [], ""
    columns = list(df.columns) + [c for c in ("frame_paths", "frames_error") if c not in df.columns]
    df = pd.DataFrame.from_records(kept, columns=columns)
    for col in ("onset", "apex", "offset"):
        df[col] = pd.array([None if pd.isna(v) else int(v) for v in df[col]], dtype="Int64")
    table = SampleTable(df, classes, {}, name=dataset)
    table.df.attrs.update(attrs)
    return table


def emotion_of(value: object, path: str | Path, row: int) -> str:
    """Canonical emotion of a sheet cell; unknown labels raise :class:`DataError` naming the row."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        raise DataError("emotion cell is empty", path, row)
    return normalise_emotion(str(value), str(path), row)


def find_sheet_file(root: Path, patterns: Sequence[str], what: str) -> Path:
    """The coding sheet in ``root`` (or ``root`` itself when it is a file) matching ``patterns``."""
    if root.is_file():
        return root
    for pattern in patterns:
        hits = sorted(root.glob(pattern))
        if hits:
            return hits[0]
    raise DataError(f"no {what} coding sheet found (looked for {list(patterns)}); pass sheet=PATH", root)


__all__ = [
    "HEADER_SEARCH_ROWS", "read_coding_sheet", "frame_number", "key_frames", "cell_text", "au_string",
    "resolve_taxonomy", "class_of", "apply_taxonomy", "table_from_records", "emotion_of", "find_sheet_file",
]
