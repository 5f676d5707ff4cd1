"""Long-video spotting ground truth: the real sheets (exact counts and every quirk rule), the
simulator's sheet layout round trip, frame-folder layouts, statistics and errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import SAMM_LV_HEADER, write_samm_lv_workbook
from microexp.datasets.long_videos import (
    INTERVAL_COLUMNS,
    database_statistics,
    interval_statistics,
    load_casme3_lv,
    load_long_video_intervals,
    video_frame_paths,
    videos_of,
    write_long_video_sheet,
)
from microexp.errors import ConfigError, DataError
from microexp.spotting.megc_chance import chance_scores
from microexp.spotting.megc_metrics import spotting_scores


@pytest.fixture(scope="module")
def annotations(shared_data):
    root = shared_data / "annotations"
    if not (root / "CASME_sq" / "CASME_sq_gt.xlsx").is_file():
        pytest.skip(f"long-video sheets not found under {root}")
    return root


@pytest.fixture(scope="module")
def casme_sq(annotations):
    return load_long_video_intervals("casme_sq", annotations)


@pytest.fixture(scope="module")
def samm_lv(annotations):
    return load_long_video_intervals("samm_lv", annotations)


@pytest.fixture(scope="module")
def casme3_lv(annotations):
    return load_long_video_intervals("casme3_lv", annotations)


def quirk_count(df, tag):
    return int(df["quirk"].str.split(";").apply(lambda tags: tag in tags).sum())


def one(df, **where):
    mask = np.ones(len(df), bool)
    for k, v in where.items():
        mask &= (df[k] == v).to_numpy()
    assert mask.sum() == 1, where
    return df[mask].iloc[0]


def check_invariants(df):
    assert list(df.columns) == list(INTERVAL_COLUMNS)
    last = df["first_frame"] + df["video_length"] - 1
    assert (df["first_frame"] <= df["onset"]).all() and (df["onset"] <= df["apex"]).all()
    assert (df["apex"] <= df["offset"]).all() and (df["offset"] <= last).all()
    assert set(df["type"]) == {"micro", "macro"}
    videos = videos_of(df)
    joined = df.merge(videos, on=["dataset", "subject", "video"], suffixes=("", "_v"), validate="many_to_one")
    assert len(joined) == len(df) and (joined["video_length"] == joined["video_length_v"]).all()


# ------------------------------------------------------------------------------------- real sheets
def test_casme_sq_counts(casme_sq):
    df = casme_sq
    check_invariants(df)
    assert len(df) == 357
    assert df["type"].value_counts().to_dict() == {"macro": 300, "micro": 57}
    assert df["subject"].nunique() == 22
    assert len(videos_of(df)) == 97 and df.groupby(["subject", "video"]).ngroups == 95
    assert (df["fps"] == 30).all() and (df["first_frame"] == 1).all()
    assert set(df["emotion_class"]) == {"negative", "positive", "surprise", "others"}
    first = df.iloc[0]
    assert (first["subject"], first["video"], first["row"]) == ("s15", "15_0401girlcrashing", 1)
    assert (first["onset"], first["apex"], first["offset"], first["aus"]) == (557, 572, 608, "4+10+14")
    assert one(videos_of(df), video="15_0101disgustingteeth")["video_length"] == 2052


def test_casme_sq_quirks(casme_sq, annotations):
    df = casme_sq
    assert quirk_count(df, "offset_not_coded") == 44
    assert quirk_count(df, "apex_not_coded") == 1
    assert quirk_count(df, "apex_offset_swapped") == 3
    assert quirk_count(df, "emotion_typo") == 1 and "happyiness" not in set(df["emotion"])
    assert df.attrs["offset_gap"]["macro"] == 22            # median (offset - apex) of coded macro rows
    r = one(df, row=3)                                       # subject 1 anger2_1: 2155, 2163, 0
    assert (r["onset"], r["apex"], r["offset"], r["quirk"]) == (2155, 2163, 2185, "offset_not_coded")
    r = one(df, row=309)                                     # 1763, 0, 1787
    assert (r["onset"], r["apex"], r["offset"], r["quirk"]) == (1763, 1775, 1787, "apex_not_coded")
    r = one(df, row=170)                                     # 1221, 1230, 1224
    assert (r["onset"], r["apex"], r["offset"], r["quirk"]) == (1221, 1224, 1230, "apex_offset_swapped")
    # offsets are clipped to the video: no repaired offset passes the last frame
    repaired = df[df["quirk"].str.contains("offset_not_coded")]
    assert ((repaired["offset"] - repaired["apex"] <= 22) & (repaired["offset"] <= repaired["video_length"])).all()
    alt = load_long_video_intervals("casme_sq", annotations / "CASME_sq", offset_rule="apex")
    assert len(alt) == 357
    repaired_alt = alt[alt["quirk"].str.contains("offset_not_coded")]
    assert (repaired_alt["offset"] == repaired_alt["apex"]).all() and len(repaired_alt) == 44
    with pytest.raises(ConfigError):
        load_long_video_intervals("casme_sq", annotations, offset_rule="guess")


def test_samm_lv_counts_and_quirks(samm_lv):
    df = samm_lv
    check_invariants(df)
    assert len(df) == 502
    assert df["type"].value_counts().to_dict() == {"macro": 343, "micro": 159}
    assert df["subject"].nunique() == 30 and len(videos_of(df)) == 147
    assert df.groupby(["subject", "video"]).ngroups == 147
    assert (df["fps"] == 200).all() and (df["emotion"] == "").all()
    r = one(df, row=11)                                      # 006_1_1: 566.4, 647.6, 743.2
    assert (r["subject"], r["video"], r["onset"], r["apex"], r["offset"]) == ("006", "006_1", 566, 648, 743)
    assert r["quirk"] == "fractional_frames" and r["aus"] == "4(B/C)+7B"
    assert quirk_count(df, "fractional_frames") == 178
    assert quirk_count(df, "apex_not_coded") == 6
    assert quirk_count(df, "onset_before_first_frame") == 10
    assert quirk_count(df, "offset_past_end") == 2
    assert quirk_count(df, "duplicate_filename") == 2
    apex = df[df["quirk"].str.contains("apex_not_coded")]
    assert (apex["apex"] == (apex["onset"] + apex["offset"]) // 2).all()
    assert (df.loc[df["quirk"].str.contains("onset_before_first_frame"), "onset"] == 1).all()
    past = df[df["quirk"].str.contains("offset_past_end")]
    assert (past["offset"] == past["video_length"]).all()
    assert set(past["video"]) == {"020_6", "036_7"}


def test_casme3_lv_counts_and_quirks(casme3_lv, annotations):
    df = casme3_lv
    check_invariants(df)
    assert len(df) == 2348
    assert df["type"].value_counts().to_dict() == {"macro": 2071, "micro": 277}
    assert df["subject"].nunique() == 97 and len(videos_of(df)) == 757
    assert quirk_count(df, "apex_not_coded") == 2348 and (df["first_frame"] == 0).all()
    r = one(df, row=2)                                       # 001, .../001/a, Macro, 31, 59, 836
    assert (r["subject"], r["video"], r["onset"], r["apex"], r["offset"], r["video_length"]) == \
        ("001", "a", 31, 45, 59, 836)
    same = load_long_video_intervals("casme3_lv", annotations / "CASME3" / "cas3_longvideo_intervals.csv")
    pd.testing.assert_frame_equal(same, df)


def test_truth_scores_perfectly_against_itself(casme_sq, samm_lv):
    for df in (casme_sq, samm_lv):
        s = spotting_scores(df, df)
        assert s["overall"]["f1"] == 1.0 and s["overall"]["tp"] == len(df)


def test_statistics_of_the_real_databases(annotations, casme_sq):
    stats = interval_statistics(casme_sq)
    micro = stats.loc[("casme_sq", "micro")]
    assert micro["n_intervals"] == 57 and micro["n_videos"] == 97
    dur = casme_sq.loc[casme_sq["type"] == "micro", "offset"] - casme_sq.loc[casme_sq["type"] == "micro", "onset"] + 1
    assert micro["duration_frames_median"] == dur.median()
    assert micro["duration_s_mean"] == pytest.approx(dur.mean() / 30)
    minutes = videos_of(casme_sq)["video_length"].sum() / 30 / 60
    assert micro["rate_per_minute"] == pytest.approx(57 / minutes)
    assert stats.loc[("casme_sq", "all"), "n_intervals"] == 357
    samm = database_statistics("samm_lv", annotations)
    assert samm.loc[("samm_lv", "macro"), "n_intervals"] == 343 and samm.loc[("samm_lv", "micro"), "fps"] == 200


def test_chance_level_of_a_real_database(casme_sq):
    r = chance_scores(casme_sq, n_draws=3, seed=0)
    assert 0.0 < r["overall_f1"] < 0.1 and 0.0 <= r["micro_f1"] < 0.1
    d = r["per_draw"]
    assert ((d["overall_tp"] + d["overall_fn"]) == 357).all()


# ----------------------------------------------------------------------------- simulator layout
def simulated():
    rows = [("sim", "001", "a", 10, 14, 20, "micro", "4", "negative"),
            ("sim", "001", "a", 100, 130, 170, "macro", "12", "positive"),
            ("sim", "002", "a", 0, 3, 6, "micro", "", "")]
    df = pd.DataFrame(rows, columns=["dataset", "subject", "video", "onset", "apex", "offset", "type", "aus", "emotion"])
    df["video_length"] = [300, 300, 50]
    df["fps"] = 100.0
    df["first_frame"] = 0
    videos = pd.DataFrame({"dataset": "sim", "subject": ["001", "002", "003"], "video": ["a", "a", "b"],
                           "video_length": [300, 50, 80], "fps": 100.0, "first_frame": 0})
    df.attrs["videos"] = videos
    return df


def test_simulated_sheet_round_trips(tmp_path):
    df = simulated()
    path = write_long_video_sheet(df, tmp_path / "sim")
    assert path.name == "cas3_longvideo_intervals.csv" and (tmp_path / "sim" / "cas3_longvideo_intervals_duration.csv").is_file()
    back = load_long_video_intervals("casme3_lv", tmp_path / "sim", dataset="sim")
    cols = ["dataset", "subject", "video", "onset", "apex", "offset", "type", "aus", "emotion", "video_length", "fps"]
    pd.testing.assert_frame_equal(back[cols], df[cols], check_dtype=False)
    assert (back["quirk"] == "").all() and list(back["row"]) == [2, 3, 4]
    vids = videos_of(back)
    assert len(vids) == 3 and one(vids, subject="003")["video_length"] == 80   # a video without intervals
    header = (tmp_path / "sim" / "cas3_longvideo_intervals.csv").read_text().splitlines()[0]
    assert header.startswith("subject,video,type,type_idx,startFrame,endFrame,frame_num,length")


def test_real_table_written_in_the_simulator_layout(tmp_path, casme_sq):
    path = write_long_video_sheet(casme_sq, tmp_path / "x.csv")
    back = load_casme3_lv(path, dataset="casme_sq")
    assert len(back) == 357 and len(videos_of(back)) == 97
    assert (back["onset"].to_numpy() == casme_sq["onset"].to_numpy() - 1).all()   # written from frame 0
    assert (back["type"].to_numpy() == casme_sq["type"].to_numpy()).all()


def test_casme3_layout_errors_name_file_and_row(tmp_path):
    header = "subject,video,type,type_idx,startFrame,endFrame,frame_num,length\n"
    good = "001,/x/001/a,Macro,1,31,59,836,28\n"
    cases = {
        "001,/x/001/a,Smile,1,31,59,836,28\n": "neither micro nor macro",
        "002,/x/001/a,Macro,1,31,59,836,28\n": "disagrees with the video path",
        "001,/x/001/a,Micro,1,31,59,836,28\n": "type_idx",
        "001,/x/001/a,Macro,1,31,20,836,28\n": "out of order",
        "001,/x/001/a,Macro,1,31,900,836,28\n": "outside video",
        "001,/x/001/a,Macro,1,31,59,837,28\n": "frame_num 837 disagrees",
        "001,/x/001/a,Macro,1,3.5,59,836,28\n": "whole frame number",
    }
    for i, (line, message) in enumerate(cases.items()):
        path = tmp_path / f"c{i}" / "cas3_longvideo_intervals.csv"
        path.parent.mkdir()
        path.write_text(header + good + line)
        with pytest.raises(DataError, match=message) as err:
            load_long_video_intervals("casme3_lv", path.parent)
        assert err.value.row == 3 and err.value.path == str(path)
    path = tmp_path / "cols.csv"
    path.write_text("subject,video,type\n001,/x/001/a,Macro\n")
    with pytest.raises(DataError, match="missing"):
        load_casme3_lv(path)
    with pytest.raises(DataError, match="no cas3_longvideo_intervals.csv"):
        load_long_video_intervals("casme3_lv", tmp_path)
    with pytest.raises(ConfigError):
        load_long_video_intervals("smic_lv", tmp_path)


def test_casme_sq_workbook_errors(tmp_path):
    folder = tmp_path / "CASME_sq"
    folder.mkdir()
    (folder / "cas_duration.csv").write_text("vid,org_vid,duration\ncasme_15_0101,15_0101disgustingteeth,200\n")

    def book(rows):
        with pd.ExcelWriter(folder / "CASME_sq_gt.xlsx") as w:
            pd.DataFrame(rows).to_excel(w, sheet_name="CASFEcode_final", header=False, index=False)
            pd.DataFrame([[15, "s15", 1]] * len(rows)).to_excel(w, sheet_name="naming rule1", header=False, index=False)
            pd.DataFrame([["0101", "disgust1"]]).to_excel(w, sheet_name="naming rule2", header=False, index=False)

    ok = [1, "disgust1_1", 10, 15, 20, "4", "negative", "micro-expression", "disgust"]
    book([ok, [1, "disgust1_2", 50, 60, 0, "4", "negative", "macro-expression", "disgust"]])
    df = load_long_video_intervals("casme_sq", tmp_path)
    assert len(df) == 2 and df.iloc[1]["offset"] == 60       # no coded macro row: gap 0
    book([ok, [1, "anger1_1", 10, 15, 20, "4", "negative", "micro-expression", "anger"]])
    with pytest.raises(DataError, match="naming rule2") as err:
        load_long_video_intervals("casme_sq", tmp_path)
    assert err.value.row == 2
    book([ok, [1, "disgust1_2", 150, 160, 250, "4", "negative", "micro-expression", "disgust"]])
    with pytest.raises(DataError, match="outside video") as err:
        load_long_video_intervals("casme_sq", tmp_path)
    assert err.value.row == 2
    book([ok, [1, "disgust1_2", 10, 15, 20, "4", "negative", "expression", "disgust"]])
    with pytest.raises(DataError, match="neither micro nor macro"):
        load_long_video_intervals("casme_sq", tmp_path)
    (folder / "cas_duration.csv").write_text("vid,org_vid,duration\ncasme_16_0101,16_0101disgustingteeth,200\n")
    book([ok])
    with pytest.raises(DataError, match="not in cas_duration.csv"):
        load_long_video_intervals("casme_sq", tmp_path)


# ------------------------------------------------------------------------------- frame folders
def touch(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(b"")


def test_video_frame_paths_in_the_shipped_layouts(tmp_path):
    touch(tmp_path / "cas2" / "rawpic" / "s15" / "15_0101disgustingteeth", [f"img{i}.jpg" for i in (10, 2, 1, 9)])
    paths = video_frame_paths("casme_sq", tmp_path / "cas2", "s15", "15_0101disgustingteeth")
    assert [p.name for p in paths] == ["img1.jpg", "img2.jpg", "img9.jpg", "img10.jpg"]

    touch(tmp_path / "samm" / "SAMM_longvideos" / "007_6", [f"007_6_{i:04d}.jpg" for i in (3, 1, 2)] + ["notes.txt"])
    paths = video_frame_paths("samm_lv", tmp_path / "samm", "007", "007_6")
    assert [p.name for p in paths] == ["007_6_0001.jpg", "007_6_0002.jpg", "007_6_0003.jpg"]

    touch(tmp_path / "cas3" / "part_A" / "spNO.1" / "a" / "color", [f"{i}.jpg" for i in (0, 11, 2, 1)])
    touch(tmp_path / "cas3" / "part_A" / "spNO.1" / "a" / "depth", ["0.png"])
    paths = video_frame_paths("casme3_lv", tmp_path / "cas3", "001", "a")
    assert [p.name for p in paths] == ["0.jpg", "1.jpg", "2.jpg", "11.jpg"]
    assert paths[0].parent.name == "color"

    with pytest.raises(DataError, match="no frame folder"):
        video_frame_paths("samm_lv", tmp_path / "samm", "007", "007_7")
    touch(tmp_path / "samm" / "SAMM_longvideos" / "008_1", ["readme.txt"])
    with pytest.raises(DataError, match="no images"):
        video_frame_paths("samm_lv", tmp_path / "samm", "008", "008_1")
    with pytest.raises(ConfigError):
        video_frame_paths("smic", tmp_path, "s1", "v")


def test_interval_statistics_by_hand():
    df = simulated()
    stats = interval_statistics(df)
    micro, macro = stats.loc[("sim", "micro")], stats.loc[("sim", "macro")]
    # videos: 300 + 50 + 80 frames at 100 fps = 4.3 s
    assert micro["total_minutes"] == pytest.approx(4.3 / 60)
    assert micro["rate_per_minute"] == pytest.approx(2 / (4.3 / 60))
    assert (micro["n_intervals"], micro["n_videos"], micro["n_videos_with"]) == (2, 3, 2)
    assert micro["duration_frames_mean"] == pytest.approx((11 + 7) / 2)
    assert macro["duration_frames_median"] == 71 and macro["duration_s_median"] == pytest.approx(0.71)
    assert micro["video_length_frames_median"] == 80


def test_samm_lv_workbook_layout_and_errors(tmp_path):
    folder = tmp_path / "SAMM-LV"
    folder.mkdir()
    (folder / "samm_duration.csv").write_text("sub_name,duration\nsamm_006_1,1000\n")
    header = SAMM_LV_HEADER

    def book(rows):
        write_samm_lv_workbook(folder, rows)

    book([["006", "006_1_1", 1, 10.6, -1, 30.2, 20.6, "Micro - 1/2", "4+7", None],
          ["006", "006_1_2", 1, 0, 500, 1200, 1201, "Macro", 12, "Blinks"]])
    df = load_long_video_intervals("samm_lv", tmp_path)
    assert list(df["row"]) == [11, 12]
    assert (df.iloc[0]["onset"], df.iloc[0]["apex"], df.iloc[0]["offset"]) == (11, 20, 30)
    assert df.iloc[0]["quirk"] == "fractional_frames;apex_not_coded"
    assert (df.iloc[1]["onset"], df.iloc[1]["offset"], df.iloc[1]["aus"]) == (1, 1000, "12")
    assert df.iloc[1]["quirk"] == "onset_before_first_frame;offset_past_end"
    book([["006", "006_1_1", 1, 10, 12, 30, 21, "Blink", "4", None]])
    with pytest.raises(DataError, match="neither micro nor macro") as err:
        load_long_video_intervals("samm_lv", tmp_path)
    assert err.value.row == 11
    book([["006", "006_2_1", 2, 10, 12, 30, 21, "Macro", "4", None]])
    with pytest.raises(DataError, match="not in samm_duration.csv"):
        load_long_video_intervals("samm_lv", tmp_path)
    pd.DataFrame([header[:3]]).to_excel(folder / "SAMMLV_gt.xlsx", header=False, index=False)
    with pytest.raises(DataError, match="no header row"):
        load_long_video_intervals("samm_lv", tmp_path)
