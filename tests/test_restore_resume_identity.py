"""Resuming super-resolution training only from a checkpoint of the same data, settings and version."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from microexp.cli.main import app
from microexp.errors import ConfigError, DataError
from microexp.io import atomic_write_image
from microexp.restore import SRConfig, train_super_resolution
from microexp.restore import training as training_module
from microexp.restore.training import arrays_digest
from test_restore_training import TINY, _faces

torch.set_num_threads(1)
runner = CliRunner()



def _paused(tmp_path, **kw):
    hr, lr = _faces()
    train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, max_minutes=0.0, log=lambda m: None, **kw)
    assert (tmp_path / "checkpoint.pt").is_file()
    return hr, lr


def test_the_checkpoint_records_its_inputs_and_loads_with_weights_only(tmp_path):
    hr, lr = _paused(tmp_path)
    ck = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ck["identity"]["data"] == arrays_digest(hr, lr)
    assert ck["identity"]["microexp"] == training_module.package_version()


def test_resume_refuses_changed_training_data(tmp_path):
    hr, lr = _paused(tmp_path)
    other = hr.copy()
    other[0, 0, 0, 0] ^= 1  # one pixel of one face
    with pytest.raises(ConfigError, match="training data changed") as err:
        train_super_resolution(other, lr, SRConfig(**TINY), tmp_path, log=lambda m: None)
    assert "checkpoint.pt" in str(err.value) and "--out" in str(err.value)
    with pytest.raises(ConfigError, match="training data changed"):
        train_super_resolution(hr, lr[:, :, ::-1].copy(), SRConfig(**TINY), tmp_path, log=lambda m: None)
    # the unchanged data resumes
    messages = []
    done = train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, log=messages.append)
    assert done["finished"] and any("resumed" in m for m in messages)


def test_resume_compares_a_given_data_digest(tmp_path):
    hr, lr = _paused(tmp_path, data_digest="a" * 64)
    with pytest.raises(ConfigError, match="training data changed"):
        train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, data_digest="b" * 64, log=lambda m: None)
    messages = []
    train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, data_digest="a" * 64, log=messages.append)
    assert any("resumed" in m for m in messages)


def test_resume_refuses_another_microexp_version(tmp_path, monkeypatch):
    hr, lr = _paused(tmp_path)
    monkeypatch.setattr(training_module, "package_version", lambda: "999.0")
    with pytest.raises(ConfigError, match="999.0"):
        train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, log=lambda m: None)
    # resume=False starts over instead
    fresh = train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, resume=False, log=lambda m: None)
    assert fresh["finished"]


def test_resume_refuses_a_checkpoint_without_a_record_of_its_data(tmp_path):
    hr, lr = _paused(tmp_path)
    ck = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    del ck["identity"]
    torch.save(ck, tmp_path / "checkpoint.pt")
    with pytest.raises(ConfigError, match="does not record which data"):
        train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, log=lambda m: None)


class _MakesMarker:
    """Unpickling this object creates the folder ``marker``: the stand-in for code in a pickle."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_a_checkpoint_with_a_pickle_payload_is_refused_and_never_run(tmp_path):
    hr, lr = _faces()
    marker = tmp_path / "ran"
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"config": SRConfig(**TINY).to_dict(), "history": _MakesMarker(marker)}, run / "checkpoint.pt")
    with pytest.raises(DataError, match="checkpoint.pt"):
        train_super_resolution(hr, lr, SRConfig(**TINY), run, log=lambda m: None)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"garbage"])
def test_a_checkpoint_that_is_not_one_is_a_data_error(tmp_path, content):
    hr, lr = _faces()
    (tmp_path / "checkpoint.pt").write_bytes(content)
    with pytest.raises(DataError, match="checkpoint.pt"):
        train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, log=lambda m: None)
    torch.save({"config": SRConfig(**TINY).to_dict()}, tmp_path / "checkpoint.pt")
    with pytest.raises(DataError, match="not a microexp super-resolution checkpoint"):
        train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, log=lambda m: None)


def test_cli_train_refuses_to_resume_on_changed_images(tmp_path):
    faces = tmp_path / "faces"
    rng = np.random.default_rng(0)
    for i in range(2):
        atomic_write_image(faces / f"face{i}.png", rng.integers(0, 256, (40, 40, 3), dtype=np.uint8))
    config = tmp_path / "sr.yaml"
    config.write_text("n_features: 4\nn_blocks: 1\ngrowth: 4\nd_features: 4\npatch_lr: 4\nbatch_size: 2\n"
                      "lr_variants: 1\npretrain_iters: 2\ngan_iters: 1\niters_per_epoch: 2\n")
    run = tmp_path / "run"
    args = ["sr", "train", "--faces", str(faces), "--out", str(run), "--config", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (run / "inputs.json").is_file() and (run / "config.yaml").is_file()
    result = runner.invoke(app, args)  # unchanged images: resumes the finished run
    assert result.exit_code == 0 and "resumed" in result.output
    atomic_write_image(faces / "face1.png", rng.integers(0, 256, (40, 40, 3), dtype=np.uint8))
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    message = str(result.exception)
    assert "checkpoint.pt" in message and "training data changed" in message and "--out" in message
    result = runner.invoke(app, args + ["--fresh"])
    assert result.exit_code == 0, result.output
