"""Long simulated recordings: streamed frames, ground truth calibrated on the real sheets, the sheet
round trip, nuisances, determinism, the training-free spotter seeing the micro-expressions, and the
``simulate-long`` / ``sheet-stats`` commands."""
from __future__ import annotations

import hashlib
import inspect
import json
import tracemalloc
from itertools import islice

import numpy as np
import pytest
from cli_main import run_main

from microexp.datasets.long_videos import load_long_video_intervals, video_frame_paths
from microexp.errors import ConfigError
from microexp.simulate.long_calibration import DEFAULT_CALIBRATIONS, QUANTILE_LEVELS, TypeCalibration
from microexp.simulate.long_dataset import load_simulated_long, simulate_long_dataset, video_path
from microexp.simulate.long_recording import simulate_recording, write_recording
from microexp.simulate.long_schedule import MICRO_MAX_S, recording_profile

SMALL = (320, 240)
#: One seed for (nearly) every recording: person 0 of a seed is made once per process.
SEED = 5
COMPARED = ["subject", "video", "onset", "apex", "offset", "type", "aus", "emotion", "emotion_class",
            "video_length", "fps"]


def digest(frame: np.ndarray) -> str:
    return hashlib.sha256(frame.tobytes()).hexdigest()


@pytest.fixture(scope="module")
def rec30():
    return simulate_recording("casme_sq", seconds=20, seed=SEED, micro_per_minute=9, macro_per_minute=6,
                              frame_size=SMALL)


@pytest.fixture(scope="module")
def pass30(rec30):
    """One streamed pass over the 20-s recording; keeps only small per-frame summaries and two
    frames: the first and the one where the head is farthest from where it started."""
    busy = np.zeros(rec30.n_frames, bool)
    for e in rec30.plan.expressions:
        busy[e.onset:e.offset + 1] = True
    busy |= rec30.plan.blink > 0
    shift = np.array([np.linalg.norm(rec30.head_landmarks(t).mean(0) - rec30.head_landmarks(0).mean(0))
                      for t in range(rec30.n_frames)])
    far = int(np.argmax(np.where(busy, -1.0, shift)))
    out = {"n": 0, "shapes": set(), "means": [], "digests": [], "far": far, "shift": shift}
    for t, frame in enumerate(rec30.frames()):
        out["n"] += 1
        out["shapes"].add((frame.shape, frame.dtype))
        out["means"].append(float(frame.mean()))
        out["digests"].append(digest(frame))
        if t in (0, far):
            out[t] = frame
    out["means"] = np.array(out["means"])
    return out


@pytest.fixture(scope="module")
def rec200():
    return simulate_recording("samm_lv", seconds=3, seed=SEED, video_index=11, micro_per_minute=40,
                              macro_per_minute=30)


def check_truth(rec):
    df = rec.intervals
    assert len(df) and set(df["type"]) == {"micro", "macro"}
    assert ((0 <= df["onset"]) & (df["onset"] < df["apex"]) & (df["apex"] < df["offset"])
            & (df["offset"] < rec.n_frames)).all()
    seconds = (df["offset"] - df["onset"] + 1) / rec.fps
    micro = df["type"] == "micro"
    assert (seconds[micro] <= MICRO_MAX_S + 1e-9).all() and (seconds[~micro] > MICRO_MAX_S).all()
    assert set(df.loc[micro, "emotion_class"]) <= {"negative", "positive", "surprise"}
    assert (df["aus"] != "").all() and (df["emotion"] != "").all()
    assert (df["video_length"] == rec.n_frames).all() and (df["first_frame"] == 0).all()
    ordered = df.sort_values("onset")
    assert (ordered["onset"].to_numpy()[1:] > ordered["offset"].to_numpy()[:-1]).all()  # no overlaps


def test_20_seconds_at_30_fps_streams_every_frame(rec30, pass30):
    assert rec30.n_frames == 600 == pass30["n"] == len(rec30)
    assert pass30["shapes"] == {((240, 320, 3), np.dtype(np.uint8))}
    check_truth(rec30)
    assert inspect.isgenerator(rec30.frames())


def test_3_seconds_at_200_fps_in_bounded_memory(rec200):
    check_truth(rec200)
    frames = rec200.frames()
    assert inspect.isgenerator(frames)
    tracemalloc.start()
    try:
        n, shape, nbytes = 0, None, 0
        for frame in frames:
            n, shape, nbytes = n + 1, frame.shape, frame.nbytes
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n == 600 and shape == (480, 640, 3)
    # working buffers and one expression's deformation field; the video (553 MB) is never held
    whole = n * nbytes
    assert peak < 60e6 < whole / 5


def test_an_hour_is_planned_in_a_few_megabytes_and_rendered_lazily():
    rec = simulate_recording("casme_sq", minutes=60, seed=SEED, frame_size=SMALL)
    assert rec.n_frames == 108_000
    plan = rec.plan
    assert plan.head.nbytes + plan.gain.nbytes + plan.blink.nbytes + plan.talk.nbytes < 8e6
    first = next(rec.frames())
    assert first.shape == (240, 320, 3)
    counts = rec.intervals["type"].value_counts()
    # CAS(ME)^2's rates: 0.41 micro and 2.14 macro per minute
    assert 10 <= counts["micro"] <= 45 and 90 <= counts["macro"] <= 170
    blinks = sum(e["kind"] == "blink" for e in rec.nuisance_events)
    assert 12 * 60 <= blinks <= 18 * 60


