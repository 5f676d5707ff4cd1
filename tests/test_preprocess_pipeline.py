"""``preprocess``: per-clip features, cache, error log, composite layout, read-back, CLI and pictures."""
from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from microexp.datasets.casme2 import load_casme2
from microexp.pipeline import preprocess as pp
from test_loaders_fixtures import make_casme2

#: Three CASME II-layout clips: two good ones, one ("others") with frame 3 missing on disk.
ROWS = [("01", "EP02_01f", 1, 4, 6, 12, "happiness"), ("02", "EP01_11f", 1, 3, 5, "4", "disgust"),
        ("02", "EP03_01", 1, 2, 5, "4", "others")]
FEATURES = "flow,strain,ars,rrs,lbptop"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, shared_data):
    frames = sorted((shared_data / "casme2-sample").glob("*.jpg"))
    if not frames:
        pytest.skip("casme2-sample frames are absent")
    root = tmp_path_factory.mktemp("pp")
    make_casme2(root / "db", rows=ROWS, source=frames, skip_frames={"EP03_01": 3})
    table = load_casme2(root / "db", strict=False)
    summary = pp.preprocess_dataset(table, root / "out", features=FEATURES, size=48, progress=False)
    return root, table, summary


def test_real_frames_end_to_end(real_run):
    from microexp.datasets.megc2019 import load_megc2019

    root, table, summary = real_run
    out = root / "out"
    assert (summary.total, summary.done, summary.cached, summary.failed) == (3, 2, 0, 1)
    assert json.loads((out / "summary.json").read_text())["failed"] == 1
    errors = list(csv.DictReader((out / "errors.csv").open()))
    assert [e["clip"] for e in errors] == ["casme2/sub02/EP03_01"]
    assert "missing 3" in errors[0]["error"] and "row 4" in errors[0]["error"] and errors[0]["file"].endswith("EP03_01")

    pre = pp.preprocessed_table(out)
    assert list(pre.df["clip"]) == ["EP02_01f", "EP01_11f"] and pre.classes == table.classes
    assert set(pre.kinds) == {"flow", "flow_full", "face", "strain", "ars", "rrs", "lbptop"}
    full = pre.arrays("flow_full")
    assert full.shape == (2, 3, 48, 48) and full.min() == 0 and full.max() == 1
    flow = pre.arrays("flow")
    assert flow.shape == (2, 3, 28, 28) and flow.dtype == np.float32 and flow.min() >= 0 and flow.max() <= 1
    assert pre.arrays("face").shape == (2, 48, 48, 3) and pre.arrays("lbptop").shape == (2, 4 * 4 * 3 * 59)
    assert pre.arrays("ars").shape[:3] == (2, 48, 48) and pre.arrays("strain").shape == (2, 48, 48)
    # each u/v/strain channel is min-max scaled, as in the composite
    assert np.allclose(flow.reshape(2, 3, -1).max(-1), 1) and np.allclose(flow.reshape(2, 3, -1).min(-1), 0)

    comp = load_megc2019(out / "composite")
    assert list(comp.df["label"]) == ["positive", "negative"] and list(comp.df["subject"]) == ["casme2/sub01",
                                                                                              "casme2/sub02"]
    assert np.allclose(comp.arrays("flow"), flow)  # PNG is lossless: the composite holds the same numbers
    assert comp.arrays("face").shape == (2, 48, 48, 3)


def test_real_frames_rerun_is_cached(real_run):
    root, table, _ = real_run
    npz = root / "out" / "clips" / "casme2" / "sub01" / "EP02_01f.npz"
    before = npz.stat().st_mtime_ns
    again = pp.preprocess_dataset(table, root / "out", features=FEATURES, size=48, progress=False)
    assert (again.done, again.cached, again.failed) == (0, 2, 1)
    assert npz.stat().st_mtime_ns == before


