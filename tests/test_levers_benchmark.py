"""benchmarks/sim_pretrain.py and benchmarks/levers.py end to end on small data."""
from __future__ import annotations

import numpy as np
import pytest
import yaml


def _write(path, **cfg):
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.slow
def test_pretrain_then_levers_pair_each_lever_with_the_baseline(composite_fixture, tmp_path, load_benchmark):
    pre_cfg = _write(tmp_path / "pre.yaml", subjects=4, clips_per_subject=8, seed=5, face_size=48,
                     flow_method="farneback", epochs=2, heldout_subjects=1)
    pre = load_benchmark("sim_pretrain").main(["--root", str(composite_fixture), "--config", str(pre_cfg),
                                               "--jobs", "1", "--out", str(tmp_path / "pre")])
    weights = pre["pretrain"]["weights"]
    from microexp.datasets.megc2019 import load_megc2019

    assert {"full", "casme2", "samm", "smic"} <= set(pre["zero_shot"])
    assert np.sum(pre["zero_shot"]["confusion"]) == len(load_megc2019(composite_fixture))  # every real sample
    assert pre["pretrain"]["heldout_simulated"]["subjects"] == 1 and pre["pretrain"]["clips"] >= 20
    from microexp.datasets.flow_file import read_flow_file

    flows = tmp_path / "pre" / "flows.npz"  # written beside the weights; --flows-only writes it again
    written = read_flow_file(flows)
    flows.unlink()
    exported = load_benchmark("sim_pretrain").main(["--out", str(tmp_path / "pre"), "--flows-only"])
    for a, b in zip(read_flow_file(flows), written):
        np.testing.assert_array_equal(a, b)
    assert exported["clips"] == pre["pretrain"]["clips"] == len(written[1])
    assert exported["class_counts"] == pre["pretrain"]["class_counts"]

    kwargs = {"members": 1, "epochs": 1, "svm_weight": 1.0, "threads": 1}
    base = _write(tmp_path / "base.yaml", model="flow_ensemble", input_kind="flow", model_kwargs=kwargs)
    levers = tmp_path / "levers"
    levers.mkdir()
    _write(levers / "simpre.yaml", model="flow_ensemble", input_kind="flow", model_kwargs={**kwargs, "net_init": weights})
    _write(levers / "swa.yaml", model="flow_ensemble", input_kind="flow",
           model_kwargs={**kwargs, "epochs": 2, "swa_epochs": 2})
    out = tmp_path / "levers_run"
    summary = load_benchmark("levers").main(["--root", str(composite_fixture), "--baseline", str(base),
                                            "--levers", "simpre,swa", "--levers-dir", str(levers), "--seeds", "1,2",
                                            "--bootstrap", "50", "--jobs", "1", "--out", str(out)])
    assert set(summary["arms"]) == {"baseline", "simpre", "swa"}
    run = yaml.safe_load((out / "simpre" / "seed2" / "config.yaml").read_text())
    assert run["seed"] == 2 and run["model_kwargs"]["net_init"] == weights
    assert "weights" in run["identity"] and "weights" not in yaml.safe_load(
        (out / "baseline" / "seed2" / "config.yaml").read_text())["identity"]
    for name in ("simpre", "swa"):
        arm, base_arm = summary["arms"][name], summary["arms"]["baseline"]
        assert len(arm["uf1_seeds"]) == 2 and arm["uf1"] == pytest.approx(np.mean(arm["uf1_seeds"]), abs=1e-4)
        diff = arm["minus_baseline"]
        assert diff["seeds"] == 2 and diff["subjects"] == 9
        assert diff["uf1_difference"] == pytest.approx(arm["uf1"] - base_arm["uf1"], abs=2e-4)
