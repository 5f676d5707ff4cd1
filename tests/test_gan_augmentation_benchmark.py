"""benchmarks/gan_augmentation.py end to end on a small generated composite."""
from __future__ import annotations

import numpy as np
import pytest
import yaml


def test_fast_run_pairs_both_recognisers_over_seeds_with_one_gan_per_fold(composite_fixture, tmp_path, load_benchmark):
    bench = load_benchmark("gan_augmentation")
    out, cache = tmp_path / "run", tmp_path / "cache"
    summary = bench.main(["--root", str(composite_fixture), "--epochs", "1", "--gan-epochs", "1", "--per-class", "2",
                          "--gan-width", "8", "--subjects", "4", "--check-folds", "2", "--seeds", "1,2",
                          "--bootstrap", "50", "--out", str(out), "--cache-dir", str(cache)])
    assert summary["folds"] == 4 and summary["seeds"] == [1, 2]
    # one GAN per fold, shared by both recognisers and both seeds
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 4
    real = yaml.safe_load((out / "ststnet" / "seed1" / "real" / "config.yaml").read_text())
    aug = yaml.safe_load((out / "ststnet" / "seed2" / "aug" / "config.yaml").read_text())
    assert "augmenter" not in real["trainer"] and real["seed"] == 1
    gan = aug["trainer"]["augmenter"]["flow_gan"]
    assert gan["generator_width"] == 8 and gan["pin_seed"] and gan["discriminator"] == "projection"
    ens = yaml.safe_load((out / "flow_ensemble" / "seed1" / "aug" / "config.yaml").read_text())
    assert ens["model_kwargs"]["augmenter"]["flow_gan"]["aux_weight"] == 1.0
    for name in ("ststnet", "flow_ensemble"):
        row = summary["recognisers"][name]
        assert len(row["uf1_real_seeds"]) == len(row["uf1_aug_seeds"]) == 2
        assert row["uf1_real"] == pytest.approx(np.mean(row["uf1_real_seeds"]), abs=1e-4)
        paired = row["aug_minus_real"]
        assert paired["seeds"] == 2 and paired["subjects"] == 4
        assert paired["uf1_difference"] == pytest.approx(row["uf1_aug"] - row["uf1_real"], abs=2e-4)
    assert summary["uf1_real"] == summary["recognisers"]["ststnet"]["uf1_real"]
    assert set(summary["fidelity"]) == set(summary["diversity"]) == {"negative", "positive", "surprise"}
    assert summary["fidelity_mean"] == pytest.approx(np.mean(list(summary["fidelity"].values())), abs=1e-3)
    assert {"overall", "real_halves", "per_class"} <= set(summary["distance"])
    assert (out / "samples_per_class.png").is_file()
