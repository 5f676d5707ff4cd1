"""`microexp analyse` on whole recordings: streamed, spotted, recognised, reported; bad input
gives clear errors and writes nothing; many recordings resume per recording."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from browser import chromium_driver, network_requests
from cli_main import run_main
from conftest import write_composite_fixture
from microexp.datasets.long_videos import load_casme3_lv
from microexp.pipeline.analyse_recording import analyse_recording
from microexp.simulate.long_recording import simulate_recording, write_recording




@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """16 s at 30 fps with a raised micro-expression rate (so the short video holds several)."""
    rec = simulate_recording("casme_sq", seconds=16, fps=30, seed=11, micro_per_minute=12, macro_per_minute=6)
    path = tmp_path_factory.mktemp("rec") / "person.mp4"
    truth = write_recording(path, rec)
    return path, truth


def test_a_recording_gets_every_interval_a_page_and_a_sheet(model_dir, recording, tmp_path):
    path, truth = recording
    out = tmp_path / "report"
    res = analyse_recording(path, model_dir, out, cache_dir=tmp_path / "cache", truth=truth, echo=lambda s: None)
    report = json.loads((out / "report.json").read_text())
    assert report["recording"]["frames"] == 480 and report["recording"]["width"] == 640
    ivs = report["intervals"]
    assert ivs, "the spotter found nothing in a recording with expressions"
    for iv in ivs:
        assert 0 <= iv["onset"] <= iv["apex"] <= iv["offset"] < 480
        for rel in iv["pictures"].values():
            assert (out / rel).is_file()
        if iv["type"] == "micro" and "not_encoded" not in iv["flags"]:
            assert iv["label"] in report["model"]["classes"]
            assert iv["label"] == max(iv["class_scores"], key=iv["class_scores"].get)
        if iv["type"] == "macro":
            assert iv["label"] is None  # the recogniser classifies micro-expressions only
    assert len(report["ground_truth"]) == len(truth)
    sheet = load_casme3_lv(out / "intervals.csv", dataset="recording")
    assert len(sheet) == len(ivs) and set(sheet["type"]) <= {"micro", "macro"}
    assert (out / "index.html").is_file() and res.index_html == out / "index.html"
    again = analyse_recording(path, model_dir, tmp_path / "again", cache_dir=tmp_path / "cache", echo=lambda s: None)
    assert again.report["timing"]["cached_features"]  # the second run reads the feature cache
    assert [i["onset"] for i in again.report["intervals"]] == [i["onset"] for i in ivs]


def test_the_page_opens_in_chromium_and_shows_an_interval(model_dir, recording, tmp_path):
    path, _ = recording
    out = tmp_path / "report"
    report = analyse_recording(path, model_dir, out, cache_dir=tmp_path / "cache", echo=lambda s: None).report
    encoded = [i for i in report["intervals"] if i["pictures"]]
    assert encoded
    target = encoded[0]
    with chromium_driver(1400, 900) as d:
        d.get((out / "index.html").as_uri())
        marks = d.find_elements("css selector", "#timeline .iv")
        assert len(marks) == len(report["intervals"])
        rows = d.find_elements("css selector", "tbody tr")
        rows[report["intervals"].index(target)].click()
        img = d.find_element("css selector", "#detail-onset img")
        assert img.get_attribute("src").endswith(target["pictures"]["onset"])
        assert d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 0
        assert all(u.startswith(("file://", "data:")) for u in network_requests(d))


def _write_video(path, frames, fps=30.0):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()


def test_bad_recordings_exit_2_and_write_nothing(model_dir, tmp_path, capsys):
    rng = np.random.default_rng(0)
    noface = tmp_path / "noface.mp4"
    _write_video(noface, [rng.integers(0, 60, (240, 320, 3), dtype=np.uint8) for _ in range(120)])
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    for src, expected in ((noface, "no face found"), (truncated, "cannot open"), (tmp_path / "missing.mp4", "missing")):
        out = tmp_path / f"out_{src.stem}"
        code, text = run_main(["analyse", src, "--model", model_dir, "--out", out, "--mode", "recording",
                               "--cache-dir", tmp_path / "cache"], capsys)
        assert code == 2 and expected in text and str(src.name) in text, text
        assert not (out / "report.json").exists() and not (out / "index.html").exists()


def test_a_ground_truth_sheet_scores_the_spotting_on_the_page(model_dir, recording, tmp_path, capsys):
    """`--truth`: the sheet's intervals of this recording are drawn, each spotted interval says
    which one it matches, and the MEGC scores agree with the metric module's own on the same data."""
    import pandas as pd

    from microexp.datasets.long_videos import write_long_video_sheet
    from microexp.spotting.megc_metrics import spotting_matches, spotting_scores

    path, truth = recording
    sheet = write_long_video_sheet(truth, tmp_path / "gt.csv")
    out = tmp_path / "report"
    args = ["analyse", path, "--model", model_dir, "--mode", "recording", "--cache-dir", tmp_path / "cache"]
    code, text = run_main([*args, "--out", out, "--truth", sheet], capsys)
    assert code == 0, text
    assert "against the ground truth: micro F1" in text
    report = json.loads((out / "report.json").read_text())
    coded = load_casme3_lv(sheet)
    assert [(g["onset"], g["offset"], g["type"]) for g in report["ground_truth"]] == \
        list(zip(coded["onset"], coded["offset"], coded["type"]))
    assert [g["row"] for g in report["ground_truth"]] == list(coded["row"])
    spotted = pd.DataFrame(report["intervals"])[["onset", "offset", "type"]].assign(video="v")
    true = coded[["onset", "offset", "type"]].assign(video="v")
    assert report["truth_scores"] == spotting_scores(spotted, true, clip=False)
    pairs = spotting_matches(spotted, true, clip=False)
    assert {iv["id"]: iv["truth_match"] for iv in report["intervals"]} == {
        iv["id"]: (int(pairs.loc[pairs["pred"] == k, "truth"].iloc[0]) if k in set(pairs["pred"]) else None)
        for k, iv in enumerate(report["intervals"])}
    assert report["identity"]["truth"]  # a report made against other truth is not reused

    for extra, expected in ((["--truth", sheet, "--truth-video", "s09/nosuch"], "is not in the sheet"),
                            (["--truth-video", "s01/v01"], "give the sheet too"),
                            (["--truth", tmp_path / "missing.csv"], "missing.csv")):
        bad = tmp_path / "bad"
        code, text = run_main([*args, "--out", bad, *extra], capsys)
        assert code == 2 and expected in text, text
        assert not bad.exists()
    code, text = run_main(["analyse", path, "--model", model_dir, "--mode", "clip", "--out", tmp_path / "clip",
                           "--truth", sheet], capsys)
    assert code == 2 and "whole recording" in text and not (tmp_path / "clip").exists()


