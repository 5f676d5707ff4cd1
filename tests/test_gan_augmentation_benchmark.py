"""benchmarks/gan_augmentation.py end to end on a small generated composite."""
from __future__ import annotations

import yaml


def test_fast_run_writes_both_arms_with_the_augmenter_described(composite_fixture, tmp_path, load_benchmark):
    bench = load_benchmark("gan_augmentation")
    out = tmp_path / "run"
    summary = bench.main(["--root", str(composite_fixture), "--epochs", "1", "--gan-epochs", "1", "--per-class", "2",
                          "--gan-width", "8", "--subjects", "4", "--check-folds", "1", "--out", str(out),
                          "--cache-dir", str(tmp_path / "cache")])
    assert summary["folds"] == 4
    for arm in ("uf1_real", "uf1_aug", "uar_real", "uar_aug"):
        assert 0.0 <= summary[arm] <= 1.0
    real = yaml.safe_load((out / "real" / "config.yaml").read_text())
    aug = yaml.safe_load((out / "aug" / "config.yaml").read_text())
    assert "augmenter" not in real["trainer"]
    assert aug["trainer"]["augmenter"]["flow_gan"]["generator_width"] == 8
    assert real["fingerprint"] != aug["fingerprint"]
    assert (out / "samples_fold0.png").is_file()
