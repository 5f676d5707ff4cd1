"""Paper 000, table 1: ×4 face super-resolution (32 → 128) on the MEGC2019 composite apex faces.

Protocol (fixed before any result was seen): HR = the 224×224 apex faces resized to 128×128;
LR = ``degrade(HR, seed=row)`` (32×32). A fixed subject split drawn with ``--seed``: in every
source database, ``--test-fraction`` of the subjects (rounded, at least one) are held out; the
generators are trained on the faces of the other subjects only and measured on the held-out
faces. Bicubic, the L1-trained RRDBNet (PSNR model) and the ESRGAN fine-tuned model are compared
with PSNR / SSIM / MSE per image (see ``microexp.augment.superres.metrics``), overall and per
database. Ends with one JSON line.

    python benchmarks/super_resolution.py --root /work/shared/data/megc2019 --out runs/sr_bench
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

FACES_FOLDER = "datasets/combined_datasets_whole"
CSV_NAME = "combined_3_class2_for_optical_flow.csv"


def load_composite_faces(root: str | Path, size: int = 128):
    """HR apex faces ``(N, size, size, 3)`` uint8 and the CSV rows (dataset, sub, imagename, label)."""
    import pandas as pd

    from microexp.augment.superres import resize_face
    from microexp.errors import DataError
    from microexp.io import read_image

    root = Path(root)
    csv = root / CSV_NAME
    if not csv.is_file():
        raise DataError("MEGC2019 composite CSV is missing", csv)
    table = pd.read_csv(csv)
    for col in ("dataset", "sub", "imagename", "label"):
        if col not in table.columns:
            raise DataError(f"column {col!r} is missing", csv)
    table["subject"] = table["dataset"].astype(str) + "/" + table["sub"].astype(str)
    faces = np.stack([resize_face(read_image(root / FACES_FOLDER / name, "rgb", row=i + 2), size)
                      for i, name in enumerate(table["imagename"])])
    return faces, table.reset_index(drop=True)


def subject_split(table, test_fraction: float, seed: int) -> np.ndarray:
    """Boolean test mask: per database, a seeded random ``test_fraction`` of its subjects."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(table), bool)
    for dataset in sorted(table["dataset"].unique()):
        subjects = sorted(table.loc[table["dataset"] == dataset, "subject"].unique())
        k = max(1, int(round(test_fraction * len(subjects))))
        chosen = set(rng.choice(subjects, size=k, replace=False).tolist())
        test |= table["subject"].isin(chosen).to_numpy() & (table["dataset"] == dataset).to_numpy()
    return test
