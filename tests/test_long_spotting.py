"""Long-recording spotting: the streamed feature extractor, its cache, the learned spotter's decoding,
thresholds chosen without the test subject, save/load, the ``spot-long`` command and the benchmark."""
from __future__ import annotations

import importlib.util
import json
import time

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from microexp.errors import DataError
from microexp.spotting.interval_decoding import DecodeSettings, decode_type, soft_targets, suppress_across_types
from microexp.spotting.learned import LongVideoSpotter
from microexp.spotting.long_features import (FEATURE_DIM, FEATURE_NAMES, LOST, FeatureSettings, FeatureStream,
                                             LongVideoFeatures, cached_features, iter_feature_rows, save_features,
                                             spans, stream_features)

FPS = 30.0
SMALL = (320, 240)


@pytest.fixture(scope="module")
def recording():
    from microexp.simulate.long_recording import simulate_recording

    return simulate_recording("casme_sq", seconds=3.0, seed=3, frame_size=SMALL, micro_per_minute=20)


@pytest.fixture(scope="module")
def frames(recording):
    return list(recording.frames())


# ------------------------------------------------------------------------------------ extractor
def test_features_stream_from_a_generator_without_holding_the_recording(frames):
    consumed = []

    def source():
        for f in frames:
            consumed.append(1)
            yield f

    _, _, k_long = spans(FPS)
    rows = iter_feature_rows(source(), FPS)
    first = next(rows)
    assert first[0] == 0 and first[1].shape == (FEATURE_DIM,)
    assert len(consumed) <= k_long + 2  # a row leaves k_long frames after its frame came in
    rest = list(rows)
    assert len(rest) + 1 == len(frames)
    stream = FeatureStream(FPS)  # what it holds stays bounded however long the recording
    for f in frames + frames[::-1] + frames:
        stream.push(f)
        assert len(stream.frames) <= 2 * k_long + 2 and len(stream.rows) <= k_long + 1
        assert len(stream.back) <= k_long + 2 and len(stream.crops) <= 2 * k_long + 2


def test_shapes_status_and_nan_for_frames_without_a_face(frames):
    grey = np.full_like(frames[0], 127)
    gap = range(30, 75)
    stream = (grey if i in gap else f for i, f in enumerate(frames))
    feats = stream_features(stream, FPS, settings=FeatureSettings(max_carry_s=0.2))
    assert feats.values.shape == (len(frames), FEATURE_DIM) and feats.values.dtype == np.float32
    assert feats.names == FEATURE_NAMES and feats.n_frames == len(frames)
    assert np.array_equal(feats.frame_index, np.arange(len(frames)))
    lost = feats.status == LOST
    assert lost[list(gap)].sum() >= 30 and not lost[:25].any()
    assert np.isnan(feats.values[lost]).all()
    assert np.isfinite(feats.values[~lost][:, :8]).any()
    assert np.nanmax(feats.inside) <= 1.0
    faceless = stream_features((grey for _ in range(20)), FPS)
    assert (faceless.status == LOST).all() and np.isnan(faceless.values).all()


def test_fast_recordings_are_decimated_and_mapped_back():
    step, k_short, k_long = spans(200.0)
    assert (step, k_short, k_long) == (4, 10, 30)
    feats = LongVideoFeatures(np.zeros((5, FEATURE_DIM), np.float32), np.arange(0, 20, 4), np.full(5, 2, np.int8),
                              np.zeros(5, np.float32), np.ones(5, np.float32), 200.0, 4, 20)
    assert feats.rate == 50.0
    assert feats.to_frames(2, "onset") == 6 and feats.to_frames(2, "offset") == 9 and feats.to_frames(2) == 8


