"""The MEGC2019 composite benchmark exactly as researchers have it.

Layout (root = the folder holding the CSV)::

    combined_3_class2_for_optical_flow.csv          dataset,sub,filename_o,label,apex,imagename,sub_filename
    datasets/STSNet_whole_norm_u_v_os/<sub>_<filename_o> .png   28×28 RGB: u, v, strain, each min–max scaled
    datasets/combined_datasets_whole/<imagename>                224×224 apex face

Note the space before ``.png`` in the flow file names: that is how the benchmark circulates.
Array kinds: ``flow`` → (3, S, S) float32 in [0, 1] (u, v, strain); ``face`` → (H, W, 3) uint8 RGB.
The apex faces are looked for only when ``face`` arrays are asked for, so a composite without
its face folder serves flow-only models.
"""
from __future__ import annotations

import csv
import io
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..io import read_image
from ..labels import MEGC3
from .samples import SampleTable

CSV_NAME = "combined_3_class2_for_optical_flow.csv"
CSV_COLUMNS = ("dataset", "sub", "filename_o", "label", "apex", "imagename", "sub_filename")
FLOW_DIR = Path("datasets") / "STSNet_whole_norm_u_v_os"
FACE_DIR = Path("datasets") / "combined_datasets_whole"
#: Databases of the circulated composite; preprocessed output may name others (casme3, video …).
KNOWN_DATASETS = ("casme2", "samm", "smic")


def flow_file_name(sub: str, filename_o: str) -> str:
    """The composite's flow file name for a sample (with its space before the extension)."""
    return f"{sub}_{filename_o} .png"


def _decode(csv_path: Path) -> str:
    """The CSV's text; a byte that is not UTF-8 is reported by its line (the row to fix)."""
    try:
        data = csv_path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read ({exc.strerror or exc})", csv_path) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"byte 0x{data[exc.start]:02x} at column {exc.start - line_start + 1} is not UTF-8 text "
                        "(save the CSV as UTF-8)", csv_path, line) from None


def _read_csv(csv_path: Path) -> pd.DataFrame:
    """The CSV's rows as text, with ``csv_row``: the row number as the file shows it (header = 1)."""
    if not csv_path.is_file():
        raise DataError("composite CSV is missing", csv_path)
    reader = csv.reader(io.StringIO(_decode(csv_path), newline=""))
    try:
        header = [c.strip() for c in next(reader, [])]
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise DataError(f"CSV lacks columns {missing}; expected {list(CSV_COLUMNS)}, found {header}", csv_path, 1)
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) > len(header):
                raise DataError(f"row has {len(cells)} fields, the header {len(header)} ({','.join(header)})",
                                csv_path, reader.line_num)
            cells += [""] * (len(header) - len(cells))  # trailing empty fields may be left off
            rows.append({**dict(zip(header, cells)), "csv_row": reader.line_num})
    except csv.Error as exc:
        raise DataError(f"cannot parse CSV ({exc})", csv_path, reader.line_num) from exc
    if not rows:
        raise DataError("CSV has no rows", csv_path)
    return pd.DataFrame.from_records(rows)


def load_megc2019(root: str | Path, *, check_files: bool = True) -> SampleTable:
    """Read the composite; every CSV row is validated and its flow image checked (``check_files``).

    Rows are numbered as in the file (header = row 1), so an error points at the line to fix.
    Apex faces are checked when ``face`` arrays are first asked for, not here.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError("composite root folder does not exist", root)
    csv_path = root / CSV_NAME
    raw = _read_csv(csv_path)
    records = []
    for _, r in raw.iterrows():
        line = int(r["csv_row"])
        ds = r["dataset"].strip().lower()
        if not ds or not ds.replace("_", "").replace("-", "").isalnum():
            raise DataError(f"invalid dataset name {r['dataset']!r} (e.g. one of {KNOWN_DATASETS})", csv_path, line)
        try:
            y = int(r["label"])
        except ValueError:
            raise DataError(f"label {r['label']!r} is not an integer class code", csv_path, line) from None
        if not 0 <= y < len(MEGC3):
            raise DataError(f"unknown label {y} (expected 0 negative, 1 positive, 2 surprise)", csv_path, line)
        sub, clip = r["sub"].strip(), r["filename_o"].strip()
        if not sub or not clip:
            raise DataError("empty sub or filename_o", csv_path, line)
        flow_path = root / FLOW_DIR / flow_file_name(sub, clip)
        face_path = root / FACE_DIR / r["imagename"].strip()
        if check_files and not flow_path.is_file():
            raise DataError(f"flow image {flow_path} is missing", csv_path, line)
        apex = pd.to_numeric(r["apex"], errors="coerce")
        records.append({
            "dataset": ds, "subject": f"{ds}/{sub}", "clip": clip, "label": MEGC3[y], "y": y,
            "onset": pd.NA, "apex": pd.NA if pd.isna(apex) else int(apex), "offset": pd.NA,
            "flow_path": str(flow_path), "face_path": str(face_path), "csv_row": line,
        })
    df = pd.DataFrame.from_records(records)
    if df.duplicated(["subject", "clip"]).any():
        dup = df[df.duplicated(["subject", "clip"], keep=False)].iloc[0]
        raise DataError(f"duplicate sample {dup['subject']}/{dup['clip']}", csv_path, int(dup["csv_row"]))
    # partials of module-level functions pickle, so the table can travel to worker processes
    loaders = {"flow": _load_flow, "face": partial(_load_face, csv_path=str(csv_path), face_dir=str(root / FACE_DIR))}
    return SampleTable(df, MEGC3, loaders, name="megc2019", sources={"flow": "flow_path", "face": "face_path"})


def _load_flow(row: pd.Series, i: int) -> np.ndarray:
    img = read_image(row["flow_path"], "rgb", row=row.get("csv_row"))
    if img.ndim != 3 or img.shape[2] != 3:
        raise DataError(f"flow image must have 3 channels, has shape {img.shape}", row["flow_path"], row.get("csv_row"))
    return np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0


def _load_face(row: pd.Series, i: int, *, csv_path: str, face_dir: str) -> np.ndarray:
    path = Path(row["face_path"])
    if not path.is_file():
        if not Path(face_dir).is_dir():
            raise DataError(f"apex-face folder is absent: this composite has no 'face' data (expected "
                            f"<root>/{FACE_DIR.as_posix()}/<imagename>; flow-only models do not need it)", face_dir)
        raise DataError(f"apex face image {path} is missing", csv_path, row.get("csv_row"))
    return read_image(path, "rgb", row=row.get("csv_row"))
