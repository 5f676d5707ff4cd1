"""`microexp analyse`: a real clip and a simulated video through face → apex → motion → class → report."""
from __future__ import annotations

import json
import re
import sys

import numpy as np
import pytest

from microexp.errors import DataError, FaceNotFoundError
from microexp.pipeline.analyse import analyse_clip, spotting_window

CLASSES = ["negative", "positive", "surprise"]




def _check_report(out, *, frames: int) -> dict:
    page = (out / "index.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) >= 7
    for src in sources:
        assert (out / src).is_file() and (out / src).stat().st_size > 100, src
    report = json.loads((out / "report.json").read_text())
    assert report["frames"]["count"] == frames and len(report["spotting"]["curve"]) == frames
    pred = report["prediction"]
    assert pred["label"] in CLASSES and pred["label"] in page
    assert set(pred["scores"]) == set(CLASSES)
    assert pred["label"] == max(pred["scores"], key=pred["scores"].get)
    assert "not been validated" in page  # the caveat is on the page
    with np.load(out / "motion.npz") as motion:
        assert motion["composite"].shape == (28, 28, 3) and motion["composite"].dtype == np.uint8
        assert motion["flow"].shape == (128, 128, 2) and np.abs(motion["flow"]).max() > 0.05
        # the composite is min-max scaled per channel, exactly as the training composites are
        assert all(motion["composite"][..., c].max() == 255 for c in range(3))
    return report


def test_analyse_real_frames_with_given_apex_via_cli(shared_data, model_dir, tmp_path):
    from typer.testing import CliRunner

    from microexp.cli.main import app

    clip = shared_data / "casme2-sample"
    if not (clip / "001.jpg").is_file():
        pytest.skip(f"{clip} holds no frames")
    out = tmp_path / "report"
    res = CliRunner().invoke(app, ["analyse", str(clip), "--model", str(model_dir), "--out", str(out), "--apex", "6"])
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[-1] == str(out / "index.html")
    report = _check_report(out, frames=10)
    assert report["frames"]["onset"] == 1 and report["frames"]["offset"] == 10
    assert report["frames"]["apex"] == 6 and report["frames"]["apex_source"] == "given"
    assert 2 <= report["frames"]["spotted_apex"] <= 10
    assert report["face"]["detector"] != "whole_frame"


def test_analyse_simulated_video_spots_the_apex(model_dir, tmp_path):
    import cv2

    from microexp.simulate import Timeline, make_identity, render_clip

    n, apex = 16, 9
    frames, truth = render_clip(make_identity(0, seed=0), "surprise", nuisances="none",
                                timeline=Timeline(n, apex, residual=0.05), seed=3)
    video = tmp_path / "person.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 100.0, frames.shape[2:0:-1])
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    result = analyse_clip(video, model_dir, tmp_path / "report", cache_dir=tmp_path / "cache", echo=lambda s: None)
    report = _check_report(result.report_dir, frames=n)
    fr = report["frames"]
    assert fr["onset"] == 0 and fr["offset"] == n - 1 and fr["apex_source"] == "spotted"
    assert fr["fps"] == pytest.approx(100.0)
    assert abs(fr["apex"] - truth.apex_index) <= 2
    assert fr["onset_to_apex_ms"] == pytest.approx(10.0 * fr["apex"])
    assert report["motion"]["max_flow_px"] > 0.3  # a surprise moves brows by pixels


def test_spotting_window_scales_with_fps_and_clip_length():
    assert spotting_window(200, 300) == 9
    assert spotting_window(100, 300) % 2 == 1 and spotting_window(100, 300) < 9
    assert spotting_window(None, 10) == 3
    assert spotting_window(None, 2) == 1


def test_bad_inputs_give_clear_errors(model_dir, tmp_path):
    bad_video = tmp_path / "broken.mp4"
    bad_video.write_bytes(b"this is not a video")
    with pytest.raises(DataError, match="cannot open video"):
        analyse_clip(bad_video, model_dir, tmp_path / "r1", cache_dir=tmp_path / "cache", echo=lambda s: None)

    noise = tmp_path / "noise"
    noise.mkdir()
    rng = np.random.default_rng(0)
    import cv2

    for i in range(3):
        cv2.imwrite(str(noise / f"img{i}.png"), rng.integers(0, 255, (120, 100), dtype=np.uint8))
    with pytest.raises(FaceNotFoundError, match="no face found in the onset frame"):
        analyse_clip(noise, model_dir, tmp_path / "r2", echo=lambda s: None)
    with pytest.raises(DataError, match="apex 7 must lie"):
        analyse_clip(noise, model_dir, tmp_path / "r3", apex=7, echo=lambda s: None)
    faceless = tmp_path / "faceless.avi"  # a video's error names the video, not the frame cache
    writer = cv2.VideoWriter(str(faceless), cv2.VideoWriter_fourcc(*"MJPG"), 30, (100, 120))
    for _ in range(3):
        writer.write(rng.integers(0, 255, (120, 100, 3), dtype=np.uint8))
    writer.release()
    with pytest.raises(FaceNotFoundError, match="frame 0") as err:
        analyse_clip(faceless, model_dir, tmp_path / "r6", cache_dir=tmp_path / "cache", echo=lambda s: None)
    assert str(err.value).startswith(str(faceless)) and not (tmp_path / "r6").exists()

    empty_model = tmp_path / "not_a_model"
    empty_model.mkdir()
    with pytest.raises(DataError, match="model.json is missing"):
        analyse_clip(noise, empty_model, tmp_path / "r4", echo=lambda s: None)
    with pytest.raises(DataError, match="does not exist"):
        analyse_clip(tmp_path / "missing.mp4", model_dir, tmp_path / "r5", echo=lambda s: None)


def test_cli_turns_bad_input_into_exit_code_2(model_dir, tmp_path, monkeypatch, capsys):
    from microexp.cli.main import main

    monkeypatch.setattr(sys, "argv", ["microexp", "analyse", str(tmp_path / "nothing.avi"),
                                      "--model", str(model_dir), "--out", str(tmp_path / "r")])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert "nothing.avi" in capsys.readouterr().err


def test_html_report_escapes_text_and_refuses_missing_images(tmp_path):
    from microexp.report.html import HtmlReport

    page = HtmlReport("<clip & co>")
    page.section("scores").metrics_table({"full": {"uf1": 0.5, "uar": 0.25, "accuracy": 1.0},
                                          "samm": {"uf1": 0.1, "uar": 0.2, "accuracy": 0.3, "uf1_std": 0.01}})
    page.key_values({"name": "<b>", "n": 3}).images([("pic.png", "a picture")])
    text = page.render()
    assert "&lt;clip &amp; co&gt;" in text and "<b>" not in text
    assert text.index("full") < text.index("samm") and "0.1000 ± 0.0100" in text
    with pytest.raises(DataError, match="pic.png"):
        page.write(tmp_path / "index.html")
    (tmp_path / "pic.png").write_bytes(b"\x89PNG")
    assert page.write(tmp_path / "index.html").read_text() == text


def test_training_and_analyse_encode_a_clip_identically(model_dir, tmp_path):
    """Preprocessing for training and `analyse` call one onset→apex encoding: the same clip gives
    the same composite, flow and strain, bit for bit."""
    from microexp.io import atomic_write_image
    from microexp.pipeline.clip_features import compute_clip_features
    from microexp.simulate import Timeline, make_identity, render_clip

    n, apex = 12, 7
    frames, _ = render_clip(make_identity(1, seed=0), "happiness", nuisances="none",
                            timeline=Timeline(n, apex, residual=0.05), seed=5)
    folder = tmp_path / "frames"
    for i, f in enumerate(frames):
        atomic_write_image(folder / f"img{i + 1:03d}.png", f)  # lossless, so both paths read the same pixels
    trained = compute_clip_features(list(frames), apex, features=("flow",))
    analyse_clip(folder, model_dir, tmp_path / "report", apex=apex + 1, echo=lambda s: None)
    with np.load(tmp_path / "report" / "motion.npz") as analysed:
        assert np.array_equal(analysed["composite"], trained["flow_image"])
        assert np.array_equal(analysed["flow"], trained["flow"])
        assert np.array_equal(analysed["strain"], trained["strain"])
