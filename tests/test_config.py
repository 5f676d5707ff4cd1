"""The one config model: every file in configs/ runs, a run's config.yaml reproduces it, bad files
are refused naming the file (and key or line), and a results folder never resumes on other data."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd
import pytest
import yaml

from cli_main import run_main
from conftest import REPO
from microexp.config import ConfigModel, read_yaml
from microexp.datasets.megc2019 import load_megc2019
from microexp.datasets.samples import SampleTable
from microexp.errors import ConfigError
from microexp.evaluation import EvaluationConfig, evaluate
from microexp.pipeline.sweep import SweepConfig

CONFIG_FILES = sorted((REPO / "configs").glob("*.yaml"))
SWEEP_FILES = sorted((REPO / "configs" / "sweeps").glob("*.yaml"))
LEVER_FILES = sorted((REPO / "configs" / "levers").glob("*.yaml"))
PRETRAIN_FILES = sorted((REPO / "configs" / "pretrain").glob("*.yaml"))
CROPNET_LEVER_FILES = sorted((REPO / "configs" / "cropnet_levers").glob("*.yaml"))
PAPER_WIDTH_FILES = sorted((REPO / "configs" / "paper_widths").glob("*.yaml"))


def _synthetic_table(kind: str, n_subjects: int = 6, per_subject: int = 6, seed: int = 0) -> SampleTable:
    """A small separable table offering ``kind`` arrays (for configs whose data is not the composite)."""
    rng = np.random.default_rng(seed)
    rows, arrays = [], []
    for s in range(n_subjects):
        for c in range(per_subject):
            y = c % 3
            if kind == "lbptop":
                a = rng.random(60)
                a[y * 20:(y + 1) * 20] += 1.5
            else:  # frames3: (H, W, 3) uint8 onset / middle / apex
                a = rng.integers(0, 120, size=(40, 40, 3), dtype=np.uint8)
                a[..., 2] += np.uint8(60 * y)
            arrays.append(a)
            rows.append({"dataset": "synthetic", "subject": f"s{s}", "clip": f"c{c}", "label": "abc"[y], "y": y,
                         "onset": None, "apex": None, "offset": None})
    stacked = np.stack(arrays)
    return SampleTable(pd.DataFrame(rows), ("a", "b", "c"), {kind: lambda row, i: stacked[i]}, name="synthetic")


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.stem)
def test_every_config_file_runs_with_its_fast_budget(path, composite_fixture, tmp_path):
    cfg = EvaluationConfig.load(path).with_fast_budget()
    kind = cfg.resolved().input_kind
    table = load_megc2019(composite_fixture) if kind in ("flow", "face") else _synthetic_table(kind)
    if cfg.protocol == "kfold":
        cfg = cfg.replace(protocol_kwargs={**cfg.protocol_kwargs, "k": 2})
    elif kind in ("flow", "face"):  # LOSO with SAMM's three subjects as test folds: quick, still leak-free
        cfg = cfg.replace(protocol_kwargs={**cfg.protocol_kwargs, "test_datasets": ["samm"]})
    res = evaluate(table, cfg, tmp_path / "run", jobs=1, progress=False)
    assert res.folds_computed == res.metrics["folds"] > 1
    assert len(res.predictions) == sum(len(f) for f in res.predictions.groupby("fold").groups.values()) > 0
    if cfg.protocol == "loso":
        assert res.predictions["subject"].nunique() == res.metrics["folds"]
    stored = EvaluationConfig.load(tmp_path / "run" / "config.yaml")  # the written config reads back
    assert stored.model == cfg.resolved().model and stored.trainer == cfg.trainer


@pytest.mark.parametrize("path", SWEEP_FILES, ids=lambda p: p.stem)
def test_every_sweep_file_reads(path):
    cfg = SweepConfig.load(path)
    assert cfg.grid and all(isinstance(v, list) and v for v in cfg.grid.values())


@pytest.mark.parametrize("path", LEVER_FILES, ids=lambda p: p.stem)
def test_every_lever_is_best_s_predecessor_with_one_thing_changed(path):
    lever = EvaluationConfig.load(path)
    base = EvaluationConfig.load(REPO / "configs" / "flow_ensemble_megc2019.yaml")
    sim_vote = EvaluationConfig.load(REPO / "configs" / "levers" / "sim_vote.yaml")
    if path.stem != "sim_vote" and lever.model_kwargs.get("frozen_nets") == sim_vote.model_kwargs["frozen_nets"]:
        base = sim_vote  # a lever on the best that sim_vote became
    if "frozen" in (lever.model_kwargs.get("centre") or []):  # a lever on the best that centre_both became:
        base = EvaluationConfig.load(REPO / "configs" / "levers" / "centre_both.yaml")  # its simulator vote swapped
        changed = {k for k in {*lever.model_kwargs, *base.model_kwargs}
                   if lever.model_kwargs.get(k) != base.model_kwargs.get(k)}
        assert changed == {"frozen_nets", "centre"} and set(lever.model_kwargs["centre"]) == {"net", "svm", "frozen"}
        return
    if lever.model_kwargs.get("members") == 0:  # a lever on centre_net's best: its trained network swapped
        base = EvaluationConfig.load(REPO / "configs" / "levers" / "centre_net.yaml")
        changed = {k for k in {*lever.model_kwargs, *base.model_kwargs}
                   if lever.model_kwargs.get(k) != base.model_kwargs.get(k)}
        assert changed == {"members", "extra_nets", "centre"}, changed
        assert len(lever.model_kwargs["extra_nets"]) == 1 and lever.model_kwargs["centre"] == ["extra"]
        return
    if lever.model == "flow_ensemble_centred_net":  # a lever on that registered best: its network's reading changed
        base = EvaluationConfig.load(REPO / "configs" / "flow_ensemble_centred_net_megc2019.yaml")
        changed = {k for k in {*lever.model_kwargs, *base.model_kwargs}
                   if lever.model_kwargs.get(k) != base.model_kwargs.get(k)}
        assert changed == {"centre", "standardise"}, changed
        assert lever.model_kwargs["centre"] == [] and lever.model_kwargs["standardise"] == ["net"]
        return
    if lever.model_kwargs.get("centre") == ["net"] and path.stem != "centre_net":  # a lever on centre_net's best
        base = EvaluationConfig.load(REPO / "configs" / "levers" / "centre_net.yaml")
        changed = {k for k in {*lever.model_kwargs, *base.model_kwargs}
                   if lever.model_kwargs.get(k) != base.model_kwargs.get(k)}
        assert len(changed) == 1 and changed <= {"extra_nets", "frozen_nets", "net_extra_flows"}, changed
        return
    assert lever.model == base.model and lever.protocol == base.protocol
    changed = {k for k in {*lever.model_kwargs, *base.model_kwargs} if lever.model_kwargs.get(k) != base.model_kwargs.get(k)}
    assert changed and changed <= {"epochs", "swa_epochs", "net_init", "frozen_nets", "frozen_weight", "augment",
                                   "mixup_alpha", "probe_nets", "centre"}, changed
    if base is sim_vote:
        assert len(changed) == 1, changed


@pytest.mark.parametrize("path", CROPNET_LEVER_FILES, ids=lambda p: p.stem)
def test_every_cropnet_setting_is_cropnet_with_only_its_start_or_its_reading_changed(path):
    from microexp.pipeline.sim_pretrain import SimPretrainConfig

    setting = EvaluationConfig.load(path)
    base = EvaluationConfig.load(REPO / "configs" / "cropnet_megc2019.yaml")
    assert setting.model == base.model == "cropnet" and setting.model_kwargs == base.model_kwargs
    changed = {k for k in {*setting.trainer, *base.trainer} if setting.trainer.get(k) != base.trainer.get(k)}
    if changed == {"flow_view"}:  # the input's reading, the one other change a setting may make
        assert setting.trainer["flow_view"] == "centred"
        return
    assert changed == {"init_weights"}, changed
    # the weights it starts from come from a pre-training of the same network at the same size
    pre = SimPretrainConfig.load(REPO / "configs" / "pretrain" / "sim_pretrain_cropnet.yaml")
    assert setting.trainer["init_weights"].endswith(f"/{pre.net}_sim.pt")
    assert pre.net == setting.model and pre.net_kwargs == setting.model_kwargs


@pytest.mark.parametrize("path", PAPER_WIDTH_FILES, ids=lambda p: p.stem)
def test_every_paper_width_setting_is_its_committed_config_at_full_width(path):
    setting = EvaluationConfig.load(path)
    base = EvaluationConfig.load(REPO / "configs" / f"{setting.model}_megc2019.yaml")
    assert path.stem == f"{setting.model}_paper_width" and base.model_kwargs["width"] < 1
    assert setting.model_kwargs == {**base.model_kwargs, "width": 1.0}
    assert setting.trainer == base.trainer and setting.protocol == base.protocol == "loso"


@pytest.mark.parametrize("path", PRETRAIN_FILES, ids=lambda p: p.stem)
def test_every_pretraining_file_reads(path):
    from microexp.pipeline.sim_pretrain import SimPretrainConfig

    cfg = SimPretrainConfig.load(path)
    assert cfg.subjects > cfg.heldout_subjects >= 1 and cfg.epochs >= 1


def test_a_runs_config_yaml_reproduces_it(composite_fixture, tmp_path, capsys):
    first, again = tmp_path / "first", tmp_path / "again"
    code, out = run_main(["evaluate", "--config", REPO / "configs" / "svm_megc2019.yaml", "--root", composite_fixture,
                          "--out", first, "--jobs", "1", "--quiet"], capsys)
    assert code == 0, out
    saved = yaml.safe_load((first / "config.yaml").read_text())
    assert saved["root"] == str(composite_fixture) and saved["seed"] == 0 and saved["fingerprint"]
    code, out = run_main(["evaluate", "--config", first / "config.yaml", "--out", again, "--jobs", "1", "--quiet"],
                         capsys)
    assert code == 0, out
    assert yaml.safe_load((again / "config.yaml").read_text())["fingerprint"] == saved["fingerprint"]
    m1, m2 = (json.loads((d / "metrics.json").read_text())["full"] for d in (first, again))
    assert m1 == m2
    p1, p2 = (pd.read_csv(d / "predictions.csv") for d in (first, again))
    assert p1["y_pred"].tolist() == p2["y_pred"].tolist()


def test_unknown_key_names_the_file_and_key(tmp_path, capsys, composite_fixture):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: svm\nepochs: 3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown key 'epochs'"):
        EvaluationConfig.load(bad)
    code, out = run_main(["evaluate", "--config", bad, "--root", composite_fixture, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "bad.yaml" in out and "'epochs'" in out
    assert not (tmp_path / "o" / "config.yaml").exists()


@pytest.mark.parametrize("text, expected", [
    ("model: svm\nseed: [0\n", r"bad\.yaml, line \d+: malformed YAML"),
    ("model: svm\nseed: zero\n", r"key 'seed': expected an integer"),
    ("- svm\n", r"must be a mapping"),
    ("model: svm\ntrainer: 3\n", r"key 'trainer': expected a mapping"),
])
def test_malformed_configs_name_the_file(tmp_path, text, expected):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        EvaluationConfig.load(bad)


def test_an_unsafe_yaml_tag_is_refused_and_runs_nothing(tmp_path, capsys, composite_fixture):
    marker = tmp_path / "marker"
    bad = tmp_path / "evil.yaml"
    bad.write_text(f"model: svm\nseed: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError, match=r"evil\.yaml, line 2: unsupported YAML tag"):
        read_yaml(bad)
    code, out = run_main(["evaluate", "--config", bad, "--root", composite_fixture, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "evil.yaml" in out
    assert not marker.exists()


def test_config_model_types_and_defaults():
    @dataclass
    class Job(ConfigModel):
        epochs: int = 3
        lr: float = 0.1
        name: Optional[str] = None
        sizes: list = field(default_factory=list)

    job = Job.from_dict({"epochs": 5, "lr": 1})  # an integer is a valid number
    assert job == Job(epochs=5, lr=1.0) and isinstance(job.lr, float)
    with pytest.raises(ConfigError, match="key 'epochs': expected an integer, got 2.5"):
        Job.from_dict({"epochs": 2.5}, source="job.yaml")
    with pytest.raises(ConfigError, match="key 'epochs': expected an integer"):
        Job.from_dict({"epochs": True})
    assert Job.from_dict(job.to_dict()) == job


def test_changed_data_is_never_resumed(composite_fixture, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["evaluate", "--root", composite_fixture, "--model", "svm", "--out", out, "--jobs", "1", "--quiet"]
    code, text = run_main(args, capsys)
    assert code == 0, text
    before = json.loads((out / "metrics.json").read_text())["full"]["uf1"]
    rng = np.random.default_rng(1)
    import cv2

    for png in sorted((composite_fixture / "datasets" / "STSNet_whole_norm_u_v_os").glob("*.png")):
        cv2.imwrite(str(png), rng.integers(0, 255, size=(28, 28, 3), dtype=np.uint8))
    code, text = run_main(args, capsys)
    assert code == 2 and "other input data" in text and "--overwrite" in text
    assert json.loads((out / "metrics.json").read_text())["full"]["uf1"] == before  # untouched
    code, text = run_main([*args, "--overwrite"], capsys)
    assert code == 0, text
    after = json.loads((out / "metrics.json").read_text())
    assert after["folds_resumed"] == 0 and after["full"]["uf1"] < before


def test_a_failed_start_leaves_nothing_that_blocks(composite_fixture, tmp_path, capsys):
    out = tmp_path / "run"
    base = ["evaluate", "--root", composite_fixture, "--model", "svm", "--out", out, "--jobs", "1", "--quiet"]
    code, text = run_main([*base, "--backend", "bogus"], capsys)
    assert code == 2 and "bogus" in text
    assert not (out / "config.yaml").exists()
    code, text = run_main(base, capsys)
    assert code == 0, text and (out / "metrics.json").is_file()


@pytest.mark.parametrize("make_out", ["file", "under_file"])
def test_an_unusable_out_is_a_clear_error(composite_fixture, tmp_path, capsys, make_out):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    out = blocker if make_out == "file" else blocker / "sub"
    code, text = run_main(["evaluate", "--root", composite_fixture, "--model", "svm", "--out", out, "--quiet"], capsys)
    assert code == 2 and str(out) in text and "Traceback" not in text
    assert blocker.read_text() == "x"


def test_version(capsys):
    from microexp import __version__

    code, text = run_main(["--version"], capsys)
    assert code == 0 and text.strip() == __version__


@pytest.mark.parametrize("command", [
    ["simulate", "--subjects", "2"],
    ["spot", "--dataset", "casme2", "--root", "nowhere"],
    ["preprocess", "--dataset", "casme2", "--root", "nowhere"],
    ["analyse", "clip.mp4", "--model", "nowhere"],
    ["demo", "--fast"],
])
def test_every_command_refuses_an_out_that_is_a_file(tmp_path, capsys, command):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code, text = run_main([*command, "--out", blocker], capsys)
    assert code == 2 and str(blocker) in text and "not a folder" in text, text
    assert blocker.read_text() == "x"
