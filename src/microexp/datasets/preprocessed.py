"""A folder written by ``microexp preprocess`` read back as a :class:`SampleTable`.

``samples.csv`` lists the clips, ``preprocess.json`` the parameters and classes, and each clip's
arrays sit in the ``.npz`` named in its row (see :mod:`microexp.pipeline.preprocess`).
"""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .samples import SampleTable

SAMPLE_COLUMNS = ("dataset", "subject", "clip", "label", "y", "onset", "apex", "offset", "apex_source", "emotion",
                  "au", "npz", "flow_png", "face_jpg")


def load_preprocessed(out_dir: str | Path) -> SampleTable:
    """The clips of a preprocessed folder, with array kinds ``flow`` (3, C, C) float32 in [0, 1]
    (u, v, strain, as the composite), ``flow_full`` the same at the face size S (no resizing),
    ``face`` (S, S, 3) uint8 RGB apex face, ``strain`` (S, S),
    ``ars``, ``rrs`` and ``lbptop`` (D,) — the kinds the run computed."""
    out_dir = Path(out_dir)
    samples_path, meta_path = out_dir / "samples.csv", out_dir / "preprocess.json"
    for p in (samples_path, meta_path):
        if not p.is_file():
            raise DataError("not a preprocessed folder (run `microexp preprocess` first)", p)
    meta = json.loads(meta_path.read_text())
    df = pd.read_csv(samples_path, dtype=str, keep_default_na=False)
    missing = [c for c in SAMPLE_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"samples.csv lacks columns {missing}", samples_path)
    classes = tuple(meta["classes"])
    for i, r in df.iterrows():
        if r["label"] not in classes:
            raise DataError(f"label {r['label']!r} is not one of {list(classes)}", samples_path, int(i) + 2)
    for col in ("onset", "apex", "offset"):
        df[col] = pd.array([int(v) if v.strip() else None for v in df[col]], dtype="Int64")
    df["y"] = df["y"].astype(int)
    df["npz_path"] = [str(out_dir / p) for p in df["npz"]]
    df["csv_row"] = np.arange(len(df)) + 2
    features = set(meta["params"]["features"])
    loaders = {"face": _npz_loader("apex_face")}
    if "flow" in features:
        loaders["flow"] = _load_flow_image
        loaders["flow_full"] = _load_flow_full
    if {"flow", "strain"} & features:
        loaders["strain"] = _npz_loader("strain")
    for kind in ("ars", "rrs", "lbptop"):
        if kind in features:
            loaders[kind] = _npz_loader(kind)
    # every array of a clip comes from its .npz: the file a run's fingerprint hashes
    table = SampleTable(df, classes, loaders, name="preprocessed", sources={kind: "npz_path" for kind in loaders})
    table.df.attrs.update({"taxonomy": meta.get("taxonomy", ""), "params": meta["params"]})
    return table


def _npz_array(row: pd.Series, key: str) -> np.ndarray:
    path = row["npz_path"]
    if not Path(path).is_file():
        raise DataError("preprocessed clip file is missing", path, row.get("csv_row"))
    try:
        with np.load(path) as data:
            if key not in data.files:
                raise DataError(f"has no {key!r} array (it has {data.files})", path, row.get("csv_row"))
            return data[key]
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read ({exc})", path, row.get("csv_row")) from exc


def _load_npz_kind(row: pd.Series, i: int, *, key: str) -> np.ndarray:
    return _npz_array(row, key)


def _npz_loader(key: str):
    # a partial of a module-level function pickles, so tables can travel to worker processes
    return partial(_load_npz_kind, key=key)


def _load_flow_image(row: pd.Series, i: int) -> np.ndarray:
    img = _npz_array(row, "flow_image")
    return np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0


def _load_flow_full(row: pd.Series, i: int) -> np.ndarray:
    """(3, S, S) float32: u, v and strain at the aligned face's size, each min–max scaled to [0, 1]."""
    flow, strain = _npz_array(row, "flow"), _npz_array(row, "strain")
    channels = np.concatenate([flow.transpose(2, 0, 1), strain[None]]).astype(np.float32)
    lo = channels.min(axis=(1, 2), keepdims=True)
    span = channels.max(axis=(1, 2), keepdims=True) - lo
    return np.where(span > 0, (channels - lo) / np.where(span > 0, span, 1), 0).astype(np.float32)
