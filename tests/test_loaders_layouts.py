"""Loaders on tiny generated databases in the real folder layouts, and on bad input."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from microexp.datasets import load_dataset
from microexp.datasets.casme2 import load_casme2
from microexp.datasets.casme3 import load_casme3
from microexp.datasets.samm import load_samm
from microexp.datasets.smic import load_smic
from microexp.datasets.video import load_video
from microexp.errors import ConfigError, DataError
from test_loaders_fixtures import (CASME2_HEADER, CASME2_ROWS, make_casme2, make_casme3, make_samm,
                                   make_smic, noise_frame, write_frames, write_xlsx)


def test_casme2_layout_frames_in_order(tmp_path):
    t = load_casme2(make_casme2(tmp_path))
    assert len(t) == 3 and t.df.attrs["dropped"] == 1  # sadness is outside casme2_5
    r = t.df.set_index("clip").loc["EP02_01f"]
    assert r["subject"] == "casme2/sub01" and r["label"] == "happiness" and r["emotion"] == "happiness"
    assert [Path(p).name for p in r["frame_paths"]] == [f"img{n}.jpg" for n in range(46, 51)]
    slash = t.df.set_index("clip").loc["EP03_02"]
    assert slash["apex"] == 12 and slash["apex_source"] == "middle" and slash["au"] == "4+L10"


def test_casme2_cropped_folder_and_dispatch(tmp_path):
    make_casme2(tmp_path, folder="Cropped")
    t = load_dataset("casme2", tmp_path, taxonomy="megc3")
    assert list(t.df["label"]) == ["positive", "negative", "negative"]


def test_casme2_missing_frame_names_file_and_row(tmp_path):
    make_casme2(tmp_path, skip_frames={"EP01_11f": 7})
    with pytest.raises(DataError) as err:
        load_casme2(tmp_path)
    assert err.value.row == 4 and "CASME2-coding" in err.value.path and "missing 7" in str(err.value)
    lenient = load_casme2(tmp_path, strict=False)
    bad = lenient.df.set_index("clip").loc["EP01_11f"]
    assert bad["frame_paths"] == [] and "missing" in bad["frames_error"]


def test_casme2_bad_sheets(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_casme2(tmp_path / "nowhere")
    write_xlsx(tmp_path / "a" / "CASME2-coding-x.xlsx", "Other", CASME2_HEADER, CASME2_ROWS)
    with pytest.raises(DataError, match="no sheet 'Sheet1'"):
        load_casme2(tmp_path / "a", annotations_only=True)
    write_xlsx(tmp_path / "b" / "CASME2-coding-x.xlsx", "Sheet1", ["Subject", "Clip", "Onset"], [("01", "x", 1)])
    with pytest.raises(DataError, match="no header row"):
        load_casme2(tmp_path / "b", annotations_only=True)
    rows = list(CASME2_ROWS) + [("03", "EP01_01", 1, 2, 3, 4, "joyful")]
    write_xlsx(tmp_path / "c" / "CASME2-coding-x.xlsx", "Sheet1", CASME2_HEADER, rows)
    with pytest.raises(DataError, match="unknown emotion label 'joyful'") as err:
        load_casme2(tmp_path / "c", annotations_only=True)
    assert err.value.row == 6
    rows = list(CASME2_ROWS) + [("03", "EP01_01", 9, "x", 3, 4, "others")]
    write_xlsx(tmp_path / "d" / "CASME2-coding-x.xlsx", "Sheet1", CASME2_HEADER, rows)
    with pytest.raises(DataError, match="not a frame number") as err:
        load_casme2(tmp_path / "d", annotations_only=True)
    assert err.value.row == 6
    with pytest.raises(DataError, match="no CASME II frame folder"):
        load_casme2(tmp_path / "c")
    with pytest.raises(ConfigError):
        load_casme2(tmp_path / "c", taxonomy="nonsense", annotations_only=True)


def test_samm_layout_with_title_row(tmp_path):
    t = load_samm(make_samm(tmp_path, title_rows=2), taxonomy="megc3")
    assert list(t.df["clip"]) == ["006_1_2", "007_3_1"] and t.df.attrs["dropped"] == 1
    assert t.df["sheet_row"].tolist() == [4, 5]
    r = t.df.iloc[0]
    assert [Path(p).name for p in r["frame_paths"]] == [f"006_{n:05d}.jpg" for n in range(100, 105)]
    assert load_samm(tmp_path, taxonomy="samm_objective").df["label"].tolist() == ["3", "1", "7"]


def test_samm_missing_sheet(tmp_path):
    (tmp_path / "006").mkdir()
    with pytest.raises(DataError, match="no SAMM coding sheet"):
        load_samm(tmp_path)


def test_smic_layout_apex_rules(tmp_path):
    make_smic(tmp_path)
    t = load_smic(tmp_path)
    assert list(t.df["clip"]) == ["s01_ne_01", "s01_po_01", "s02_sur_01"]
    assert list(t.df["subject"]) == ["smic/s01", "smic/s01", "smic/s02"]
    assert t.df["apex"].tolist() == [102, 203, 8] and (t.df["apex_source"] == "middle").all()
    assert t.df["onset"].tolist() == [100, 200, 7] and t.df["offset"].tolist() == [104, 206, 9]

    spotted = load_smic(tmp_path, apex_from=lambda frames: frames.shape[0] - 1)
    assert spotted.df["apex"].tolist() == [104, 206, 9] and (spotted.df["apex_source"] == "spotter").all()

    header = ["data", "subject", "clip", "label", "onset_frame", "apex_frame", "offset_frame"]
    write_xlsx(tmp_path / "smic_apex.xlsx", "Sheet1", header, [("smic", 1, "s1_po_01", 1, 200, 201, None)])
    with pytest.raises(DataError, match="no folder"):  # the sheet's other clips are checked too
        write_xlsx(tmp_path / "x.xlsx", "Sheet1", header, [("smic", 9, "s9_po_01", 1, 1, 2, 3)])
        load_smic(tmp_path, apex_sheet=tmp_path / "x.xlsx")
    sheet = load_smic(tmp_path)  # smic_apex.xlsx found beside the variants
    by = sheet.df.set_index("clip")
    assert by.loc["s01_po_01", "apex"] == 201 and by.loc["s01_po_01", "apex_source"] == "sheet"
    assert by.loc["s01_po_01", "offset"] == 206 and by.loc["s01_ne_01", "apex_source"] == "middle"

    write_xlsx(tmp_path / "y.xlsx", "Sheet1", header, [("smic", 1, "s1_po_01", 0, 200, 201, 206)])
    with pytest.raises(DataError, match="contradicts"):
        load_smic(tmp_path, apex_sheet=tmp_path / "y.xlsx")
    with pytest.raises(ConfigError):
        load_smic(tmp_path, variant="NIR", apex_sheet=tmp_path / "y.xlsx")
    with pytest.raises(DataError, match="needs apex_sheet"):
        load_smic(tmp_path / "HS", annotations_only=True)


def test_smic_other_variant(tmp_path):
    make_smic(tmp_path, variant="NIR")
    assert len(load_smic(tmp_path, variant="NIR")) == 3
    with pytest.raises(DataError, match="SMIC-VIS"):
        load_smic(tmp_path, variant="VIS")


def test_casme3_layout(tmp_path):
    t = load_casme3(make_casme3(tmp_path))
    by = t.df.set_index("clip")
    assert list(by.index) == ["a_3", "j_10", "b_1"]
    assert by.loc["j_10", "label"] == "happiness" and by.loc["j_10", "recording"] == "j"
    assert [Path(p).name for p in by.loc["j_10", "frame_paths"]] == ["10.jpg", "11.jpg", "12.jpg"]  # offset 0
    assert load_casme3(tmp_path, taxonomy="megc3").df["label"].tolist() == ["positive", "negative"]


def test_video_folder_and_file(tmp_path):
    import cv2
    import numpy as np

    folder = tmp_path / "frames"
    write_frames(folder, [3, 1, 2, 10], "f{n}.png")
    with pytest.raises(DataError, match="missing"):  # 4..9 are not there
        load_video(folder)
    t = load_video(folder, onset=1, offset=3, label="surprise")
    assert t.df.loc[0, "apex"] == 2 and t.df.loc[0, "label"] == "surprise" and t.classes[t.y[0]] == "surprise"
    with pytest.raises(DataError, match="no class"):
        load_video(folder, onset=1, offset=3, label="others")

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, (20, 24))
    for n in range(6):
        writer.write(noise_frame(n))
    writer.release()
    t = load_video(video, apex=4, cache_dir=tmp_path / "cache")
    r = t.df.iloc[0]
    assert (r["onset"], r["apex"], r["offset"], r["label"]) == (0, 4, 5, "unknown") and len(r["frame_paths"]) == 6
    assert np.asarray(cv2.imread(r["frame_paths"][0])).shape == (24, 20, 3)
    mtime = Path(r["frame_paths"][0]).stat().st_mtime_ns
    load_video(video, cache_dir=tmp_path / "cache")  # decoded once
    assert Path(r["frame_paths"][0]).stat().st_mtime_ns == mtime
    with pytest.raises(DataError, match="does not exist"):
        load_video(tmp_path / "none.mp4")


@pytest.mark.parametrize("make, load, database", [(make_casme2, load_casme2, "CASME II"),
                                                  (make_samm, load_samm, "SAMM"),
                                                  (make_casme3, load_casme3, "CAS(ME)^3")])
def test_a_named_frame_folder_is_used_or_named_when_missing(tmp_path, make, load, database):
    root = make(tmp_path / "db")
    default = load(root)
    # the folder the loader found by itself, named explicitly (relative and absolute): the same clips
    found = Path(default.df["frame_paths"].iloc[0][0]).parents[1 if database != "CAS(ME)^3" else 2].parent
    for frames in (str(found.relative_to(root)) or ".", str(found)):
        named = load(root, frames=frames)
        assert named.df["frame_paths"].tolist() == default.df["frame_paths"].tolist()
    with pytest.raises(DataError, match=re.escape(f"{database} frame folder is missing")) as err:
        load(root, frames="no_such_folder")
    assert err.value.path == str(root / "no_such_folder")
