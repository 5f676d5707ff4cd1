"""The hand-crafted whole-sequence features circulated with the MEGC2019 composite.

Layout as circulated (a folder with ``LBP-TOP/Features.zip`` and ``HOOF/Features.zip``)::

    LBP-TOP/Features.zip   LBPTOP_TIM{10,64}_333_{4,8}/Features/<dataset>-<subject>-<clip>.mat   ``Histogram`` (3, 59)
    HOOF/Features.zip      HOOF_TIM{10,64}_{4,8}/Features/<dataset>-<subject>-<clip>.mat          ``HOOF`` (k, bins)

They are computed from the whole onset–offset sequence (temporally interpolated to 10 or 64
frames), so they carry motion the composite's onset→apex flow images do not. Samples are joined
to the composite's rows by database, subject and clip; SAMM subjects are written without their
leading zeros in the feature names (``samm-10-010_2_1`` for subject ``010``). Every composite row
must find its features, else the error names the row; the ``.mat`` files are read with SciPy's
MATLAB reader (numeric arrays only, nothing is executed).

:func:`attach_features` adds one array kind per variant to a composite :class:`SampleTable`
(``lbptop`` / ``hoof`` by default), so any classical recogniser can be evaluated on them with
``input_kind: lbptop``.
"""
from __future__ import annotations

import io
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .samples import SampleTable

#: Variant folder inside each zip → (zip file, the array's name in each .mat).
ARCHIVES = {"LBPTOP": ("LBP-TOP/Features.zip", "Histogram"), "HOOF": ("HOOF/Features.zip", "HOOF")}
#: Array kinds added by default: TIM10 (10 interpolated frames) of each descriptor.
DEFAULT_VARIANTS = {"lbptop": "LBPTOP_TIM10_333_8", "hoof": "HOOF_TIM10_8"}


def _archive_of(variant: str) -> tuple[str, str]:
    for prefix, spec in ARCHIVES.items():
        if variant.startswith(prefix):
            return spec
    raise DataError(f"unknown feature variant {variant!r}; expected a folder name starting with "
                    f"{' or '.join(ARCHIVES)} (e.g. {', '.join(DEFAULT_VARIANTS.values())})")


def _sample_key(dataset: str, subject: str, clip: str) -> str:
    sub = subject.split("/")[-1]
    if dataset == "samm":
        sub = sub.lstrip("0") or "0"
    return f"{dataset}-{sub}-{clip}".lower()


def read_feature_variant(features_root: str | Path, variant: str) -> dict[str, np.ndarray]:
    """``{"<dataset>-<subject>-<clip>": flat float32 vector}`` of one variant."""
    root = Path(features_root)
    rel, array_name = _archive_of(variant)
    path = root / rel
    if not path.is_file():
        raise DataError(f"feature archive is missing (expected {rel} under the features folder)", path)
    import scipy.io

    out: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.startswith(f"{variant}/") and n.endswith(".mat")]
            if not names:
                raise DataError(f"no {variant}/…/*.mat entries in the archive", path)
            for name in names:
                try:
                    mat = scipy.io.loadmat(io.BytesIO(z.read(name)))
                except (ValueError, TypeError, OSError) as exc:
                    raise DataError(f"{name}: not a readable MATLAB file ({exc})", path) from None
                if array_name not in mat:
                    raise DataError(f"{name}: has no {array_name!r} array", path)
                out[Path(name).stem.lower()] = np.asarray(mat[array_name], dtype=np.float32).ravel()
    except zipfile.BadZipFile:
        raise DataError("not a zip archive", path) from None
    return out


def composite_features(table: SampleTable, features_root: str | Path, variant: str) -> np.ndarray:
    """(N, D) features of ``variant`` in the order of ``table``'s rows (every row must join)."""
    found = read_feature_variant(features_root, variant)
    rows = []
    for _, r in table.df.iterrows():
        key = _sample_key(r["dataset"], r["subject"], r["clip"])
        if key not in found:
            raise DataError(f"no {variant} features for {r['subject']}/{r['clip']} (looked for {key}.mat)",
                            r.get("flow_path", features_root), r.get("csv_row"))
        rows.append(found[key])
    sizes = {len(v) for v in rows}
    if len(sizes) != 1:
        raise DataError(f"{variant} features differ in length across samples: {sorted(sizes)}", features_root)
    return np.stack(rows)


def _row_features(row: pd.Series, i: int, *, matrix: np.ndarray, keys: dict[str, int]) -> np.ndarray:
    return matrix[keys[_sample_key(row["dataset"], row["subject"], row["clip"])]]


def attach_features(table: SampleTable, features_root: str | Path,
                    variants: dict[str, str] | None = None) -> SampleTable:
    """A copy of ``table`` that can also load each ``kind: variant`` (default :data:`DEFAULT_VARIANTS`)."""
    variants = dict(DEFAULT_VARIANTS if variants is None else variants)
    df = table.df.copy()
    loaders, sources = dict(table.loaders), dict(table.sources)
    keys = {_sample_key(r["dataset"], r["subject"], r["clip"]): i for i, r in table.df.iterrows()}
    for kind, variant in variants.items():
        matrix = composite_features(table, features_root, variant)
        loaders[kind] = partial(_row_features, matrix=matrix, keys=keys)
        df[f"{kind}_archive"] = f"{Path(features_root) / _archive_of(variant)[0]}:{variant}"
        # one archive holds every variant, so a run's identity hashes the arrays, not the archive
        sources.pop(kind, None)
    return SampleTable(df, table.classes, loaders, table.name, sources)
