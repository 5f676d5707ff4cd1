import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cli_main import run_main

from microexp.cli.main import app
from microexp.datasets.megc2019 import load_megc2019
from microexp.errors import ConfigError
from microexp.evaluation import EvaluationConfig, evaluate


def test_evaluate_writes_results_dir_and_scores_above_chance(composite_fixture, tmp_path):
    t = load_megc2019(composite_fixture)
    res = evaluate(t, EvaluationConfig(model="svm"), tmp_path / "run", jobs=1, progress=False)
    out = tmp_path / "run"
    for name in ("config.yaml", "metrics.json", "predictions.csv", "confusion_matrix.png"):
        assert (out / name).is_file(), name
    m = json.loads((out / "metrics.json").read_text())
    assert set(m) >= {"full", "casme2", "samm", "smic", "seconds", "mean_over_folds"}
    assert m["full"]["uf1"] > 0.9 and m["folds"] == 9
    assert len(res.predictions) == len(t)
    assert len(list((out / "folds").glob("*.json"))) == 9


def test_resume_recomputes_nothing_and_is_identical(composite_fixture, tmp_path, monkeypatch):
    t = load_megc2019(composite_fixture)
    cfg = EvaluationConfig(model="svm", seed=3)
    first = evaluate(t, cfg, tmp_path / "run", jobs=1, progress=False)
    # simulate a run killed midway: drop some finished folds and the final outputs
    fold_files = sorted((tmp_path / "run" / "folds").glob("*.json"))
    for p in fold_files[4:]:
        p.unlink()
    (tmp_path / "run" / "metrics.json").unlink()
    calls = []
    import microexp.evaluation.runner as runner

    real = runner.fit_predict_fold

    def counting(data, task):
        calls.append(task["key"])
        return real(data, task)

    monkeypatch.setattr(runner, "fit_predict_fold", counting)
    second = evaluate(t, cfg, tmp_path / "run", jobs=1, progress=False)
    assert len(calls) == len(fold_files) - 4
    assert second.folds_resumed == 4
    for k in ("full", "casme2", "samm", "smic"):
        assert second.metrics[k] == first.metrics[k]
    assert (second.predictions == first.predictions).all().all()


def test_other_config_in_same_dir_is_refused(composite_fixture, tmp_path):
    t = load_megc2019(composite_fixture)
    evaluate(t, EvaluationConfig(model="svm"), tmp_path / "run", jobs=1, progress=False)
    with pytest.raises(ConfigError, match="other settings"):
        evaluate(t, EvaluationConfig(model="svm", model_kwargs={"C": 10.0}), tmp_path / "run", jobs=1, progress=False)


def test_parallel_and_ray_backends_match_serial(composite_fixture):
    pytest.importorskip("ray")
    t = load_megc2019(composite_fixture)
    cfg = EvaluationConfig(model="svm")
    serial = evaluate(t, cfg, None, jobs=1, progress=False)
    local = evaluate(t, cfg, None, jobs=2, progress=False)
    ray_res = evaluate(t, cfg, None, backend="ray", jobs=2, progress=False)
    assert np.array_equal(serial.predictions["y_pred"], local.predictions["y_pred"])
    assert np.array_equal(serial.predictions["y_pred"], ray_res.predictions["y_pred"])
    assert ray_res.metrics["full"] == serial.metrics["full"]


def test_cli_evaluate_and_bad_inputs(composite_fixture, tmp_path, capsys):
    runner = CliRunner()
    out = tmp_path / "cli"
    r = runner.invoke(app, ["evaluate", "--root", str(composite_fixture), "--model", "svm", "--protocol", "loso",
                            "--out", str(out), "--jobs", "1", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "casme2" in r.output and "UF1" in r.output
    assert json.loads((out / "metrics.json").read_text())["full"]["uf1"] > 0.9

    for args, expected in (
        (["--root", str(tmp_path / "missing")], "missing"),
        (["--root", str(composite_fixture), "--model", "nonsense"], "unknown model"),
        (["--root", str(composite_fixture), "--protocol", "nonsense"], "unknown protocol"),
    ):
        code, text = run_main(["evaluate", "--out", str(tmp_path / "bad"), "--quiet", *args], capsys)
        assert code == 2, text
        assert expected in text, text
        assert not (tmp_path / "bad" / "metrics.json").exists()


def test_config_objects_are_written_as_their_description(tmp_path):
    """An augmenter in the trainer config goes into config.yaml and the fingerprint with its whole
    description: two augmenters that differ only in GAN width are different runs."""
    import yaml

    from microexp.augment.cgan import FlowGANAugmenter
    from microexp.io import plain

    narrow = FlowGANAugmenter(per_class=5, epochs=1, seed=0, generator_width=8)
    wide = FlowGANAugmenter(per_class=5, epochs=1, seed=0, generator_width=16)
    assert repr(narrow) == repr(wide)  # the repr alone cannot tell them apart
    assert plain({"a": narrow}) != plain({"a": wide})
    assert plain({"x": np.int64(3), "t": (np.str_("casme2"),)}) == {"x": 3, "t": ["casme2"]}
    cfg = EvaluationConfig(model="svm", trainer={"augmenter": narrow}, protocol_kwargs={"test_datasets": [np.str_("samm")]})
    cfg.save(tmp_path / "run" / "config.yaml", fingerprint="abc")
    stored = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert stored["trainer"]["augmenter"]["flow_gan"]["generator_width"] == 8
    assert stored["protocol_kwargs"]["test_datasets"] == ["samm"]
