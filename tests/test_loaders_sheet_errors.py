"""Coding-sheet loaders on damaged or mistyped sheets: a DataError naming the sheet (and the row),
never a raw traceback; ``microexp preprocess`` turns it into exit code 2."""
from __future__ import annotations

import sys
import zipfile

import pytest
from test_loaders_fixtures import (
    CASME2_HEADER,
    CASME2_ROWS,
    SAMM_HEADER,
    SAMM_ROWS,
    SMIC_HEADER,
    make_casme2,
    write_xlsx,
)

from microexp.datasets.casme2 import load_casme2
from microexp.datasets.samm import load_samm
from microexp.datasets.smic import load_smic
from microexp.datasets.video import load_video
from microexp.errors import DataError

SHEET = "CASME2-coding-20140508.xlsx"


def _preprocess_exit(monkeypatch, capsys, root, out) -> tuple[int, str]:
    from microexp.cli.main import main

    monkeypatch.setattr(sys, "argv", ["microexp", "preprocess", "--dataset", "casme2", "--root", str(root),
                                      "--out", str(out), "--quiet"])
    with pytest.raises(SystemExit) as ex:
        main()
    return ex.value.code or 0, capsys.readouterr().err


def test_damaged_sheet_inside_the_workbook_names_file(tmp_path, monkeypatch, capsys):
    root = make_casme2(tmp_path / "db")
    sheet = root / SHEET
    with zipfile.ZipFile(sheet) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:200]  # cut short: broken XML
    with zipfile.ZipFile(sheet, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(DataError, match="cannot read sheet 'Sheet1'") as e:
        load_casme2(root, annotations_only=True)
    assert e.value.path == str(sheet)
    code, err = _preprocess_exit(monkeypatch, capsys, root, tmp_path / "out")
    assert code == 2 and str(sheet) in err and "cannot read sheet" in err


def test_missing_column_is_named_with_the_closest_header_row(tmp_path, monkeypatch, capsys):
    header = ["Apex" if h == "ApexFrame" else h for h in CASME2_HEADER]
    sheet = write_xlsx(tmp_path / "db" / SHEET, "Sheet1", header, CASME2_ROWS, title_rows=2)
    with pytest.raises(DataError, match=r"the closest, row 3, lacks \['ApexFrame'\]") as e:
        load_casme2(tmp_path / "db", annotations_only=True)
    assert e.value.path == str(sheet)
    code, err = _preprocess_exit(monkeypatch, capsys, tmp_path / "db", tmp_path / "out")
    assert code == 2 and str(sheet) in err and "lacks ['ApexFrame']" in err


@pytest.mark.parametrize("onset", ["ten", "inf", "1e400", -3, 10.5])
def test_bad_frame_number_names_row(tmp_path, onset):
    rows = list(CASME2_ROWS)
    rows[2] = ("02", "EP01_11f", onset, 7, 9, "4", "disgust")
    sheet = write_xlsx(tmp_path / "db" / SHEET, "Sheet1", CASME2_HEADER, rows)
    with pytest.raises(DataError, match=r"column 'OnsetFrame'.*frame number") as e:
        load_casme2(tmp_path / "db", annotations_only=True)
    assert (e.value.path, e.value.row) == (str(sheet), 4)


def test_empty_cells_and_repeated_clips_name_row(tmp_path):
    rows = list(CASME2_ROWS)
    rows[1] = ("01", None, 10, "/", 14, "4+L10", "others")
    sheet = write_xlsx(tmp_path / "c" / SHEET, "Sheet1", CASME2_HEADER, rows)
    with pytest.raises(DataError, match="Subject or Filename is empty") as e:
        load_casme2(tmp_path / "c", annotations_only=True)
    assert (e.value.path, e.value.row) == (str(sheet), 3)

    write_xlsx(tmp_path / "d" / SHEET, "Sheet1", CASME2_HEADER, list(CASME2_ROWS) + [CASME2_ROWS[0]])
    with pytest.raises(DataError, match=r"row 6: clip casme2/sub01/EP02_01f appears twice .*\(rows 2 and 6\)"):
        load_casme2(tmp_path / "d", annotations_only=True)

    rows = list(SAMM_ROWS)
    rows[1] = (None, *SAMM_ROWS[1][1:])
    samm = write_xlsx(tmp_path / "samm" / "SAMM.xlsx", "MICRO_ONLY", SAMM_HEADER, rows, title_rows=1)
    with pytest.raises(DataError, match="Subject or Filename is empty") as e:
        load_samm(samm, annotations_only=True)
    assert (e.value.path, e.value.row) == (str(samm), 4)  # a title row sits above the header

    sheet = write_xlsx(tmp_path / "smic" / "smic_apex.xlsx", "Sheet1", SMIC_HEADER,
                       [("HS", "s1", "s1_ne_01", 0, 100, 102, 104), ("HS", "s1", "s1_ne_1", 0, 100, 102, 104)])
    with pytest.raises(DataError, match=r"row 3: clip s01_ne_01 appears twice") as e:
        load_smic(sheet, annotations_only=True)


def test_video_key_frames_must_be_frame_numbers(tmp_path):
    folder = make_casme2(tmp_path / "db") / "CASME2_RAW_selected" / "sub01" / "EP02_01f"
    with pytest.raises(DataError, match="onset 'abc' is not a frame number") as e:
        load_video(folder, onset="abc")
    assert e.value.path == str(folder)
    t = load_video(folder, onset=46.0, apex="48")
    assert (t.df["onset"].iloc[0], t.df["apex"].iloc[0]) == (46, 48)
