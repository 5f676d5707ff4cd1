"""The whole chain on simulated data: simulate → preprocess → LOSO recognition → report.

Recognition must be far above chance when the faces move, and fall toward chance when the
expression amplitude goes to zero (then nothing but noise distinguishes the classes).
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from microexp.pipeline.demo import run_demo


@pytest.fixture(scope="module")
def moving(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "moving"
    return run_demo(out, profile="tiny", amplitude=1.0, model="svm", jobs=1, progress=False, echo=lambda s: None)


def test_recognition_is_far_above_chance(moving):
    r = moving.metrics["recognition"]
    assert r["n"] >= 12 and moving.metrics["preprocess"]["failed"] == 0
    assert r["uf1"] >= 0.8 and r["uar"] >= 0.8


def test_report_directory_is_complete(moving):
    report = moving.report_dir
    for name in ("index.html", "metrics.json", "demo.yaml", "confusion_matrix.png"):
        assert (report / name).is_file(), name
    assert any((report / "examples").glob("*.png")) and any((report / "flow").glob("*.png"))
    html = (report / "index.html").read_text()
    assert "UF1" in html and "confusion_matrix.png" in html and "examples/" in html
    saved = json.loads((report / "metrics.json").read_text())
    assert saved["recognition"]["uf1"] == pytest.approx(moving.metrics["recognition"]["uf1"])
    assert (moving.out_dir / "evaluation" / "predictions.csv").is_file()


def test_the_flow_gan_section_reports_class_fidelity(moving):
    gan = moving.metrics["flow_gan"]
    assert gan["settings"]["discriminator"] == "projection"
    assert len(gan["fidelity"]) >= 2 and all(isinstance(k, str) for k in gan["fidelity"])
    assert (moving.report_dir / "flow_gan_grid.png").is_file()
    html = (moving.report_dir / "index.html").read_text()
    first, value = next(iter(gan["fidelity"].items()))
    assert f"{100 * value:.0f}% ({first})" in html


def test_recognition_falls_toward_chance_without_expression(tmp_path, moving):
    still = run_demo(tmp_path / "still", profile="tiny", amplitude=0.0, model="svm", jobs=1, progress=False,
                     echo=lambda s: None)
    uf1 = still.metrics["recognition"]["uf1"]
    assert uf1 <= 0.5  # three classes: chance is about 1/3
    assert uf1 < moving.metrics["recognition"]["uf1"] - 0.3


def test_demo_refuses_to_replace_folders_it_did_not_write(tmp_path):
    from microexp.errors import ConfigError

    (tmp_path / "evaluation").mkdir()
    (tmp_path / "evaluation" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError):
        run_demo(tmp_path, profile="tiny", model="svm", jobs=1, progress=False, echo=lambda s: None)
    assert (tmp_path / "evaluation" / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "dataset").exists()  # refused before doing any work


def test_the_learned_animation_section_draws_a_strip_and_reports_its_training(tmp_path):
    from microexp.augment.famgan import TransferResult
    from microexp.pipeline.demo import _learned_animation, _learned_html
    from microexp.simulate import make_identity

    aus = ("AU4", "AU12")
    ramp = np.concatenate([np.linspace(0, 1.2, 5), np.linspace(1.2, 0, 4)])[:, None] * np.array([[0.0, 1.0]])
    result = TransferResult(np.zeros((9, 4, 4, 3), np.uint8), aus, ramp, ramp, ramp, ramp)
    info = _learned_animation(result, make_identity(60, 0), 4, tmp_path / "learned.png", steps=3, seed=0)
    assert (tmp_path / "learned.png").is_file() and info["steps"] == 3 and info["frames_shown"][0] == 0
    assert info["frames_shown"][-1] == 8 and info["copy_l1"] > 0
    page = _learned_html(info)
    assert "learned animator" in page and 'src="learned.png"' in page and _learned_html(None) == ""


def test_the_demo_analyses_a_whole_recording_against_its_truth(tmp_path):
    """A recording of a new person, analysed as a user would: the recogniser fitted on every clip,
    the built-in spotter, the page linked from the report and scored against the simulator's truth."""
    from dataclasses import replace

    from microexp.pipeline.demo import DEMO_PROFILES, _recording_html

    prof = replace(DEMO_PROFILES["tiny"], recording_s=12.0)
    res = run_demo(tmp_path / "demo", profile=prof, model="svm", jobs=1, progress=False, echo=lambda s: None)
    m = res.metrics["recording"]
    page = json.loads((tmp_path / "demo" / "recording" / "page" / "report.json").read_text())
    assert m["frames"] == 360 and m["spotter"].startswith("learned, built in")
    assert (m["true_micro"], m["true_macro"]) == tuple(sum(g["type"] == t for g in page["ground_truth"])
                                                       for t in ("micro", "macro"))
    for kind in ("micro", "macro"):
        s = m["truth_scores"][kind]
        assert s["tp"] + s["fn"] == m[f"true_{kind}"] and s["tp"] + s["fp"] == m[kind]
    assert (tmp_path / "demo" / "model" / "model.json").is_file()
    index = res.index_html.read_text()
    assert 'href="../recording/page/index.html"' in index and "A whole recording" in index
    assert (res.report_dir / m["page"]).resolve().is_file()
    assert _recording_html(None) == "" and "recording_s" in res.metrics["timings"]