def test_neighbour_signal_is_the_training_free_spotters_quantity():
    from microexp.spotting.baseline import motion_curve
    from microexp.spotting.long_tracking import FaceRegions, neighbour_signal
    from microexp.spotting.regions import eye_mask, nose_mask

    from microexp.simulate.identities import make_identity

    rng = np.random.default_rng(0)
    landmarks = make_identity(0, 0).landmarks
    pts = (landmarks - landmarks.min(0)) / np.ptp(landmarks, 0).max() * 80 + 8  # the face in a 96-px crop
    regions = FaceRegions(pts, 96)
    flow = rng.normal(0, 1, (96, 96, 2)).astype(np.float32)
    face, eyes = neighbour_signal(flow, regions)
    eyes_mask, nose = eye_mask((96, 96), pts), nose_mask((96, 96), pts)
    assert face == pytest.approx(motion_curve(flow[None], "magnitude", eyes_mask, nose, True)[0], rel=1e-5)
    assert eyes == pytest.approx(motion_curve(flow[None], "magnitude", ~eyes_mask, nose, True)[0], rel=1e-5)


def test_feature_cache_hits_on_the_second_call(tmp_path, recording):
    from microexp.simulate.long_recording import write_recording

    video = tmp_path / "rec.mp4"
    write_recording(video, recording)
    first = cached_features(video, FPS, tmp_path / "cache")
    files = list((tmp_path / "cache").glob("*.npz"))
    assert len(files) == 1
    t = time.perf_counter()
    second = cached_features(video, FPS, tmp_path / "cache")
    assert time.perf_counter() - t < 1.0
    assert np.array_equal(first.values, second.values, equal_nan=True) and second.n_frames == recording.n_frames
    cached_features(video, FPS, tmp_path / "cache", FeatureSettings(flow="dis_ultrafast"))
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2  # other settings, other key


# ------------------------------------------------------------------------------------- decoding
def test_decoding_a_hand_made_score():
    score = np.zeros(200)
    score[20:30] = 0.9  # 10 frames: a micro-expression at 30 fps
    score[60:100] = 0.8  # 40 frames: too long for a micro one, cut around its peak
    score[80] = 0.95
    score[150:160] = np.r_[np.linspace(0.3, 0.9, 5), np.linspace(0.9, 0.3, 5)]
    score[160:170] = np.r_[np.linspace(0.3, 0.9, 5), np.linspace(0.9, 0.3, 5)]  # two peaks: split
    found = decode_type(score, DecodeSettings(threshold=0.5, sigma=0.0, min_length=3, max_length=15,
                                              split_drop=0.3))
    spans_found = [(a, b) for a, b, _, _ in found]
    assert (20, 29) in spans_found
    long_one = [f for f in found if f[0] >= 60 and f[1] <= 100][0]
    assert long_one[1] - long_one[0] + 1 == 15 and long_one[0] <= 80 <= long_one[1]
    assert sum(1 for a, b in spans_found if 150 <= a and b < 170) == 2
    assert decode_type(score, DecodeSettings(threshold=0.99)) == []
    micro, macro = suppress_across_types([(10, 20, 15, 0.9)], [(5, 40, 20, 0.7), (60, 90, 70, 0.8)])
    assert micro == [(10, 20, 15, 0.9)] and macro == [(60, 90, 70, 0.8)]


def test_soft_targets_plateau_and_edges():
    y = soft_targets([(10, 30)], np.arange(40))
    assert y[9] == 0 and y[31] == 0 and y[10] == pytest.approx(0.5) and y[30] == pytest.approx(0.5)
    assert y[20] == 1.0 and (np.diff(y[10:21]) >= 0).all()