def test_the_default_spotter_is_the_packaged_learned_one_and_beats_the_training_free(model_dir, recording, tmp_path,
                                                                                      capsys):
    """Without --spotter a recording is spotted by the learned spotter shipped with microexp (fitted
    on other simulated people); on this held-out simulated recording it finds more of the coded
    intervals than the training-free spotter, and the page says what it was trained on."""
    path, truth = recording
    reports = {}
    for spotter in (None, "training-free"):
        reports[spotter] = analyse_recording(path, model_dir, tmp_path / str(spotter), spotter_dir=spotter,
                                             cache_dir=tmp_path / "cache", truth=truth, echo=lambda s: None).report
    builtin, free = reports[None], reports["training-free"]
    assert builtin["spotter"]["name"].startswith("learned") and "simulated" in builtin["spotter"]["trained_on"]
    assert any("simulated recordings only" in n for n in builtin["notes"])
    assert free["spotter"]["name"].startswith("training-free")
    assert builtin["identity"]["spotter"] != free["identity"]["spotter"]
    # a spotter is its settings and its weights: other weights behind the same settings are another spotter
    import shutil

    from microexp.pipeline.analyse_recording import BUILTIN_SPOTTER, recording_identity

    copy = shutil.copytree(BUILTIN_SPOTTER, tmp_path / "spotter_copy")
    same = recording_identity(path, model_dir, copy, 30.0)
    assert same["spotter"] == builtin["identity"]["spotter"]
    (copy / "weights.pt").write_bytes((copy / "weights.pt").read_bytes() + b"\0")
    assert recording_identity(path, model_dir, copy, 30.0)["spotter"] != same["spotter"]
    assert builtin["truth_scores"]["overall"]["f1"] > free["truth_scores"]["overall"]["f1"]
    assert builtin["truth_scores"]["overall"]["tp"] > free["truth_scores"]["overall"]["tp"]
    bad = tmp_path / "bad"
    code, text = run_main(["analyse", path, "--model", model_dir, "--out", bad, "--mode", "recording",
                           "--spotter", tmp_path / "nosuch"], capsys)
    assert code == 2 and "nosuch" in text and not bad.exists(), text


