"""benchmarks/lowres_motion.py: HR / LR / SR motion inputs on simulated clips under LOSO (smoke run)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("lowres_motion")


@pytest.fixture(scope="module")
def tiny_generator(tmp_path_factory) -> Path:
    import torch

    from microexp.restore import SRConfig, build_generator, generator_bytes

    torch.manual_seed(0)
    cfg = SRConfig(arch="rrdbnet", n_features=8, n_blocks=1, growth=4)
    generator = build_generator(cfg)
    with torch.no_grad():  # an untrained generator may start as exactly bicubic; make it do something
        for p in generator.parameters():
            p.add_(0.05 * torch.randn_like(p))
    path = tmp_path_factory.mktemp("sr") / "generator.pt"
    path.write_bytes(generator_bytes(generator, cfg))
    return path


@pytest.fixture(scope="module")
def fast_run(bench, tiny_generator, tmp_path_factory):
    out = tmp_path_factory.mktemp("lowres_motion")
    summary = bench.main(["--fast", "--out", str(out), "--sr-model", str(tiny_generator)])
    return out, summary


def test_fast_run_writes_scores_per_condition(fast_run, capsys):
    out, summary = fast_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["skipped"] == {}
    assert set(metrics["per_condition"]) == {"hr", "lr", "sr"}
    for name in ("hr", "lr", "sr"):
        for key in ("uf1", "uar", "accuracy"):
            value = metrics["per_condition"][name][key]
            assert 0.0 <= value <= 1.0, (name, key, value)
            assert summary[f"{name}_{key}"] == pytest.approx(value, abs=1e-4)
        assert (out / name / "evaluation" / "predictions.csv").is_file()
    assert summary["subjects"] >= 2 and summary["clips"] == metrics["per_condition"]["hr"]["n"]
    table = (out / "table.md").read_text()
    assert all(f"| {name} |" in table for name in ("hr", "lr", "sr"))


def test_lr_and_sr_inputs_differ_from_hr(fast_run):
    out, _ = fast_run
    inputs = {name: np.load(out / name / "inputs.npz")["inputs"] for name in ("hr", "lr", "sr")}
    assert inputs["hr"].shape == inputs["lr"].shape == inputs["sr"].shape
    assert inputs["hr"].shape[1:] == (3, 28, 28)
    assert np.abs(inputs["hr"] - inputs["lr"]).mean() > 1e-3
    assert np.abs(inputs["lr"] - inputs["sr"]).mean() > 1e-3


def test_transform_faces_degrades_every_frame_alike(bench):
    rng = np.random.default_rng(0)
    face = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
    faces = np.stack([face, face])
    lr = bench.transform_faces(faces, "lr", seed=3)
    assert lr.shape == faces.shape and lr.dtype == np.uint8
    assert not np.array_equal(lr[0], face)  # the 32x32 round trip loses detail
    np.testing.assert_array_equal(lr[0], lr[1])  # one seed per clip: no spurious onset/apex difference
    np.testing.assert_array_equal(bench.transform_faces(faces, "hr", seed=3), faces)
    with pytest.raises(ValueError):
        bench.transform_faces(faces, "sr", seed=3)  # no generator


def test_missing_sr_model_skips_the_condition(bench, fast_run, tmp_path):
    out, _ = fast_run
    # reuse the simulated database of the fast run so this stays quick
    import shutil

    shutil.copytree(out / "dataset", tmp_path / "dataset")
    shutil.copy(out / "dataset_settings.json", tmp_path / "dataset_settings.json")
    summary = bench.main(["--fast", "--out", str(tmp_path), "--sr-model", str(tmp_path / "missing.pt")])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert "sr" not in metrics["per_condition"] and "missing" in metrics["skipped"]["sr"]
    assert "sr_uf1" not in summary and "missing" in summary["sr_skipped"]
    assert metrics["per_condition"]["hr"]["uf1"] == pytest.approx(
        json.loads((out / "metrics.json").read_text())["per_condition"]["hr"]["uf1"])


def test_rerun_reuses_inputs_and_a_new_sr_model_replaces_its_results(bench, fast_run, tmp_path):
    import torch

    from microexp.restore import SRConfig, build_generator, generator_bytes

    out, summary = fast_run
    hr_before = np.load(out / "hr" / "inputs.npz")["inputs"]
    sr_before = np.load(out / "sr" / "inputs.npz")["inputs"]
    torch.manual_seed(1)
    cfg = SRConfig(arch="rrdbnet", n_features=8, n_blocks=1, growth=4)
    generator = build_generator(cfg)
    with torch.no_grad():
        for p in generator.parameters():
            p.add_(0.2 * torch.randn_like(p))
    other = tmp_path / "other.pt"
    other.write_bytes(generator_bytes(generator, cfg))
    again = bench.main(["--fast", "--out", str(out), "--sr-model", str(other)])
    np.testing.assert_array_equal(np.load(out / "hr" / "inputs.npz")["inputs"], hr_before)
    assert again["hr_uf1"] == summary["hr_uf1"] and again["lr_uf1"] == summary["lr_uf1"]
    assert not np.array_equal(np.load(out / "sr" / "inputs.npz")["inputs"], sr_before)
    assert 0.0 <= again["sr_uf1"] <= 1.0
