"""Ground truth for `microexp analyse` on a recording: the right video of a long-video sheet, its
frame numbers turned into recording positions, intervals outside the recording refused, and the
spotting scored MEGC style (one-to-one at IoU >= 0.5, per type)."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import write_samm_lv_workbook
from microexp.datasets.long_videos import write_long_video_sheet
from microexp.errors import DataError
from microexp.pipeline.recording_truth import check_truth_fits, score_against_truth, truth_for_recording


def _sheet(path, rows, lengths):
    """A CAS(ME)^3-layout sheet (frames from 0) of ``rows`` (subject, video, onset, offset, type)."""
    table = pd.DataFrame([{"subject": s, "video": v, "onset": on, "apex": (on + off) // 2, "offset": off, "type": t,
                           "video_length": lengths[(s, v)]} for s, v, on, off, t in rows])
    videos = pd.DataFrame([{"subject": s, "video": v, "video_length": n, "fps": 30.0} for (s, v), n in lengths.items()])
    return write_long_video_sheet(table, path, videos=videos)


def test_the_recordings_video_is_found_by_name_or_named(tmp_path):
    sheet = _sheet(tmp_path / "gt.csv",
                   [("s01", "person", 10, 20, "micro"), ("s01", "person", 100, 160, "macro"),
                    ("s01", "other", 5, 9, "micro"), ("s02", "twin", 1, 4, "micro"), ("s03", "twin", 7, 8, "micro")],
                   {("s01", "person"): 300, ("s01", "other"): 200, ("s02", "twin"): 50, ("s03", "twin"): 60,
                    ("s04", "empty"): 40})
    video = tmp_path / "person.mp4"
    video.write_bytes(b"")
    truth = truth_for_recording(sheet, video)
    assert truth[["onset", "offset", "type"]].values.tolist() == [[10, 20, "micro"], [100, 160, "macro"]]
    assert truth["row"].tolist() == [2, 3]  # the sheet's rows, for messages
    assert (truth.attrs["subject"], truth.attrs["video"], truth.attrs["video_length"]) == ("s01", "person", 300)
    other = truth_for_recording(sheet, video, video="s01/other")
    assert other[["onset", "offset"]].values.tolist() == [[5, 9]]
    assert truth_for_recording(sheet, video, video="other").attrs["video"] == "other"
    empty = truth_for_recording(sheet, video, video="s04/empty")  # coded, with nothing in it
    assert len(empty) == 0 and empty.attrs["video_length"] == 40
    with pytest.raises(DataError, match=r"video 'nosuch' is not in the sheet \(its videos: s01/person") as err:
        truth_for_recording(sheet, video, video="nosuch")
    assert err.value.path == str(sheet)
    with pytest.raises(DataError, match="2 videos of the sheet match"):
        truth_for_recording(sheet, video, video="twin")
    stranger = tmp_path / "stranger.mp4"
    stranger.write_bytes(b"")
    with pytest.raises(DataError, match="no video of the sheet is named 'stranger'.*--truth-video"):
        truth_for_recording(sheet, stranger)
    single = _sheet(tmp_path / "one.csv", [("s09", "take3", 3, 6, "micro")], {("s09", "take3"): 90})
    assert truth_for_recording(single, stranger).attrs["video"] == "take3"  # a sheet of one video is that one
    with pytest.raises(DataError, match="no video of the sheet is named 'stranger'"):
        truth_for_recording(single, stranger, by_name_only=True)  # many recordings: by name only


def test_samm_numbers_from_one_become_positions_from_zero(tmp_path):
    """SAMM numbers its frame files from 1: in a video file, frame number n is position n - 1."""
    folder = tmp_path / "SAMM-LV"
    folder.mkdir()
    (folder / "samm_duration.csv").write_text("sub_name,duration\nsamm_006_1,1000\n")
    write_samm_lv_workbook(folder, [["006", "006_1_1", 1, 11, 15, 30, 20, "Micro - 1/2", "4", None]])
    video = tmp_path / "006_1.mp4"
    video.write_bytes(b"")
    truth = truth_for_recording(folder / "SAMMLV_gt.xlsx", video, database="samm_lv")
    assert (truth.iloc[0]["onset"], truth.iloc[0]["apex"], truth.iloc[0]["offset"]) == (10, 14, 29)
    assert truth.iloc[0]["row"] == 11


def test_a_frame_folder_is_placed_by_its_file_numbers(tmp_path):
    """In a folder the sheet's numbers are looked up among the file names, gaps and all."""
    folder = tmp_path / "clipA"
    folder.mkdir()
    for n in (3, 4, 7, 8, 9):
        (folder / f"img{n}.jpg").write_bytes(b"")
    sheet = _sheet(tmp_path / "gt.csv", [("s1", "clipA", 4, 8, "micro")], {("s1", "clipA"): 10})
    truth = truth_for_recording(sheet, folder)
    assert (truth.iloc[0]["onset"], truth.iloc[0]["apex"], truth.iloc[0]["offset"]) == (1, 2, 3)
    bad = _sheet(tmp_path / "bad.csv", [("s1", "clipA", 4, 8, "micro"), ("s1", "clipA", 5, 7, "micro")],
                 {("s1", "clipA"): 10})
    with pytest.raises(DataError, match="frame 5 is not among the frame files") as err:
        truth_for_recording(bad, folder)
    assert err.value.row == 3


def test_intervals_outside_the_recording_are_refused_and_lengths_compared(tmp_path):
    sheet = _sheet(tmp_path / "gt.csv", [("s01", "person", 10, 20, "micro"), ("s01", "person", 280, 299, "macro")],
                   {("s01", "person"): 300})
    video = tmp_path / "person.mp4"
    video.write_bytes(b"")
    truth = truth_for_recording(sheet, video)
    assert check_truth_fits(truth, 300) == []
    notes = check_truth_fits(truth, 310)
    assert notes == ["The ground-truth sheet codes 300 frames for s01/person; the recording has 310."]
    with pytest.raises(DataError, match="lies outside the recording's 290 frames") as err:
        check_truth_fits(truth, 290)
    assert err.value.row == 3 and err.value.path == str(sheet)


def test_spotting_is_scored_one_to_one_per_type():
    truth = pd.DataFrame({"onset": [10, 100, 200], "offset": [20, 160, 210], "type": ["micro", "macro", "micro"]})
    spotted = pd.DataFrame({"onset": [11, 98, 199, 400], "offset": [21, 150, 209, 410],
                            "type": ["micro", "micro", "macro", "micro"]})
    scores, matches = score_against_truth(spotted, truth)
    # 11-21 overlaps 10-20 with IoU 10/12; 98-150 is the wrong type for 100-160; 199-209 too
    assert matches == {0: 0}
    assert (scores["micro"]["tp"], scores["micro"]["fp"], scores["micro"]["fn"]) == (1, 2, 1)
    assert (scores["macro"]["tp"], scores["macro"]["fp"], scores["macro"]["fn"]) == (0, 1, 1)
    assert scores["overall"]["f1"] == pytest.approx(2 * 1 / (2 * 1 + 3 + 2))
