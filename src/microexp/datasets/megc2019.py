"""The MEGC2019 composite benchmark exactly as researchers have it.

Layout (root = the folder holding the CSV)::

    combined_3_class2_for_optical_flow.csv          dataset,sub,filename_o,label,apex,imagename,sub_filename
    datasets/STSNet_whole_norm_u_v_os/<sub>_<filename_o> .png   28×28 RGB: u, v, strain, each min–max scaled
    datasets/combined_datasets_whole/<imagename>                224×224 apex face

Note the space before ``.png`` in the flow file names: that is how the benchmark circulates.
Array kinds: ``flow`` → (3, S, S) float32 in [0, 1] (u, v, strain); ``face`` → (H, W, 3) uint8 RGB.
"""
from __future__ import annotations

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


def _read_csv(csv_path: Path) -> pd.DataFrame:
    if not csv_path.is_file():
        raise DataError("composite CSV is missing", csv_path)
    try:
        df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises many types for malformed text
        raise DataError(f"cannot parse CSV ({exc})", csv_path) from exc
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"CSV lacks columns {missing}; expected {list(CSV_COLUMNS)}, found {list(df.columns)}", csv_path)
    if df.empty:
        raise DataError("CSV has no rows", csv_path)
    return df


def load_megc2019(root: str | Path, *, check_files: bool = True) -> SampleTable:
    """Read the composite; every CSV row is validated and its files checked (``check_files``).

    Rows are numbered as in the file (header = row 1), so an error points at the line to fix.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError("composite root folder does not exist", root)
    csv_path = root / CSV_NAME
    raw = _read_csv(csv_path)
    records = []
    for i, r in raw.iterrows():
        line = int(i) + 2
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
        if check_files:
            for p, what in ((flow_path, "flow image"), (face_path, "apex face image")):
                if not p.is_file():
                    raise DataError(f"{what} {p} is missing", csv_path, line)
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
    return SampleTable(df, MEGC3, {"flow": _load_flow, "face": _load_face}, name="megc2019")


def _load_flow(row: pd.Series, i: int) -> np.ndarray:
    img = read_image(row["flow_path"], "rgb", row=row.get("csv_row"))
    if img.ndim != 3 or img.shape[2] != 3:
        raise DataError(f"flow image must have 3 channels, has shape {img.shape}", row["flow_path"], row.get("csv_row"))
    return np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0


def _load_face(row: pd.Series, i: int) -> np.ndarray:
    return read_image(row["face_path"], "rgb", row=row.get("csv_row"))