def test_face_less_stretches_are_marked_not_fatal(model_dir, tmp_path):
    rec = simulate_recording("casme_sq", seconds=12, fps=30, seed=3)
    frames = list(rec.frames())
    blank = np.full_like(frames[0], 40)
    frames[120:240] = [blank] * 120  # four seconds with nobody in front of the camera
    path = tmp_path / "away.mp4"
    _write_video(path, frames)
    report = analyse_recording(path, model_dir, tmp_path / "report", cache_dir=tmp_path / "cache",
                               echo=lambda s: None).report
    gaps = report["tracking"]["gaps"]
    # the tracker notices a lost face at its next detection (within a second at 30 fps)
    assert gaps and any(a <= 120 + 40 and b >= 235 for a, b in gaps), gaps
    assert 0.5 < report["tracking"]["face_found_fraction"] < 0.8
    assert not any(130 <= i["apex"] <= 230 for i in report["intervals"])


def test_many_recordings_one_report_each_resumable(model_dir, recording, tmp_path, capsys):
    path, truth = recording
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4"):
        (folder / name).write_bytes(path.read_bytes())
    (folder / "broken.mp4").write_bytes(b"not a video")
    args = ["analyse", folder, "--model", model_dir, "--out", tmp_path / "reports", "--jobs", "1",
            "--cache-dir", tmp_path / "cache"]
    code, text = run_main(args, capsys)
    assert code == 0, text
    index = json.loads((tmp_path / "reports" / "index.json").read_text())
    assert index["a"]["status"] == index["b"]["status"] == "done" and index["broken"]["status"] == "failed"
    assert (tmp_path / "reports" / "a" / "index.html").is_file()
    assert "broken.mp4" in (tmp_path / "reports" / "index.html").read_text()
    code, text = run_main(args, capsys)
    index = json.loads((tmp_path / "reports" / "index.json").read_text())
    assert code == 0 and index["a"]["status"] == index["b"]["status"] == "resumed"

    # one sheet for many recordings: each finds its own video by name; a report made without it is redone
    from microexp.datasets.long_videos import videos_of, write_long_video_sheet

    sheet = write_long_video_sheet(truth.assign(video="a"), tmp_path / "gt.csv", videos=videos_of(truth).assign(video="a"))
    code, text = run_main([*args, "--truth", sheet], capsys)
    index = json.loads((tmp_path / "reports" / "index.json").read_text())
    assert code == 0 and index["a"]["status"] == "done", text
    assert "no video of the sheet is named 'b'" in index["b"]["error"]
    assert json.loads((tmp_path / "reports" / "a" / "report.json").read_text())["truth_scores"] is not None
    code, text = run_main([*args, "--truth", sheet], capsys)
    assert json.loads((tmp_path / "reports" / "index.json").read_text())["a"]["status"] == "resumed"