# -------------------------------------------------------------------------------- learned spotter
def _fake_recording(seed: int, n: int = 900):
    """Feature rows with bumps where the intervals are (micro short and weak, macro long)."""
    r = np.random.default_rng(seed)
    x = np.abs(r.normal(0.05, 0.02, (n, FEATURE_DIM))).astype(np.float32)
    rows, t = [], 40
    while t < n - 120:
        kind = "micro" if r.random() < 0.5 else "macro"
        length = int(r.integers(6, 14)) if kind == "micro" else int(r.integers(25, 70))
        bump = np.sin(np.linspace(0, np.pi, length)) * (0.3 if kind == "micro" else 0.6)
        x[t:t + length, :8] += bump[:, None]
        x[t:t + length, 22] += bump
        rows.append({"onset": t, "apex": t + length // 2, "offset": t + length - 1, "type": kind})
        t += length + int(r.integers(40, 120))
    feats = LongVideoFeatures(x, np.arange(n), np.full(n, 2, np.int8), np.zeros(n, np.float32), np.ones(n, np.float32),
                              FPS, 1, n, FEATURE_NAMES, {})
    return feats, pd.DataFrame(rows)


QUICK = {"steps": 4, "threshold_grid": (0.3, 0.5, 0.7), "inference_window": 256}
QUICK_BASELINE = {"p_grid": (0.3, 0.6), "extent_grid": (0.3,)}


def test_save_and_load_give_the_same_predictions(tmp_path):
    data = [_fake_recording(i) for i in range(4)]
    sp = LongVideoSpotter(**QUICK).fit([d[0] for d in data], [d[1] for d in data], ["a", "a", "b", "b"])
    sp.save(tmp_path / "spotter")
    back = LongVideoSpotter.load(tmp_path / "spotter")
    assert back.thresholds_ == sp.thresholds_
    assert np.array_equal(back.predict_proba(data[0][0]), sp.predict_proba(data[0][0]))
    pd.testing.assert_frame_equal(back.predict(data[0][0]), sp.predict(data[0][0]))
    assert list(sp.predict(data[0][0]).columns) == ["onset", "offset", "apex", "type", "score"]
    with pytest.raises(DataError):
        LongVideoSpotter.load(tmp_path / "nothing")


def test_no_face_no_score_and_no_interval_of_the_learned_spotter():
    """Rows without a tracked face score 0, so no interval is found where nobody is there, even
    where the features that stand in for the lost face would excite the network."""
    from microexp.spotting.long_features import LOST

    data = [_fake_recording(i) for i in range(4)]
    sp = LongVideoSpotter(**QUICK).fit([d[0] for d in data], [d[1] for d in data], ["a", "a", "b", "b"])
    feats, _ = _fake_recording(9)
    before = sp.predict_proba(feats)
    feats.values[300:420] = np.nan  # what the features hold while the face is lost
    feats.status[300:420] = LOST
    after = sp.predict_proba(feats)
    assert before[300:420].max() > 0 and (after[300:420] == 0).all()
    assert not any(300 <= a <= 419 for a in sp.predict(feats)["apex"])


def test_thresholds_and_predictions_never_see_the_test_subject(tmp_path):
    """LOSO: rewriting the test subject's labels changes nothing in its fold."""
    from microexp.spotting.long_run import run_folds

    recs, truth, features = [], [], {}
    for i, subject in enumerate(("s1", "s1", "s2", "s3")):
        feats, table = _fake_recording(10 + i)
        path = tmp_path / f"f{i}.npz"
        save_features(path, feats)
        video = f"v{i}"
        recs.append(("sim", subject, video, str(path), FPS, feats.n_frames, 0))
        truth.append(table.assign(dataset="sim", subject=subject, video=video, first_frame=0))
        features[f"sim/{subject}/{video}"] = {"path": str(path)}
    recordings = pd.DataFrame(recs, columns=["dataset", "subject", "video", "source", "fps", "video_length",
                                             "first_frame"])
    truth = pd.concat(truth, ignore_index=True)
    changed = truth.copy()
    s1 = changed["subject"] == "s1"
    changed.loc[s1, "type"] = "macro"
    changed.loc[s1, ["onset", "offset"]] += 7
    a = run_folds(recordings, truth, features, tmp_path / "a", learned=QUICK, baseline=QUICK_BASELINE)
    b = run_folds(recordings, changed, features, tmp_path / "b", learned=QUICK, baseline=QUICK_BASELINE)
    assert a["folds"]["learned"]["s1"] == b["folds"]["learned"]["s1"]
    assert a["folds"]["baseline"]["s1"] == b["folds"]["baseline"]["s1"]
    for name in ("learned", "baseline", "baseline_default"):
        pa, pb = (r["predictions"][name] for r in (a, b))
        pd.testing.assert_frame_equal(pa[pa["subject"] == "s1"].reset_index(drop=True),
                                      pb[pb["subject"] == "s1"].reset_index(drop=True))
    resumed = run_folds(recordings, truth, features, tmp_path / "a", learned=QUICK, baseline=QUICK_BASELINE)
    assert resumed["resumed"] == 6 and resumed["computed"] == 0


# ---------------------------------------------------------------------------------- command line
def test_spot_long_command_writes_the_results(tmp_path):
    from typer.testing import CliRunner

    from microexp.cli.main import app
    from microexp.datasets.long_videos import load_casme3_lv
    from microexp.simulate.long_dataset import simulate_long_dataset

    root = tmp_path / "sim"
    simulate_long_dataset(root, subjects=2, videos_per_subject=1, minutes=0.07, seed=5, micro_per_minute=30,
                          macro_per_minute=10, frame_size=SMALL)
    (tmp_path / "c.yaml").write_text("learned: {steps: 4, threshold_grid: [0.3, 0.5, 0.7]}\n"
                                     "baseline: {p_grid: [0.3, 0.6], extent_grid: [0.3]}\nplots: 1\n")
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["spot-long", "--dataset", "simulated", "--root", str(root), "--out", str(out),
                                   "--jobs", "1", "--config", str(tmp_path / "c.yaml"),
                                   "--save-spotter", str(tmp_path / "spotter")])
    assert res.exit_code == 0, res.output
    assert "overall" in res.output
    for name in ("intervals_learned.csv", "intervals_baseline.csv", "metrics.json", "config.yaml"):
        assert (out / name).is_file(), name
    assert len(list((out / "plots").glob("*.png"))) == 1
    metrics = json.loads((out / "metrics.json").read_text())
    for name in ("learned", "baseline", "baseline_default"):
        for t in ("micro", "macro", "overall"):
            assert set(metrics["spotters"][name][t]) == {"tp", "fp", "fn", "precision", "recall", "f1"}
    back = load_casme3_lv(out / "intervals_learned.csv", dataset="simulated")
    assert set(back["type"]) <= {"micro", "macro"}
    from microexp.spotting.learned import LongVideoSpotter

    deployed = LongVideoSpotter.load(tmp_path / "spotter")  # fitted on every recording, for analyse --spotter
    assert deployed.get_params()["steps"] == 4 and set(deployed.thresholds_) == {"micro", "macro"}


def test_spot_long_on_a_real_database_names_the_missing_frames(tmp_path):
    from typer.testing import CliRunner

    from microexp.cli.main import app
    from microexp.datasets.long_videos import write_long_video_sheet

    ann = tmp_path / "ann"
    sheet = pd.DataFrame([{"subject": "001", "video": "a", "onset": 10, "apex": 12, "offset": 14, "type": "micro",
                           "video_length": 100, "first_frame": 0}])
    write_long_video_sheet(sheet, ann / "cas3_longvideo_intervals.csv")
    (tmp_path / "frames").mkdir()
    res = CliRunner().invoke(app, ["spot-long", "--dataset", "casme3_lv", "--root", str(tmp_path / "frames"),
                                   "--annotations", str(ann), "--out", str(tmp_path / "run")])
    assert isinstance(res.exception, DataError)
    message = str(res.exception)
    assert "spNO.1" in message and "color" in message and str(tmp_path / "frames") in message


# ------------------------------------------------------------------------------------- benchmark
def test_benchmark_fast_mode_prints_the_json_line(tmp_path, capsys):
    """Run in this process (the imports are already paid for); the script's own entry is main()."""
    spec = importlib.util.spec_from_file_location("long_spotting_benchmark", REPO / "benchmarks" / "long_spotting.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--fast", "--out", str(tmp_path / "bench")])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("sheets", "chance", "simulated", "baseline", "learned", "videos", "minutes", "frames_per_s"):
        assert key in result, key
    for name in ("baseline", "learned"):
        assert set(result[name]) >= {"micro_f1", "macro_f1", "overall_f1"}
    assert result["simulated"]["seed"] >= 1000
