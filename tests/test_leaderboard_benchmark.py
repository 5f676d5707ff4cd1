"""benchmarks/leaderboard.py: honest rows with the leak meter beside them, one JSON line."""
import json

import pytest


def test_leaderboard_writes_rows_with_honest_and_selected_scores(load_benchmark, composite_fixture, tmp_path, capsys):
    bench = load_benchmark("leaderboard")
    out = tmp_path / "board"
    rc = bench.main(["--root", str(composite_fixture), "--out", str(out), "--methods", "ststnet,svm",
                     "--seeds", "2", "--fast"])
    assert rc == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = line["rows"]
    assert set(rows) == {"ststnet", "svm"}
    st = rows["ststnet"]
    assert set(st) == {"claimed_uf1", "honest_uf1_mean", "honest_uf1_std", "honest_uar_mean", "selected_uf1_mean",
                       "inflation", "cpu_minutes"}
    assert st["claimed_uf1"] == bench.CLAIMS["ststnet"][0]
    assert st["inflation"] == pytest.approx(st["selected_uf1_mean"] - st["honest_uf1_mean"], abs=2e-4)
    # a classical model has no epochs: its row has an honest score and no selected one
    assert rows["svm"]["selected_uf1_mean"] is None and rows["svm"]["honest_uf1_mean"] > 0.5
    results = json.loads((out / "results.json").read_text())
    assert results["complete"] and [r["seed"] for r in results["rows"][0]["runs"]] == [0, 1]
    page = (out / "leaderboard.md").read_text()
    assert "test-selected" in page.lower() and "| ststnet |" in page
    for seed in (0, 1):
        assert (out / "runs" / "ststnet" / f"seed{seed}" / "leak_meter.json").is_file()


def test_leaderboard_refuses_a_method_without_a_config(load_benchmark, composite_fixture, tmp_path, capsys):
    bench = load_benchmark("leaderboard")
    rc = bench.main(["--root", str(composite_fixture), "--out", str(tmp_path / "b"), "--methods", "nosuchnet"])
    assert rc == 2
    assert "nosuchnet" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
