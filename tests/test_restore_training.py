"""Two-phase training: checkpoints, resume, sample grids, the VGG19 perceptual loss."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from microexp.errors import ConfigError, DataError
from microexp.restore import SRConfig, load_generator, train_super_resolution
from microexp.restore.perceptual import CONV5_4, PerceptualLoss, load_vgg19_features, vgg19_features

torch.set_num_threads(1)

TINY = dict(n_features=4, n_blocks=1, growth=4, d_features=4, patch_lr=4, batch_size=2, lr_variants=1,
            pretrain_iters=4, gan_iters=2, iters_per_epoch=2, pretrain_lr=1e-3)


def _faces(n=3, size=32, seed=0):
    rng = np.random.default_rng(seed)
    hr = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    lr = hr.reshape(n, size // 4, 4, size // 4, 4, 3).mean(axis=(2, 4)).round().astype(np.uint8)[:, None]
    return hr, lr


def _weights(path):
    gen, _ = load_generator(path)
    return {k: v.clone() for k, v in gen.state_dict().items()}


def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    hr, lr = _faces()
    cfg = SRConfig(**TINY)
    straight = train_super_resolution(hr, lr, cfg, tmp_path / "a", log=lambda m: None)
    assert straight["finished"]
    paused = train_super_resolution(hr, lr, cfg, tmp_path / "b", max_minutes=0.0, log=lambda m: None)
    assert not paused["finished"] and paused["iteration"] == 2
    assert (tmp_path / "b" / "checkpoint.pt").is_file()
    assert not (tmp_path / "b" / "generator_psnr.pt").exists()
    messages = []
    resumed = train_super_resolution(hr, lr, cfg, tmp_path / "b", log=messages.append)
    assert resumed["finished"] and any("resumed" in m for m in messages)
    for name in ("generator_psnr.pt", "generator_gan.pt"):
        a, b = _weights(tmp_path / "a" / name), _weights(tmp_path / "b" / name)
        assert all(torch.equal(a[k], b[k]) for k in a)
    history = resumed["history"]
    assert [h["phase"] for h in history] == ["pretrain", "pretrain", "gan"]
    assert {"l1", "perceptual", "g_adv", "d"} <= set(history[-1])
    samples = sorted(p.name for p in (tmp_path / "b" / "samples").iterdir())
    assert samples == ["gan_epoch001.png", "pretrain_epoch001.png", "pretrain_epoch002.png"]


def test_resume_refuses_a_checkpoint_of_other_settings(tmp_path):
    hr, lr = _faces()
    cfg = SRConfig(**TINY)  # median_prob None: the degradation's default, 0.5
    train_super_resolution(hr, lr, cfg, tmp_path, max_minutes=0.0, log=lambda m: None)
    with pytest.raises(ConfigError, match=r"median_prob: 0\.5 there, 0\.0 now") as err:
        train_super_resolution(hr, lr, SRConfig(**TINY, median_prob=0.0), tmp_path, log=lambda m: None)
    assert "checkpoint.pt" in str(err.value)
    assert json.loads((tmp_path / "config.json").read_text())["median_prob"] is None  # left as it was
    with pytest.raises(ConfigError, match="pretrain_lr"):
        train_super_resolution(hr, lr, SRConfig(**{**TINY, "pretrain_lr": 1e-4}), tmp_path, log=lambda m: None)
    # the default spelled out is the same run: it resumes
    messages = []
    done = train_super_resolution(hr, lr, SRConfig(**TINY, median_prob=0.5), tmp_path, log=messages.append)
    assert done["finished"] and any("resumed" in m for m in messages)


def test_gan_phase_changes_the_psnr_model(tmp_path):
    hr, lr = _faces()
    train_super_resolution(hr, lr, SRConfig(**TINY), tmp_path, log=lambda m: None)
    a, b = _weights(tmp_path / "generator_psnr.pt"), _weights(tmp_path / "generator_gan.pt")
    assert any(not torch.equal(a[k], b[k]) for k in a)


def _vgg_file(path, last_layer, extra=None):
    net = vgg19_features(last_layer)
    state = {f"features.{k}": v for k, v in net.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)  # ignored, as in a full torchvision file
    state.update(extra or {})
    torch.save(state, path)
    return net


def test_vgg19_layout_matches_torchvision_indices():
    convs = [i for i, m in enumerate(vgg19_features(CONV5_4)) if isinstance(m, torch.nn.Conv2d)]
    assert convs == [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]


def test_vgg19_weights_load_from_a_created_file(tmp_path):
    path = tmp_path / "vgg19.pth"
    source = _vgg_file(path, last_layer=5)
    loaded = load_vgg19_features(path, last_layer=5)
    for k, v in source.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)
    assert not any(p.requires_grad for p in loaded.parameters())
    loss = PerceptualLoss(path, last_layer=5)
    x = torch.rand(1, 3, 16, 16)
    assert loss(x, x).item() == 0.0
    assert loss(x, torch.rand(1, 3, 16, 16)).item() > 0.0


def test_vgg19_bad_files_name_the_file(tmp_path):
    partial = tmp_path / "partial.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, partial)
    with pytest.raises(DataError, match="partial.pth"):
        load_vgg19_features(partial, last_layer=2)
    pickled = tmp_path / "code.pth"
    pickled.write_bytes(pickle.dumps(DataError("not weights")))  # arbitrary objects are refused
    with pytest.raises(DataError, match="code.pth"):
        load_vgg19_features(pickled, last_layer=2)
    with pytest.raises(DataError, match="missing"):
        load_vgg19_features(tmp_path / "absent.pth")


def test_training_with_the_perceptual_loss(tmp_path):
    path = tmp_path / "vgg19.pth"
    _vgg_file(path, last_layer=2)
    hr, lr = _faces()
    cfg = SRConfig(**{**TINY, "pretrain_iters": 2, "gan_iters": 2})
    result = train_super_resolution(hr, lr, cfg, tmp_path / "run", perceptual=PerceptualLoss(path, last_layer=2),
                                    log=lambda m: None)
    assert result["finished"]
    assert result["history"][-1]["perceptual"] > 0.0
