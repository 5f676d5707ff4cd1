"""benchmarks/lowres_recognition_loso.py: full LOSO, SR networks that never saw the test database."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def bench(load_benchmark):
    return load_benchmark("lowres_recognition_loso")


def test_fast_run_covers_every_subject_once_and_resumes(bench, composite_fixture, tmp_path):
    out = tmp_path / "run"
    argv = ["--root", str(composite_fixture), "--out", str(out), "--fast", "--jobs", "1", "--bootstrap", "20"]
    summary = bench.main(argv)
    for name in ("hr", "lr", "rrdb", "esrgan"):
        assert 0.0 <= summary[f"{name}_uf1"] <= 1.0
    assert summary["folds"] == 9 and summary["n_samples"] == 36
    preds = pd.read_csv(out / "predictions.csv")
    assert sorted(preds["index"]) == list(range(36))
    # one SR network per database, each trained without it
    for db in ("casme2", "samm", "smic"):
        assert (out / "sr_models" / f"without_{db}" / "generator_psnr.pt").is_file()
        folds = list((out / "conditions" / "rrdb" / db / "folds").glob("*.json"))
        tested = {json.loads(p.read_text())["test"][0] for p in folds}
        datasets = preds.set_index("index").loc[sorted(tested), "dataset"]
        assert len(folds) == 3 and set(datasets) == {db}
    stored = json.loads((out / "metrics.json").read_text())
    assert set(stored["paired_uf1_differences"]) >= {"hr_minus_lr", "rrdb_minus_lr"}
    # a second run reuses every fold and gives the same numbers
    again = bench.main(argv)
    assert {k: v for k, v in again.items() if k != "minutes"} == {k: v for k, v in summary.items() if k != "minutes"}


def test_paired_bootstrap_sees_a_real_difference(bench):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    subjects = np.repeat(np.arange(30), 10).astype(str)
    good = y.copy()
    bad = np.where(rng.random(300) < 0.6, rng.integers(0, 3, 300), y)
    res = bench.paired_bootstrap(good, bad, y, subjects, ("a", "b", "c"), 200, 0)
    assert res["ci95"][0] > 0 and res["uf1_difference"] > 0.2
    assert res["only_second_correct"] == 0
    same = bench.paired_bootstrap(good, good, y, subjects, ("a", "b", "c"), 50, 0)
    assert same["uf1_difference"] == 0 and same["ci95"] == [0.0, 0.0]
