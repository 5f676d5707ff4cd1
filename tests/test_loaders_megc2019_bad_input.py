"""The MEGC2019 composite loader on the mistakes users make: every one is a DataError naming the
file and row, and the CLI turns it into exit code 2."""
from __future__ import annotations

import shutil
import sys

import cv2
import numpy as np
import pytest
from conftest import write_composite_fixture

from microexp.datasets.megc2019 import CSV_NAME, FACE_DIR, load_megc2019
from microexp.errors import DataError


def _cli(monkeypatch, capsys, *args) -> tuple[int, str]:
    from microexp.cli.main import main

    monkeypatch.setattr(sys, "argv", ["microexp", *args])
    with pytest.raises(SystemExit) as ex:
        main()
    return ex.value.code or 0, capsys.readouterr().err


def _wrong_size_flow(root):
    """Rewrite the flow PNG of CSV row 7 at 32×32 (the others are 28×28); returns its path."""
    t = load_megc2019(root)
    path = t.df.loc[t.df["csv_row"] == 7, "flow_path"].iloc[0]
    cv2.imwrite(path, np.full((32, 32, 3), 90, np.uint8))
    return path


def test_flow_of_the_wrong_size_names_png_row_and_sizes(tmp_path):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=1)
    bad = _wrong_size_flow(root)
    with pytest.raises(DataError) as e:
        load_megc2019(root).arrays("flow")
    msg = str(e.value)
    assert msg.startswith(f"{bad}, row 7:")
    assert "3×32×32" in msg and "expected 3×28×28" in msg and "11 of the 12" in msg


def test_cli_flow_of_the_wrong_size_exits_2(tmp_path, monkeypatch, capsys):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=2)
    bad = _wrong_size_flow(root)
    code, err = _cli(monkeypatch, capsys, "evaluate", "--root", str(root), "--model", "svm", "--protocol", "kfold",
                     "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet")
    assert code == 2
    assert bad in err and "row 7" in err and "3×32×32" in err


def test_non_utf8_byte_is_reported_by_row(tmp_path, monkeypatch, capsys):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=1)
    csv = root / CSV_NAME
    lines = csv.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b",EP", b",\xe9P", 1)  # Latin-1 "é" in row 5
    csv.write_bytes(b"".join(lines))
    with pytest.raises(DataError, match=r"row 5: byte 0xe9 at column \d+ is not UTF-8") as e:
        load_megc2019(root)
    assert str(e.value).startswith(str(csv))
    code, err = _cli(monkeypatch, capsys, "evaluate", "--root", str(root), "--model", "svm", "--out",
                     str(tmp_path / "out"))
    assert code == 2 and f"{csv}, row 5" in err


def test_row_numbers_count_blank_lines_and_extra_fields_are_named(tmp_path):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=1)
    csv = root / CSV_NAME
    lines = csv.read_text().splitlines()
    lines.insert(2, "")  # a blank line: the rows below it move down one line in an editor
    parts = lines[5].split(",")
    parts[3] = "9"
    lines[5] = ",".join(parts)
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="row 6: unknown label 9"):
        load_megc2019(root)
    lines[5] = lines[5] + ",extra"
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="row 6: row has 8 fields, the header 7"):
        load_megc2019(root)


def test_flow_only_composite_loads_without_the_face_folder(tmp_path):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=1)
    shutil.rmtree(root / FACE_DIR)
    t = load_megc2019(root)
    assert t.arrays("flow").shape == (12, 3, 28, 28)
    with pytest.raises(DataError, match="apex-face folder is absent") as e:
        t.arrays("face")
    assert str(e.value).startswith(str(root / FACE_DIR))


def test_missing_face_image_names_csv_row(tmp_path):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=1)
    t = load_megc2019(root)
    face = t.df.loc[t.df["csv_row"] == 3, "face_path"].iloc[0]
    (root / FACE_DIR / face.rsplit("/", 1)[-1]).unlink()
    assert len(load_megc2019(root)) == 12  # faces are not looked for until asked for
    with pytest.raises(DataError, match=r"row 3: apex face image .* is missing") as e:
        t.arrays("face")
    assert str(e.value).startswith(str(root / CSV_NAME))


def test_cli_flow_model_runs_without_faces_and_face_model_exits_2(tmp_path, monkeypatch, capsys):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=2)
    shutil.rmtree(root / FACE_DIR)
    code, _ = _cli(monkeypatch, capsys, "evaluate", "--root", str(root), "--model", "svm", "--protocol", "kfold",
                   "--out", str(tmp_path / "svm"), "--jobs", "1", "--quiet")
    assert code == 0
    code, err = _cli(monkeypatch, capsys, "evaluate", "--root", str(root), "--model", "smallcnn", "--protocol",
                     "kfold", "--out", str(tmp_path / "cnn"), "--jobs", "1", "--quiet", "--fast")
    assert code == 2 and "combined_datasets_whole" in err and "apex-face folder is absent" in err
