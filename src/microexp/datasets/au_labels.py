"""Action units of every coded sample, read from the databases' sheets and joined to sample tables.

Five sheets code action units (``sheets_dir`` is the annotations folder holding one folder per
database, or that database's folder itself):

============ ============================ ==================== ==============================
database     sheet                        AU column            sample key
============ ============================ ==================== ==============================
casme2       CASME2/CASME2-coding-*.xlsx  Action Units         ``casme2/sub01``, ``EP02_01f``
samm         SAMM/SAMM*.xlsx              Action Units         ``samm/006``, ``006_1_2``
casme3       CASME3/casme3*.xlsx          AU                   ``casme3/spNO.1``, ``a_355``
casme_sq     CASME_sq/CASME_sq_gt.xlsx    (6th column)         ``casme_sq/s15``, ``<video>/<onset>``
samm_lv      SAMM-LV/SAMMLV_gt.xlsx       Action Units         ``samm_lv/006``, ``<video>/<onset>``
============ ============================ ==================== ==============================

Subjects and clips are named as the loaders name them (:mod:`.casme2`, :mod:`.samm`,
:mod:`.casme3`, :mod:`.megc2019`), so a sheet's rows join the loaders' tables and the MEGC2019
composite by ``(subject, clip)``. SMIC codes no action units.

A joined table gets one column per AU, ``au:<number>`` (``au:12``), holding 1.0 when the AU is
coded without doubt, 0.0 when the sample is coded and the AU is not among its codes, and NaN when
nothing is known: the AU is coded only with doubt (:class:`~.au_codes.AUCode` ``uncertain``),
the sample's cell codes no AU (``'?'``), or its database codes none (SMIC). ``au_codes`` holds the
cell in canonical form.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .au_codes import AUCoding, parse_au_codes
from .coding_sheet import cell_text, find_sheet_file, frame_number, read_coding_sheet
from .samples import SampleTable

#: Prefix of the AU label columns of a sample table (``au:12``).
AU_COLUMN_PREFIX = "au:"
#: An AU is detected and evaluated only with at least this many positives among the composite's
#: AU-coded samples: a count fixed from the labels alone, before any model sees the data.
MIN_POSITIVES = 20


@dataclass(frozen=True)
class AUSheet:
    """Where a database's AU codes are: its folder, sheet file patterns, sheet and columns."""

    folder: str
    patterns: tuple[str, ...]
    sheet: str = ""
    columns: tuple[str, ...] = ()


#: The sheets that code action units, by database name.
AU_SHEETS: dict[str, AUSheet] = {
    "casme2": AUSheet("CASME2", ("CASME2-coding-*.xlsx", "CASME2*.xlsx"), "Sheet1",
                      ("Subject", "Filename", "Action Units")),
    "samm": AUSheet("SAMM", ("SAMM*.xlsx",), "MICRO_ONLY", ("Subject", "Filename", "Action Units")),
    "casme3": AUSheet("CASME3", ("casme3*.xlsx", "CAS(ME)*.xlsx"), "label", ("Subject", "Filename", "Onset", "AU")),
    "casme_sq": AUSheet("CASME_sq", ("CASME_sq_gt.xlsx",)),
    "samm_lv": AUSheet("SAMM-LV", ("SAMMLV_gt.xlsx",)),
}


def au_column(number: int) -> str:
    return f"{AU_COLUMN_PREFIX}{int(number)}"


def au_number(column: str) -> int:
    return int(str(column)[len(AU_COLUMN_PREFIX):])


def au_columns(df: pd.DataFrame) -> list[str]:
    """The AU label columns of a table, by AU number."""
    return sorted((c for c in df.columns if str(c).startswith(AU_COLUMN_PREFIX)), key=au_number)


def sheet_path(database: str, sheets_dir: str | Path) -> Path:
    """The AU sheet of ``database`` under ``sheets_dir`` (the annotations folder, the database's
    folder, or the sheet itself)."""
    if database not in AU_SHEETS:
        raise ConfigError(f"database {database!r} codes no action units here; known: {', '.join(AU_SHEETS)}")
    spec, root = AU_SHEETS[database], Path(sheets_dir)
    if not root.exists():
        raise DataError("annotations folder does not exist", root)
    folder = root / spec.folder if (root / spec.folder).is_dir() else root
    return find_sheet_file(folder, spec.patterns, database)


