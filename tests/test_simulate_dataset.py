"""A simulated database: CASME II's layout, read back by the CASME II loader, byte-identical per seed."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from microexp.errors import ConfigError
from microexp.simulate import read_ground_truth, simulate_dataset

SHEET = "CASME2-coding-20140508.xlsx"
SMALL = dict(subjects=2, clips_per_subject=2, duration_range_s=(0.04, 0.08))


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "a"
    simulate_dataset(root, seed=3, **SMALL)
    return root


def test_same_seed_gives_byte_identical_files(simulated, tmp_path):
    again = tmp_path / "b"
    simulate_dataset(again, seed=3, **SMALL)
    first, second = _tree_digest(simulated), _tree_digest(again)
    assert first == second
    assert any(name.endswith(".jpg") for name in first) and SHEET in first


def test_layout_and_sheet_format_follow_casme2(simulated):
    import openpyxl

    wb = openpyxl.load_workbook(simulated / SHEET)
    assert wb.sheetnames[0] == "Sheet1"
    rows = list(wb["Sheet1"].iter_rows(values_only=True))
    assert rows[0] == ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units",
                       "Estimated Emotion")
    assert len(rows) == 5
    for subject, name, onset, apex, offset, aus, emotion in rows[1:]:
        assert isinstance(subject, str) and len(subject) == 2 and subject.isdigit()
        assert name.startswith("EP") and all(isinstance(v, int) for v in (onset, apex, offset))
        assert onset < apex < offset
        assert isinstance(aus, (int, str)) and emotion == emotion.lower()
        folder = simulated / "CASME2_RAW_selected" / f"sub{subject}" / name
        numbers = sorted(int(p.stem[3:]) for p in folder.glob("img*.jpg"))
        assert numbers == list(range(onset, offset + 1))


def test_casme2_loader_reads_the_simulation_unchanged(simulated):
    casme2 = pytest.importorskip("microexp.datasets.casme2")
    table = casme2.load_casme2(simulated, taxonomy=["happiness", "surprise", "disgust", "repression", "others",
                                                    "fear", "sadness"])
    truth = read_ground_truth(simulated)
    assert len(table) == len(truth["clips"]) == 4
    by_clip = {(c["folder"], c["filename"]): c for c in truth["clips"]}
    for _, row in table.df.iterrows():
        clip = by_clip[(row["subject"].split("/")[-1], row["clip"])]
        assert row["label"] == clip["emotion"]
        assert row["apex"] - row["onset"] == clip["apex_index"]
        assert len(row["frame_paths"]) == clip["n_frames"] == clip["landmarks"].shape[0]


def test_ground_truth_is_complete(simulated):
    truth = read_ground_truth(simulated)
    assert truth["config"]["seed"] == 3 and set(truth["identities"]) == {"01", "02"}
    for clip in truth["clips"]:
        assert clip["landmarks"].shape == (clip["n_frames"], 68, 2)
        assert clip["apex_frame"] == clip["onset_frame"] + clip["apex_index"]
        for curve in clip["au_intensity_per_frame"].values():
            assert len(curve) == clip["n_frames"] and int(np.argmax(curve)) == clip["apex_index"]


def test_zero_amplitude_dataset_has_no_motion(tmp_path):
    root = tmp_path / "still"
    simulate_dataset(root, amplitude=0.0, difficulty="none", subjects=1, clips_per_subject=1,
                     duration_range_s=(0.04, 0.04))
    frames = sorted((root / "CASME2_RAW_selected" / "sub01").glob("*/img*.jpg"))
    assert len(frames) >= 5
    assert len({p.read_bytes() for p in frames}) == 1


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError):
        simulate_dataset(tmp_path, subjects=1, clips_per_subject=1)
    assert (tmp_path / "notes.txt").read_text() == "mine"
