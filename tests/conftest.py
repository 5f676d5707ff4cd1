"""Shared fixtures. Real (licence-restricted) data lives in ../shared/data beside the checkout and is
never part of the project: tests needing it skip with a reason when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MICROEXP_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder; skips the test when it is absent (e.g. in a user's fresh clone)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (licence-restricted, not distributed)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def megc2019_root(shared_data) -> Path:
    root = shared_data / "megc2019"
    if not (root / "combined_3_class2_for_optical_flow.csv").is_file():
        pytest.skip(f"MEGC2019 composite not found under {root}")
    return root


def write_composite_fixture(root: Path, subjects_per_dataset: int = 3, per_subject: int = 4, seed: int = 0,
                            separable: bool = True) -> Path:
    """A small composite in the exact circulated layout (CSV + '<sub>_<clip> .png' flows + apex faces).

    With ``separable`` the class is written into the flow images' mean level, so a working classifier
    scores far above chance and a broken pipeline does not.
    """
    import cv2

    rng = np.random.default_rng(seed)
    flow_dir = root / "datasets" / "STSNet_whole_norm_u_v_os"
    face_dir = root / "datasets" / "combined_datasets_whole"
    flow_dir.mkdir(parents=True, exist_ok=True)
    face_dir.mkdir(parents=True, exist_ok=True)
    lines = ["dataset,sub,filename_o,label,apex,imagename,sub_filename"]
    for ds, fmt in (("casme2", "sub{:02d}"), ("samm", "{:03d}"), ("smic", "s{:02d}")):
        for s in range(1, subjects_per_dataset + 1):
            sub = fmt.format(s + (5 if ds == "samm" else 0))
            for c in range(per_subject):
                label = c % 3
                clip = f"EP{c:02d}_{s}" if ds != "smic" else f"{sub}_ne_{c:02d}"
                img = rng.integers(0, 60, size=(28, 28, 3), dtype=np.uint8)
                if separable:
                    img[:, :, label] += 150
                cv2.imwrite(str(flow_dir / f"{sub}_{clip} .png"), img[:, :, ::-1])  # files hold RGB
                face = rng.integers(0, 255, size=(32, 32, 3), dtype=np.uint8)
                imagename = f"{sub}_{clip}.jpg"
                cv2.imwrite(str(face_dir / imagename), face)
                lines.append(f"{ds},{sub},{clip},{label},,{imagename},")
    (root / "combined_3_class2_for_optical_flow.csv").write_text("\n".join(lines) + "\n")
    return root


#: Column titles of SAMM Long Videos' workbook (``SAMMLV_gt.xlsx``, sheet ``FACS_Movement_Only``).
SAMM_LV_HEADER = ["Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
                  "Action Units", "Notes"]


def write_samm_lv_workbook(folder: Path, rows: list[list]) -> Path:
    """``SAMMLV_gt.xlsx`` in ``folder`` as the database ships it: a title, blank lines, the header
    on the tenth row, then ``rows`` (so the first data row is row 11)."""
    import pandas as pd

    title = [["SAMM Long Videos Dataset - FACS Codes"] + [None] * 9] + [[None] * 10] * 8
    path = Path(folder) / "SAMMLV_gt.xlsx"
    pd.DataFrame(title + [SAMM_LV_HEADER] + rows).to_excel(path, sheet_name="FACS_Movement_Only", header=False,
                                                           index=False)
    return path


@pytest.fixture
def composite_fixture(tmp_path) -> Path:
    return write_composite_fixture(tmp_path / "megc")


@pytest.fixture(scope="session")
def load_benchmark():
    """``load_benchmark("super_resolution")`` → the module of ``benchmarks/super_resolution.py``
    (imported once per session, registered in ``sys.modules`` for dataclass/pickle look-ups)."""
    import importlib.util
    import sys

    def load(name: str):
        key = f"microexp_benchmark_{name}"
        if key not in sys.modules:
            spec = importlib.util.spec_from_file_location(key, REPO / "benchmarks" / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[key] = module
            spec.loader.exec_module(module)
        return sys.modules[key]

    return load


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A model folder (`microexp train`, RBF SVM) fitted on a small composite fixture, shared by the
    analysis tests."""
    from microexp.pipeline.train import train_model

    root = write_composite_fixture(tmp_path_factory.mktemp("megc") / "megc", subjects_per_dataset=2, per_subject=3)
    out = tmp_path_factory.mktemp("model") / "svm"
    train_model(dataset="megc2019", root=root, out=out, model="svm", echo=lambda s: None)
    return out
