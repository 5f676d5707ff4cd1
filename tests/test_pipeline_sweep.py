"""Sweeps: grid expansion, one resumable results directory per point, tables, clear errors."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from microexp.cli.main import app
from microexp.datasets.megc2019 import load_megc2019
from microexp.errors import ConfigError
from microexp.evaluation import EvaluationConfig, evaluate
from microexp.pipeline.sweep import SELECTION_WARNING, expand_grid, read_sweep, run_sweep


def write(path, cfg: dict):
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_grid_expands_in_order_into_nested_settings():
    base = {"model": "svm", "model_kwargs": {"C": 1.0, "gamma": "scale"}, "trainer": {}}
    points = expand_grid(base, {"model_kwargs.C": [0.5, 2.0], "seed": [0, 1]})
    assert [p[2] for p in points] == [{"model_kwargs.C": 0.5, "seed": 0}, {"model_kwargs.C": 0.5, "seed": 1},
                                      {"model_kwargs.C": 2.0, "seed": 0}, {"model_kwargs.C": 2.0, "seed": 1}]
    name, cfg, _ = points[3]
    assert name == "003_C=2.0,seed=1"
    assert cfg["model_kwargs"] == {"C": 2.0, "gamma": "scale"} and cfg["seed"] == 1
    assert base["model_kwargs"]["C"] == 1.0  # the base is not modified


@pytest.mark.parametrize("cfg, message", [
    ({"model": "svm"}, "'grid' must map"),
    ({"model": "svm", "grid": {"C": [1]}}, "grid key 'C'"),
    ({"model": "svm", "grid": {"model_kwargs.C": []}}, "non-empty list"),
    ({"model": "svm", "grid": {"seed": [0]}, "epochs": 3}, "unknown key .epochs."),
])
def test_bad_sweep_files_name_the_file_and_key(tmp_path, cfg, message):
    path = write(tmp_path / "bad.yaml", cfg)
    with pytest.raises(ConfigError, match=message) as err:
        read_sweep(path)
    assert "bad.yaml" in str(err.value)


def test_sweep_runs_every_point_resumes_and_matches_evaluate(composite_fixture, tmp_path, monkeypatch):
    table = load_megc2019(composite_fixture)
    sweep = write(tmp_path / "s.yaml", {"model": "svm", "grid": {"model_kwargs.gamma": [1000.0, "scale"], "seed": [0, 1]}})
    out = tmp_path / "sweep"
    results = run_sweep(sweep=sweep, dataset="megc2019", root=composite_fixture, out=out, jobs=1, progress=False,
                        echo=lambda s: None, table=table)
    assert len(results) == 4 and len(list((out / "points").iterdir())) == 4
    summary = pd.read_csv(out / "summary.csv")
    assert summary["seeds"].tolist() == [2, 2] and summary["model_kwargs.gamma"].tolist() == ["1000.0", "scale"]
    assert SELECTION_WARNING in (out / "table.md").read_text()
    # a point's row is what evaluate() gives for the same configuration
    direct = evaluate(table, EvaluationConfig(model="svm", model_kwargs={"gamma": "scale"}, seed=1), tmp_path / "direct",
                      jobs=1, progress=False)
    row = results[(results["model_kwargs.gamma"] == "scale") & (results["seed"] == 1)].iloc[0]
    assert row["full_uf1"] == direct.metrics["full"]["uf1"]
    # a kernel this narrow sees every test sample as unlike all training ones
    assert row["full_uf1"] > results[results["model_kwargs.gamma"] == 1000.0]["full_uf1"].max() + 0.3

    import microexp.evaluation.runner as runner

    calls = []
    monkeypatch.setattr(runner, "fit_predict_fold", lambda data, task: calls.append(task) or {})
    again = run_sweep(sweep=sweep, dataset="megc2019", root=composite_fixture, out=out, jobs=1, progress=False,
                      echo=lambda s: None, table=table)
    assert calls == [] and again.equals(results)

    other = write(tmp_path / "other.yaml", {"model": "svm", "grid": {"model_kwargs.C": [2.0]}})
    with pytest.raises(ConfigError, match="another sweep"):
        run_sweep(sweep=other, dataset="megc2019", root=composite_fixture, out=out, jobs=1, progress=False,
                  echo=lambda s: None, table=table)


def test_sweep_command(composite_fixture, tmp_path):
    sweep = write(tmp_path / "s.yaml", {"model": "svm", "grid": {"model_kwargs.C": [1.0]}})
    res = CliRunner().invoke(app, ["sweep", "--config", str(sweep), "--root", str(composite_fixture),
                                   "--out", str(tmp_path / "o"), "--jobs", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    assert "000_C=1.0: UF1" in res.output and "test folds" in res.output
    assert (tmp_path / "o" / "points" / "000_C=1.0" / "metrics.json").is_file()