def test_same_seed_same_frames_other_seed_other_frames(rec30, pass30):
    again = simulate_recording("casme_sq", seconds=20, seed=SEED, micro_per_minute=9, macro_per_minute=6,
                               frame_size=SMALL)
    assert again.intervals.equals(rec30.intervals)
    assert again.nuisance_events == rec30.nuisance_events
    assert [digest(f) for f in islice(again.frames(), 40)] == pass30["digests"][:40]
    other = simulate_recording("casme_sq", seconds=20, seed=SEED + 1, micro_per_minute=9, macro_per_minute=6,
                               frame_size=SMALL)
    assert digest(next(other.frames())) != pass30["digests"][0]
    assert not other.intervals[["onset", "offset"]].equals(rec30.intervals[["onset", "offset"]])


def test_nuisances_move_the_face_and_change_the_light(rec30, pass30):
    import cv2

    kinds = {e["kind"] for e in rec30.nuisance_events}
    assert {"blink", "head_turn"} <= kinds
    assert pass30["shift"].max() > 3.0  # pixels, from the planned head pose
    # the rendered face really moved: phase correlation of the face region, first vs farthest frame
    lm = rec30.head_landmarks(0)
    (x0, y0), (x1, y1) = lm.min(0).astype(int), lm.max(0).astype(int)
    crops = [cv2.cvtColor(pass30[t], cv2.COLOR_RGB2GRAY)[y0:y1, x0:x1].astype(np.float32) for t in (0, pass30["far"])]
    window = cv2.createHanningWindow(crops[0].shape[::-1], cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(crops[0], crops[1], window)
    planned = rec30.head_landmarks(pass30["far"]).mean(0) - lm.mean(0)
    assert np.hypot(dx, dy) > 2.0 and np.hypot(dx - planned[0], dy - planned[1]) < 2.5
    # brightness follows the planned gain (slow drift, steps, flicker)
    means, gain = pass30["means"], rec30.plan.gain
    assert np.ptp(means) > 2.0 and np.ptp(gain) > 0.02
    assert np.corrcoef(means, gain)[0, 1] > 0.8


def test_durations_follow_the_calibration_and_micro_stays_under_half_a_second():
    rng = np.random.default_rng(0)
    cal = DEFAULT_CALIBRATIONS["samm_lv"].macro
    d = cal.sample_durations(rng, 4000)
    assert np.median(d) == pytest.approx(cal.duration_s[QUANTILE_LEVELS.index(0.5)], rel=0.08)
    assert np.quantile(d, 0.9) == pytest.approx(cal.duration_s[QUANTILE_LEVELS.index(0.9)], rel=0.12)
    capped = cal.sample_durations(rng, 500, low=0.55, high=4.0)
    assert capped.min() >= 0.55 and capped.max() <= 4.0
    with pytest.raises(ConfigError):
        TypeCalibration(1.0, (0.5, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0))
    with pytest.raises(ConfigError):
        recording_profile("nope")
    with pytest.raises(ConfigError):
        recording_profile("casme_sq", blink_rate=3)


def test_dataset_sheet_round_trips_through_the_long_video_loader(tmp_path):
    import cv2

    root = tmp_path / "sim"
    settings = dict(subjects=2, videos_per_subject=1, minutes=0.1, fps=30, seed=SEED, frame_size=(160, 120),
                    micro_per_minute=20, macro_per_minute=10)
    summary = simulate_long_dataset(root, format="mp4", **settings)
    expected = [simulate_recording("casme_sq", minutes=0.1, fps=30, seed=SEED, subject_index=i, frame_size=(160, 120),
                                   micro_per_minute=20, macro_per_minute=10) for i in range(2)]
    truth = load_simulated_long(root)
    assert len(truth) == sum(len(r.intervals) for r in expected) > 0
    for rec in expected:
        mine = truth[truth["subject"] == rec.subject].reset_index(drop=True)
        assert mine[COMPARED].equals(rec.intervals[COMPARED])
        cap = cv2.VideoCapture(str(video_path(root, rec.subject, rec.video)))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == rec.n_frames == 180
        cap.release()
    videos = truth.attrs["videos"]
    assert sorted(videos["subject"]) == ["s01", "s02"] and set(videos["fps"]) == {30.0}
    same = load_long_video_intervals("casme3_lv", root, dataset="simulated_long")
    assert same[COMPARED[:-3]].equals(truth[COMPARED[:-3]])
    assert json.loads((root / "simulation.json").read_text())["complete"] is True
    assert summary.to_dict()["n_frames"] == 360

    # an earlier simulation is replaced; frame folders are listed like CAS(ME)^3's
    simulate_long_dataset(root, format="frames", **settings)
    assert not (root / "videos").exists()
    frames = video_frame_paths("casme3_lv", root / "frames", "s01", "v01")
    assert len(frames) == 180 and frames[0].name == "0.jpg" and frames[-1].name == "179.jpg"
    assert load_simulated_long(root)[COMPARED].equals(truth[COMPARED])


def test_write_recording_chooses_the_format_by_suffix(tmp_path):
    rec = simulate_recording("samm_lv", seconds=0.1, seed=SEED, frame_size=(160, 120))
    intervals = write_recording(tmp_path / "rec", rec)
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == sorted(f"{i}.jpg" for i in range(20))
    assert list(intervals.columns) == list(rec.intervals.columns)
    write_recording(tmp_path / "rec", rec)  # an earlier frame folder is replaced
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("x")
    with pytest.raises(ConfigError):  # anything else is left alone
        write_recording(notes, rec)
    with pytest.raises(ConfigError):
        write_recording(tmp_path / "rec.avi", rec)
    with pytest.raises(ConfigError):
        rec.frames("bgra")


def test_training_free_spotter_finds_simulated_micro_expressions():
    from microexp.spotting.intervals import IntervalSpotter, match_intervals
    from microexp.spotting.regions import crop_clip_to_landmarks

    prof = recording_profile("casme_sq", micro_per_minute=20, macro_per_minute=0, frame_size=SMALL)
    rec = simulate_recording(prof.without_nuisances(), seconds=10, seed=SEED, video_index=5)
    true = [(e.onset, e.offset) for e in rec.plan.expressions]
    assert len(true) >= 3
    lm = rec.head_landmarks(0)
    crops = []
    for frame in rec.frames():
        crop, lm_crop = crop_clip_to_landmarks(frame[None], lm, 96)
        crops.append(crop[0])
    spotter = IntervalSpotter.for_fps(rec.fps, threshold_p=0.3, extent=0.2, widen=2.0)
    found, _ = spotter.spot(np.stack(crops), landmarks=lm_crop, flow_size=64)
    tp, _, _ = match_intervals(found, true)
    rng = np.random.default_rng(0)  # chance: the same intervals at random places
    chance = np.mean([match_intervals([(int(s), int(s) + b - a) for (a, b), s in
                                       zip(found, rng.integers(0, rec.n_frames - 16, len(found)))], true)[0]
                      for _ in range(200)])
    assert tp >= len(true) // 2 and tp > 3 * chance + 0.5


def test_simulate_long_command_and_its_errors(tmp_path, capsys):
    out = tmp_path / "cli"
    code, text = run_main(["simulate-long", "--out", out, "--subjects", 1, "--videos-per-subject", 1,
                           "--minutes", 0.02, "--fps", 30, "--seed", SEED, "--format", "frames"], capsys)
    assert code == 0, text
    info = json.loads(text.strip().splitlines()[-1])
    assert info["n_videos"] == 1 and info["n_frames"] == 36
    assert len(list((out / "frames" / "s01" / "v01").glob("*.jpg"))) == 36
    assert (out / "cas3_longvideo_intervals.csv").is_file()

    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    code, text = run_main(["simulate-long", "--out", a_file, "--minutes", 0.01], capsys)
    assert code == 2 and "not a folder" in text
    code, text = run_main(["simulate-long", "--out", tmp_path / "x", "--format", "avi"], capsys)
    assert code == 2 and "--format" in text
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("x")
    code, text = run_main(["simulate-long", "--out", busy, "--minutes", 0.01], capsys)
    assert code == 2 and "not empty" in text
    code, text = run_main(["sheet-stats", "--annotations", tmp_path, "--out", tmp_path], capsys)
    assert code == 2 and "folder" in text


KNOWN_COUNTS = {"casme_sq": (57, 300, 357), "samm_lv": (159, 343, 502), "casme3_lv": (277, 2071, 2348)}


def test_sheet_stats_on_the_real_sheets(shared_data, tmp_path, capsys):
    annotations = shared_data / "annotations"
    if not (annotations / "CASME_sq" / "CASME_sq_gt.xlsx").is_file():
        pytest.skip(f"long-video sheets not found under {annotations}")
    code, text = run_main(["sheet-stats", "--annotations", annotations, "--out", tmp_path / "stats.json"], capsys)
    assert code == 0, text
    stats = json.loads((tmp_path / "stats.json").read_text())
    for name, (micro, macro, total) in KNOWN_COUNTS.items():
        counts = tuple(stats[name][t]["n_intervals"] for t in ("micro", "macro", "all"))
        assert counts == (micro, macro, total)
        assert any(line.split()[:3] == [name, "all", str(total)] for line in text.splitlines())
        # the simulator's built-in calibration is what the sheets say
        cal = DEFAULT_CALIBRATIONS[name]
        for t in ("micro", "macro"):
            s = stats[name][t]
            assert cal.of(t).rate_per_minute == pytest.approx(s["rate_per_minute"], abs=6e-4)
            assert cal.of(t).duration_s == pytest.approx(
                [s[f"duration_s_{k}"] for k in ("min", "q10", "q25", "median", "q75", "q90", "max")], abs=6e-4)