def _clip_rows(database: str, path: Path) -> list[dict]:
    from .casme2 import subject_folder
    from .samm import subject_code

    spec = AU_SHEETS[database]
    rows = read_coding_sheet(path, spec.sheet, spec.columns)
    out = []
    for _, r in rows.iterrows():
        line = int(r["sheet_row"])
        sub, name = cell_text(r["Subject"]), cell_text(r["Filename"])
        if not sub or not name:
            raise DataError("Subject or Filename is empty", path, line)
        if database == "casme2":
            subject, clip = subject_folder(sub), name
        elif database == "samm":
            subject, clip = subject_code(r["Subject"]), name
        else:  # CAS(ME)^3 names a recording; its clips are <recording>_<onset> (see casme3.py)
            subject, clip = sub, f"{name.lower()}_{frame_number(r['Onset'], path, line, 'Onset')}"
        out.append({"subject": f"{database}/{subject}", "clip": clip, "row": line, "value": r[spec.columns[-1]]})
    return out


def _long_video_rows(database: str, path: Path) -> list[dict]:
    from .long_videos import load_long_video_intervals

    df = load_long_video_intervals(database, path)
    return [{"subject": f"{database}/{r.subject}", "clip": f"{r.video}/{r.onset}", "row": int(r.row),
             "value": r.aus} for r in df.itertuples(index=False)]


def read_au_sheet(database: str, sheets_dir: str | Path, *, strict: bool = True) -> pd.DataFrame:
    """Every coded row of ``database``'s sheet with its action units read.

    Columns: ``dataset, subject, clip, file, row, text, canonical, present, uncertain, notes,
    repairs, coding`` (``present`` / ``uncertain``: tuples of AU numbers; ``coding``: the
    :class:`~.au_codes.AUCoding`). A cell that cannot be read raises :class:`DataError` naming the
    file and row; with ``strict=False`` it is left out and listed in ``df.attrs["problems"]``
    (``file, row, text, error``).
    """
    path = sheet_path(database, sheets_dir)
    raw = _clip_rows(database, path) if AU_SHEETS[database].sheet else _long_video_rows(database, path)
    records, problems = [], []
    for r in raw:
        try:
            coding = parse_au_codes(r["value"], path, r["row"])
        except DataError as exc:
            if strict:
                raise
            problems.append({"file": str(path), "row": r["row"], "text": cell_text(r["value"]), "error": str(exc)})
            continue
        records.append({"dataset": database, "subject": r["subject"], "clip": r["clip"], "file": str(path),
                        "row": r["row"], "text": coding.text, "canonical": coding.canonical,
                        "present": tuple(sorted(coding.present)), "uncertain": tuple(sorted(coding.uncertain)),
                        "notes": "; ".join(coding.notes), "repairs": "; ".join(coding.repairs), "coding": coding})
    df = pd.DataFrame.from_records(records, columns=["dataset", "subject", "clip", "file", "row", "text", "canonical",
                                                     "present", "uncertain", "notes", "repairs", "coding"])
    df.attrs["problems"] = problems
    df.attrs["source"] = str(path)
    return df


def label_matrix(codings: list[AUCoding | None], aus: list[int]) -> np.ndarray:
    """(N, len(aus)) labels: 1 coded, 0 not coded, NaN unknown (see the module docstring)."""
    Y = np.full((len(codings), len(aus)), np.nan)
    for i, coding in enumerate(codings):
        if coding is None or not coding.coded:
            continue
        for k, a in enumerate(aus):
            Y[i, k] = 1.0 if a in coding.present else (np.nan if a in coding.uncertain else 0.0)
    return Y