def test_without_a_model_the_builtin_recogniser_says_what_it_learned_from(recording, tmp_path, capsys):
    """`microexp analyse REC --out DIR` needs no model folder: the packaged recogniser (simulated faces
    only) classifies the micro-expressions, and the page says so and gives its real-data scores."""
    from microexp.recognisers.model_folder import load_trained

    path, _ = recording
    out = tmp_path / "r"
    code, text = run_main(["analyse", path, "--out", out, "--mode", "recording", "--cache-dir", tmp_path / "c"], capsys)
    assert code == 0, text
    report = json.loads((out / "report.json").read_text())
    model = report["model"]
    assert model["name"] == "ststnet" and model["trained_on"].startswith("simulated faces only")
    assert model["loso"] == load_trained("builtin").card["held_out"]["full"]
    assert "none seen in training" in model["estimate_caption"]
    assert any("simulated faces only" in n for n in report["notes"])
    assert not any("laboratory clips" in n for n in report["notes"])  # the note for a database-trained one
    assert not any("leave-one-subject-out estimate (microexp train" in n for n in report["notes"])
    page = (out / "index.html").read_text()
    assert model["estimate_caption"] in page and f'{model["loso"]["uf1"]:.3f}' in page
    micro = [i for i in report["intervals"] if i["type"] == "micro" and "not_encoded" not in i["flags"]]
    assert all(i["label"] in ("negative", "positive", "surprise") for i in micro)


def test_a_short_clip_is_still_one_clip(model_dir, shared_data, tmp_path, capsys):
    clip = shared_data / "casme2-sample"
    if not (clip / "001.jpg").is_file():
        pytest.skip(f"{clip} holds no frames")
    from microexp.io import read_image

    video = tmp_path / "ten_real_frames.avi"  # a video made from the ten real frames (MJPG, 30 fps)
    frames = [read_image(clip / f"{i:03d}.jpg", "rgb") for i in range(1, 11)]
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    code, text = run_main(["analyse", video, "--model", model_dir, "--out", tmp_path / "r", "--apex", "5",
                           "--cache-dir", tmp_path / "cache"], capsys)
    assert code == 0, text
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["frames"]["count"] == 10 and report["prediction"]["label"] in ("negative", "positive", "surprise")
    with chromium_driver(1200, 900) as d:  # the clip's page opens from disk too, with every picture
        d.get((tmp_path / "r" / "index.html").as_uri())
        widths = d.execute_script("return [...document.images].map(i => i.complete ? i.naturalWidth : 0)")
        assert widths and min(widths) > 0
        assert report["prediction"]["label"] in d.page_source
        assert all(u.startswith(("file://", "data:")) for u in network_requests(d))
    code, text = run_main(["analyse", video, "--out", tmp_path / "b", "--apex", "5",  # the built-in recogniser
                           "--cache-dir", tmp_path / "cache"], capsys)
    assert code == 0, text
    builtin = json.loads((tmp_path / "b" / "report.json").read_text())
    assert builtin["model"]["held_out"]["samples"] == 442 and builtin["caveat"].startswith("This recogniser learned "
                                                                                           "from simulated faces only")
    page = (tmp_path / "b" / "index.html").read_text()
    assert "none of which trained it" in page and "simulated" in page


@pytest.mark.slow
def test_long_video_benchmark_fast_mode(load_benchmark, tmp_path):
    """The benchmark's own pipeline (train, spotter, simulate, analyse in a child process, score)
    on tiny sizes; its figures at full size are in the README."""
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=2, per_subject=3)
    summary = load_benchmark("long_video").main(["--fast", "--root", str(root), "--out", str(tmp_path / "bench")])
    for key in ("frames_per_s", "peak_rss_mib", "overall_f1", "micro_f1", "strs", "report", "screenshot", "fps200"):
        assert key in summary
    assert summary["runs"]["long"]["frames"] == 600 and summary["frames_per_s"] > 0
    assert summary["peak_rss_mib"]["ratio"] == pytest.approx(
        summary["peak_rss_mib"]["long"] / summary["peak_rss_mib"]["short"], rel=1e-2)
    assert (tmp_path / "bench" / "reports" / "long" / "index.html").is_file()