def test_show_pictures(real_run, tmp_path, shared_data, monkeypatch):
    from microexp.cli.main import main
    from microexp.io import read_image

    root, _, _ = real_run
    npz = root / "out" / "clips" / "casme2" / "sub01" / "EP02_01f.npz"
    for kind, source in (("flow", npz), ("ars", npz), ("landmarks", npz),
                         ("landmarks", shared_data / "casme2-sample" / "001.jpg")):
        png = tmp_path / f"{kind}.png"
        monkeypatch.setattr(sys, "argv", ["microexp", "show", kind, "--input", str(source), "--out", str(png)])
        with pytest.raises(SystemExit) as ex:
            main()
        assert ex.value.code in (0, None)
        img = read_image(png)
        assert img.ndim == 3 and img.std() > 0
    monkeypatch.setattr(sys, "argv", ["microexp", "show", "flow", "--input", str(shared_data / "casme2-sample" /
                                                                                 "001.jpg"), "--out", str(png)])
    with pytest.raises(SystemExit) as ex:
        main()
    assert ex.value.code == 2


def _fake_features(frames, apex_index, *, features, size, method, composite_size):
    """Stands in for alignment + flow so that cache and error handling are tested in a blink."""
    rng = np.random.default_rng(len(frames) + apex_index)
    return {"apex_face": frames[apex_index][:size, :size], "landmarks": np.zeros((68, 2), np.float32),
            "flow": rng.normal(size=(size, size, 2)).astype(np.float32), "strain": np.ones((size, size), np.float32),
            "flow_image": rng.integers(0, 255, (composite_size, composite_size, 3), dtype=np.uint8)}


@pytest.fixture
def fake_db(tmp_path, monkeypatch):
    monkeypatch.setattr(pp, "compute_clip_features", _fake_features)  # forked workers inherit it
    make_casme2(tmp_path / "db", rows=ROWS, skip_frames={"EP03_01": 3})
    return tmp_path


def test_cache_keys_follow_inputs_and_parameters(fake_db):
    out = fake_db / "out"
    table = load_casme2(fake_db / "db", strict=False)
    first = pp.preprocess_dataset(table, out, features="flow", size=16, jobs=2, progress=False)
    assert (first.done, first.cached, first.failed) == (2, 0, 1)
    assert (pp.preprocess_dataset(table, out, features="flow", size=16, jobs=2, progress=False).cached) == 2
    frame = Path(table.df.loc[0, "frame_paths"][0])
    os.utime(frame, ns=(frame.stat().st_atime_ns, frame.stat().st_mtime_ns + 10**9))
    touched = pp.preprocess_dataset(table, out, features="flow", size=16, progress=False)
    assert (touched.done, touched.cached) == (0, 2)  # same content: still the same clip
    frame.write_bytes(frame.read_bytes() + b"\0")  # other bytes under the same name
    changed = pp.preprocess_dataset(table, out, features="flow", size=16, progress=False)
    assert (changed.done, changed.cached) == (1, 1)
    other = pp.preprocess_dataset(table, out, features="flow", size=16, method="farneback", progress=False)
    assert (other.done, other.cached) == (2, 0)
    (out / "composite" / "datasets" / "STSNet_whole_norm_u_v_os" / "sub01_EP02_01f .png").unlink()
    assert pp.preprocess_dataset(table, out, features="flow", size=16, method="farneback", progress=False).done == 1


def test_unreadable_frame_is_reported_and_skipped(fake_db):
    table = load_casme2(fake_db / "db", strict=False)
    Path(table.df.loc[1, "frame_paths"][0]).write_bytes(b"not a jpeg")
    s = pp.preprocess_dataset(table, fake_db / "out", features="flow", size=16, progress=False)
    assert (s.done, s.failed) == (1, 2)
    errors = {e["clip"]: e for e in csv.DictReader((fake_db / "out" / "errors.csv").open())}
    assert "unreadable" in errors["casme2/sub02/EP01_11f"]["error"]
    assert errors["casme2/sub02/EP01_11f"]["file"].endswith("img1.jpg")
    assert len(pp.preprocessed_table(fake_db / "out")) == 1


