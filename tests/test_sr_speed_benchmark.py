"""benchmarks/sr_speed.py: iterations per minute of both generators under each speed setting."""
from __future__ import annotations

import json

import numpy as np
import torch


def test_speed_benchmark_reports_every_setting(load_benchmark, tmp_path, capsys):
    speed = load_benchmark("sr_speed")
    summary = speed.main(["--fast", "--out", str(tmp_path)])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(line) == summary
    for model in ("rrdb", "efficient"):
        for setting in ("before", "after", "channels_last", "one_thread"):
            assert summary[f"{model}_{setting}_iterations_per_minute"] > 0
    stored = json.loads((tmp_path / "speed.json").read_text())
    assert stored["runs"]["efficient"]["after"]["batch"] == speed.FAST_EFFICIENT_CONFIG["batch_size"]


def test_the_former_loop_sampler_and_the_gather_sampler_cut_the_same_kind_of_patches(load_benchmark):
    """Both keep LR and HR aligned: the HR patch's every 4th pixel is the LR patch when LR = HR[::4, ::4]."""
    speed = load_benchmark("sr_speed")
    from microexp.restore.training import PatchSampler

    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    lr = hr[:, ::4, ::4][:, None]
    for make in (speed.LoopSampler, PatchSampler):
        lr_b, hr_b = make(hr, lr, 4, 4, np.random.default_rng(1)).sample(32)[:2]
        # under a flip the matching pixel is the other end of each 4×4 block; compare block sets
        blocks = hr_b.reshape(32, 3, 4, 4, 4, 4)
        hit = (blocks == lr_b[:, :, :, None, :, None]).any(dim=5).any(dim=3)
        assert bool(torch.all(hit))