def attach_au_labels(table: SampleTable, sheets_dir: str | Path, aus: list[int] | None = None, *,
                     strict: bool = True) -> tuple[SampleTable, pd.DataFrame]:
    """``table`` with ``au:<n>`` label columns and ``au_codes``, and the rows left without AUs.

    ``aus``: the AU numbers to make columns of (default: every AU coded without doubt in a joined
    row). Rows of a database with an AU sheet that match no sheet row, or whose cell codes no AU,
    are returned in the second table (``dataset, subject, clip, row, reason``; ``row`` is the
    table's own ``csv_row`` / ``sheet_row``). Rows of databases without AU coding (SMIC) get NaN.
    """
    df = table.df
    sheets = {db: read_au_sheet(db, sheets_dir, strict=strict)
              for db in dict.fromkeys(map(str, df["dataset"])) if db in AU_SHEETS}
    lookup = {(r.subject, r.clip): r for s in sheets.values() for r in s.itertuples(index=False)}
    codings: list[AUCoding | None] = []
    unmatched = []
    row_col = next((c for c in ("csv_row", "sheet_row") if c in df.columns), None)
    for r in df.itertuples(index=False):
        hit = lookup.get((r.subject, r.clip))
        codings.append(None if hit is None else hit.coding)
        if r.dataset not in sheets:
            continue
        where = None if row_col is None else int(getattr(r, row_col))
        if hit is None:
            reason = f"no row for {r.subject}/{r.clip} in {Path(sheets[r.dataset].attrs['source']).name}"
        elif not hit.coding.coded:
            reason = f"sheet row {hit.row} codes no action unit ({hit.text!r})"
        else:
            continue
        unmatched.append({"dataset": r.dataset, "subject": r.subject, "clip": r.clip, "row": where, "reason": reason})
    if aus is None:
        aus = sorted({a for c in codings if c is not None for a in c.present})
    Y = label_matrix(codings, list(aus))
    out = df.drop(columns=[c for c in df.columns if str(c).startswith(AU_COLUMN_PREFIX) or c == "au_codes"])
    labels = pd.DataFrame(Y, columns=[au_column(a) for a in aus], index=out.index)
    labels.insert(0, "au_codes", [None if c is None else c.canonical for c in codings])
    out = pd.concat([out, labels], axis=1)
    out.attrs.update(df.attrs)
    out.attrs["au_sheets"] = [s.attrs["source"] for s in sheets.values()]
    result = SampleTable(out, table.classes, dict(table.loaders), table.name, dict(table.sources))
    result._cache = dict(table._cache)
    return result, pd.DataFrame.from_records(unmatched, columns=["dataset", "subject", "clip", "row", "reason"])


def composite_au_table(megc_root: str | Path, sheets_dir: str | Path, aus: list[int] | None = None,
                       ) -> tuple[SampleTable, pd.DataFrame]:
    """The MEGC2019 composite with AU labels (see :func:`attach_au_labels`)."""
    from .megc2019 import load_megc2019

    return attach_au_labels(load_megc2019(megc_root), sheets_dir, aus)


def au_positive_counts(df: pd.DataFrame) -> dict[int, int]:
    """Positives per AU column (NaN counts as not positive)."""
    return {au_number(c): int((df[c] == 1.0).sum()) for c in au_columns(df)}


def frequent_aus(df: pd.DataFrame, min_positives: int = MIN_POSITIVES) -> list[int]:
    """AU numbers with at least ``min_positives`` positives in ``df``."""
    return [a for a, n in au_positive_counts(df).items() if n >= min_positives]


def labelled_rows(df: pd.DataFrame, aus: list[int] | None = None) -> np.ndarray:
    """Boolean mask of the rows with at least one known label among ``aus`` (default: all AU columns)."""
    cols = au_columns(df) if aus is None else [au_column(a) for a in aus]
    return df[cols].notna().any(axis=1).to_numpy() if cols else np.zeros(len(df), dtype=bool)


__all__ = ["AU_COLUMN_PREFIX", "AU_SHEETS", "AUSheet", "MIN_POSITIVES", "attach_au_labels", "au_column",
           "au_columns", "au_number", "au_positive_counts", "composite_au_table", "frequent_aus", "label_matrix",
           "labelled_rows", "read_au_sheet", "sheet_path"]