def test_samples_accumulate_across_databases(fake_db):
    from test_loaders_fixtures import make_samm
    from microexp.datasets.samm import load_samm

    out = fake_db / "out"
    pp.preprocess_dataset(load_casme2(fake_db / "db", taxonomy="megc3", strict=False), out, features="flow",
                          size=16, progress=False)
    pp.preprocess_dataset(load_samm(make_samm(fake_db / "samm"), taxonomy="megc3"), out, features="flow", size=16,
                          progress=False)
    both = pp.preprocessed_table(out)
    assert sorted(set(both.df["dataset"])) == ["casme2", "samm"] and len(both) == 4
    lines = (out / "composite" / "combined_3_class2_for_optical_flow.csv").read_text().splitlines()
    assert lines[0] == "dataset,sub,filename_o,label,apex,imagename,sub_filename" and len(lines) == 5


def test_cli_preprocess(fake_db, monkeypatch, capsys):
    from microexp.cli.main import main

    def run(*args):
        monkeypatch.setattr(sys, "argv", ["microexp", "preprocess", *args])
        with pytest.raises(SystemExit) as ex:
            main()
        return ex.value.code or 0

    out = fake_db / "cli"
    assert run("--dataset", "casme2", "--root", str(fake_db / "db"), "--out", str(out), "--features", "flow",
               "--size", "16", "--quiet") == 0
    assert "3 clips: 2 done, 0 cached, 1 failed" in capsys.readouterr().out
    assert run("--dataset", "casme2", "--root", str(fake_db / "nowhere"), "--out", str(out)) == 2
    assert run("--dataset", "casme2", "--root", str(fake_db / "db"), "--out", str(out), "--features", "optic") == 2
    assert run("--dataset", "megc2019", "--root", str(fake_db / "db"), "--out", str(out)) == 2


def test_preprocessed_folder_bad_input(tmp_path):
    from microexp.errors import DataError

    with pytest.raises(DataError, match="not a preprocessed folder"):
        pp.preprocessed_table(tmp_path)
    (tmp_path / "preprocess.json").write_text(json.dumps({"params": {"features": ["flow"]}, "classes": ["a"]}))
    (tmp_path / "samples.csv").write_text("dataset,subject,clip\n")
    with pytest.raises(DataError, match="lacks columns"):
        pp.preprocessed_table(tmp_path)


def test_clip_without_a_face_is_reported_and_skipped(tmp_path):
    make_casme2(tmp_path / "db", rows=ROWS[:1])  # frames of noise: no face anywhere
    table = load_casme2(tmp_path / "db")
    s = pp.preprocess_dataset(table, tmp_path / "out", features="flow", size=32, progress=False)
    assert (s.done, s.failed) == (0, 1)
    errors = list(csv.DictReader((tmp_path / "out" / "errors.csv").open()))
    assert errors[0]["clip"] == "casme2/sub01/EP02_01f"
    assert "no face found" in errors[0]["error"]


def test_cache_key_follows_frame_content_not_just_its_name(tmp_path):
    """A frame rewritten with other pixels (same name) changes the clip's key: no stale reuse."""
    from microexp.io import atomic_write_image
    from microexp.pipeline.preprocess import PreprocessParams, cache_key

    frames = [tmp_path / f"img{i}.png" for i in range(3)]
    for i, p in enumerate(frames):
        atomic_write_image(p, np.full((8, 8), 10 * i, np.uint8))
    task = {"frame_paths": [str(p) for p in frames], "onset": 1, "apex": 2, "offset": 3}
    params = PreprocessParams(("flow",), 128, "tvl1")
    key = cache_key(task, params)
    assert cache_key(task, params) == key
    atomic_write_image(frames[1], np.full((8, 8), 99, np.uint8))
    assert cache_key(task, params) != key
