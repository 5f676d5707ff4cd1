"""``microexp sr upscale|train|eval`` on tiny folders."""
from __future__ import annotations

import json

import numpy as np
import torch
from typer.testing import CliRunner

from microexp.cli.main import app
from microexp.errors import DataError
from microexp.io import atomic_write_image, read_image
from microexp.restore import SRConfig, build_generator, generator_bytes

torch.set_num_threads(1)
runner = CliRunner()


def _folder(path, n=2, size=8, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        atomic_write_image(path / f"face{i}.png", rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    return path


def test_upscale_a_folder_with_a_generator_and_bicubic(tmp_path):
    faces = _folder(tmp_path / "in")
    cfg = SRConfig(n_features=4, n_blocks=1, growth=4)
    model = tmp_path / "g.pt"
    model.write_bytes(generator_bytes(build_generator(cfg), cfg))
    for name in (str(model), "bicubic"):
        out = tmp_path / ("out_" + ("g" if name != "bicubic" else "bicubic"))
        result = runner.invoke(app, ["sr", "upscale", "--model", name, "--input", str(faces), "--out", str(out)])
        assert result.exit_code == 0, result.output
        files = sorted(p.name for p in out.iterdir())
        assert files == ["face0.png", "face1.png"]
        assert read_image(out / "face0.png").shape == (32, 32, 3)


def test_upscale_refuses_a_missing_folder(tmp_path):
    result = runner.invoke(app, ["sr", "upscale", "--model", "bicubic", "--input", str(tmp_path / "nope.txt"),
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert isinstance(result.exception, DataError) and "nope.txt" in str(result.exception)


def test_train_then_eval_on_a_tiny_folder(tmp_path):
    faces = _folder(tmp_path / "faces", n=2, size=40)
    config = tmp_path / "sr.yaml"
    config.write_text("n_features: 4\nn_blocks: 1\ngrowth: 4\nd_features: 4\npatch_lr: 4\nbatch_size: 2\n"
                      "lr_variants: 1\npretrain_iters: 2\ngan_iters: 1\niters_per_epoch: 2\n")
    run = tmp_path / "run"
    result = runner.invoke(app, ["sr", "train", "--faces", str(faces), "--out", str(run), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert (run / "generator_psnr.pt").is_file() and (run / "generator_gan.pt").is_file()
    assert (run / "config.yaml").is_file()
    result = runner.invoke(app, ["sr", "eval", "--model", str(run / "generator_psnr.pt"), "--faces", str(faces),
                                 "--out", str(tmp_path / "eval")])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["n"] == 2 and 0.0 < metrics["ssim"] <= 1.0 and metrics["psnr"] > 0.0


def test_upscale_the_frames_of_a_video(tmp_path):
    import cv2

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (16, 16))
    for i in range(3):
        writer.write(np.full((16, 16, 3), 40 * i, np.uint8))
    writer.release()
    out = tmp_path / "frames"
    result = runner.invoke(app, ["sr", "upscale", "--model", "bicubic", "--input", str(video), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["frame_00001.png", "frame_00002.png", "frame_00003.png"]
    assert read_image(out / "frame_00002.png").shape == (64, 64, 3)


def test_eval_options_for_the_degradation_path_and_self_ensemble(tmp_path):
    """--median-prob picks the degradation path (the median blur loses detail: bicubic scores
    lower), --self-ensemble is recorded, and a bad view count is a clean error."""
    faces = _folder(tmp_path / "faces", n=3, size=64)
    scores = {}
    for prob in ("0", "1"):
        out = tmp_path / f"eval{prob}"
        result = runner.invoke(app, ["sr", "eval", "--model", "bicubic", "--faces", str(faces), "--out", str(out),
                                     "--median-prob", prob])
        assert result.exit_code == 0, result.output
        scores[prob] = json.loads((out / "metrics.json").read_text())
    assert scores["1"]["psnr"] < scores["0"]["psnr"] and scores["0"]["median_prob"] == 0.0
    config = tmp_path / "sr.yaml"
    config.write_text("n_features: 4\nn_blocks: 1\ngrowth: 4\nd_features: 4\npatch_lr: 4\nbatch_size: 2\n"
                      "lr_variants: 1\npretrain_iters: 1\ngan_iters: 0\niters_per_epoch: 1\n")
    run = tmp_path / "run"
    assert runner.invoke(app, ["sr", "train", "--faces", str(faces), "--out", str(run), "--config", str(config)]).exit_code == 0
    result = runner.invoke(app, ["sr", "eval", "--model", str(run / "generator_psnr.pt"), "--faces", str(faces),
                                 "--out", str(tmp_path / "se"), "--self-ensemble", "8"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "se" / "metrics.json").read_text())["self_ensemble"] == 8
    result = runner.invoke(app, ["sr", "eval", "--model", str(run / "generator_psnr.pt"), "--faces", str(faces),
                                 "--out", str(tmp_path / "bad"), "--self-ensemble", "3"])
    assert result.exit_code != 0 and "self_ensemble" in (result.output + str(result.exception))


def test_train_the_efficient_generator_from_the_command_line(tmp_path):
    from microexp.restore import load_generator
    from microexp.restore.efficient import RLFNet

    faces = _folder(tmp_path / "faces", n=2, size=40)
    config = tmp_path / "sr.yaml"
    settings = ("arch: rlfn\nn_features: 4\nn_blocks: 1\nesa_channels: 4\npatch_lr: 4\nbatch_size: 2\n"
                "lr_variants: 1\npretrain_iters: 2\ngan_iters: 0\niters_per_epoch: 1\nema_decay: 0.9\n"
                "l2_fraction: 0.5\n")
    config.write_text(settings)
    run = tmp_path / "run"
    result = runner.invoke(app, ["sr", "train", "--faces", str(faces), "--out", str(run), "--config", str(config)])
    assert result.exit_code == 0, result.output
    gen, cfg = load_generator(run / "generator_psnr.pt")
    assert isinstance(gen, RLFNet) and cfg.ema_decay == 0.9
    history = json.loads((run / "history.json").read_text())
    assert ["l1" in h for h in history] == [True, False] and "l2" in history[1]
    # region weights need landmarks on every face: noise images are refused, naming the file
    config.write_text(settings + "region_weight: 1.0\n")
    result = runner.invoke(app, ["sr", "train", "--faces", str(faces), "--out", str(tmp_path / "run2"),
                                 "--config", str(config)])
    assert isinstance(result.exception, DataError) and "face0.png" in str(result.exception)
    assert not (tmp_path / "run2" / "checkpoint.pt").exists()
