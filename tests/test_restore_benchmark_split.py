"""The subject split of benchmarks/super_resolution.py on the real composite: disjoint, seeded, per database."""
from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def bench(load_benchmark):
    return load_benchmark("super_resolution")


@pytest.fixture
def pilot(load_benchmark):
    return load_benchmark("super_resolution_pilot")


@pytest.fixture(scope="module")
def fast_run(load_benchmark, megc2019_root, tmp_path_factory):
    """One smoke run of the benchmark, trained on the blur path only (``--median-prob 0``)."""
    out = tmp_path_factory.mktemp("sr_bench") / "sr"
    summary = load_benchmark("super_resolution").main(
        ["--root", str(megc2019_root), "--out", str(out), "--fast", "--threads", "1", "--median-prob", "0"])
    return out, summary


def test_subject_split_holds_out_whole_subjects_of_every_database(bench, megc2019_root):
    table = pd.read_csv(megc2019_root / bench.CSV_NAME)
    table["subject"] = table["dataset"].astype(str) + "/" + table["sub"].astype(str)
    test = bench.subject_split(table, 0.25, 0)
    assert set(table.loc[test, "subject"]).isdisjoint(table.loc[~test, "subject"])
    for dataset, rows in table.groupby("dataset"):
        n_subjects = rows["subject"].nunique()
        held = table.loc[test & (table["dataset"] == dataset), "subject"].nunique()
        assert held == max(1, round(0.25 * n_subjects))
    assert (bench.subject_split(table, 0.25, 0) == test).all()
    assert not (bench.subject_split(table, 0.25, 1) == test).all()


def test_composite_faces_load_at_128(bench, megc2019_root):
    faces, table = bench.load_composite_faces(megc2019_root)
    assert faces.shape == (len(table), 128, 128, 3) and faces.dtype.name == "uint8"


def test_fast_run_scores_both_degradation_paths(bench, fast_run):
    """A smoke run of the benchmark: every method is scored on the blur path (headline keys) and
    on the median-blur path, and the median blur really makes bicubic worse."""
    import json

    out, summary = fast_run
    for method in ("bicubic", "rrdb", "rrdb_se", "esrgan", "efficient", "efficient_se"):
        for suffix in ("", "_median", "_mixed"):
            assert 0.0 < summary[f"{method}_ssim{suffix}"] <= 1.0
            assert summary[f"{method}_psnr{suffix}"] > 10.0
            # the brow / eye / mouth regions hold more detail than the face at large: harder to restore
            assert summary[f"{method}_psnr_regions{suffix}"] < summary[f"{method}_psnr{suffix}"]
    assert summary["bicubic_psnr_median"] < summary["bicubic_psnr"] - 1.0
    # fixed iteration budgets, whatever the clock says
    assert summary["iterations"] == bench.FAST_EFFICIENT_CONFIG["pretrain_iters"]
    assert summary["pretrain_iterations"] == bench.FAST_CONFIG["pretrain_iters"]
    # a smoke run scores a few held-out faces of each database; training still leaves all of them out
    assert summary["n_scored_faces"] == 3 * bench.FAST_FACES_PER_DATABASE < summary["n_test_faces"]
    per_image = pd.read_csv(out / "per_image.csv")
    assert len(per_image) == summary["n_scored_faces"] and per_image["dataset"].value_counts().nunique() == 1
    split = json.loads((out / "split.json").read_text())
    assert split["n_train_faces"] + split["n_test_faces"] == 442 and split["n_scored_faces"] == summary["n_scored_faces"]
    assert summary["gan_iterations"] == bench.FAST_CONFIG["gan_iters"]
    assert summary["iterations_per_minute"] > 0
    assert summary["best_psnr_model"] == bench.PSNR_MODEL == "efficient"  # named in advance, not by its score
    assert summary["best_gain_db"] == pytest.approx(summary["efficient_psnr"] - summary["bicubic_psnr"], abs=1e-3)
    assert summary["efficient_gmacs_per_face"] > 0 and summary["rrdb_parameters"] > 0
    stored = json.loads((out / "metrics.json").read_text())
    assert set(stored["per_method"]) == {"blur", "median", "mixed"}
    assert (out / "grid_hr_lr_bicubic_psnr_gan.png").is_file()
    assert (out / "grid_hr_lr_bicubic_psnr_gan_median.png").is_file()
    assert (out / "efficient" / "generator_psnr.pt").is_file()


def test_pilot_scores_a_split_of_the_training_subjects(pilot, bench, megc2019_root, tmp_path):
    """The configuration pilot validates on part of the benchmark's training-subject faces."""
    summary = pilot.main(["--root", str(megc2019_root), "--out", str(tmp_path), "--minutes", "0.01",
                          "--nf", "4", "--gc", "4", "--nb", "1"])
    table = pd.read_csv(megc2019_root / bench.CSV_NAME)
    table["subject"] = table["dataset"].astype(str) + "/" + table["sub"].astype(str)
    n_train_subject_faces = int((~bench.subject_split(table, 0.25, 0)).sum())
    assert 0 < summary["n_val_faces"] < n_train_subject_faces
    assert summary["median_bicubic_psnr"] < summary["blur_bicubic_psnr"]
    assert summary["iterations"] >= 1


def test_training_degradation_can_be_the_blur_path_only(fast_run):
    """--median-prob 0 trains both generators on the blur path alone; the held-out faces are still
    scored on all paths."""
    import yaml

    out, summary = fast_run
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["sr"]["median_prob"] == 0.0 and config["efficient"]["median_prob"] == 0.0
    assert "rrdb_psnr_median" in summary and "rrdb_psnr" in summary and "efficient_psnr_mixed" in summary


def test_pilot_can_be_capped_in_iterations(pilot, megc2019_root, tmp_path):
    summary = pilot.main(["--root", str(megc2019_root), "--out", str(tmp_path), "--iters", "3", "--median-prob", "0",
                          "--nf", "4", "--gc", "4", "--nb", "1"])
    assert summary["iterations"] == 3


def test_pilot_rescores_a_finished_model_on_its_own_training_faces(pilot, megc2019_root, tmp_path):
    args = ["--root", str(megc2019_root), "--out", str(tmp_path), "--iters", "3", "--median-prob", "0",
            "--nf", "4", "--gc", "4", "--nb", "1"]
    from microexp.errors import DataError

    with pytest.raises(DataError, match="re-score"):
        pilot.main(args + ["--rescore"])
    first = pilot.main(args)
    again = pilot.main(args + ["--rescore", "--training-faces", "3"])
    assert again["iterations"] == 3 and again["blur_model_psnr"] == first["blur_model_psnr"]
    assert "training_faces_model_psnr" in again and (tmp_path / "pilot" / "metrics_rescored.json").is_file()
