"""Starting a recogniser from saved weights (simulator pre-training) and what a run records of them."""
import numpy as np
import pytest
import torch

from microexp.datasets.megc2019 import load_megc2019
from microexp.errors import ConfigError, DataError
from microexp.evaluation import EvaluationConfig, evaluate
from microexp.pipeline.sim_pretrain import SimPretrainConfig, pretrain_on_simulation
from microexp.training.classifier import TorchClassifier


def _flows(n=24, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(0.5, 0.1, size=(n, 3, 28, 28)).astype(np.float32)
    X[:, 0, :, :] += (y[:, None, None] - 1) * 0.2  # a class signal the network can learn
    return X, y, np.repeat(np.arange(n // 4), 4)


def _net(**kw):
    return TorchClassifier("ststnet", num_classes=3, seed=0, epochs=3, batch_size=8, lr=3e-3, **kw)


def test_init_weights_start_from_the_saved_network(tmp_path):
    X, y, g = _flows()
    first = _net().fit(X, y, g)
    path = first.save(tmp_path / "w.pt")
    # no epoch of its own: the started network is the saved one, so its predictions are identical
    started = _net(init_weights=str(path)).set_params(epochs=0).fit(X, y, g)
    assert np.allclose(started.predict_proba(X), first.predict_proba(X), atol=1e-6)
    fresh = _net().set_params(epochs=0).fit(X, y, g)
    assert not np.allclose(fresh.predict_proba(X), first.predict_proba(X), atol=1e-3)
    # a plain state dict is accepted too
    torch.save(first.models_[0].state_dict(), tmp_path / "sd.pt")
    plain = _net(init_weights=str(tmp_path / "sd.pt")).set_params(epochs=0).fit(X, y, g)
    assert np.allclose(plain.predict_proba(X), first.predict_proba(X), atol=1e-6)


def test_bad_initial_weights_are_refused_naming_the_file(tmp_path):
    X, y, g = _flows()
    other = TorchClassifier("ststnet", num_classes=4, seed=0, epochs=1, batch_size=8).fit(X, np.arange(24) % 4, g)
    wrong = other.save(tmp_path / "four_classes.pt")
    with pytest.raises(DataError, match="four_classes.pt.*do not fit|do not fit.*four_classes.pt"):
        _net(init_weights=str(wrong)).fit(X, y, g)
    (tmp_path / "text.pt").write_text("not weights")
    with pytest.raises(DataError, match="text.pt"):
        _net(init_weights=str(tmp_path / "text.pt")).fit(X, y, g)
    torch.save({"members": "code?"}, tmp_path / "odd.pt")
    with pytest.raises(DataError, match="odd.pt"):
        _net(init_weights=str(tmp_path / "odd.pt")).fit(X, y, g)
    with pytest.raises(DataError, match="missing"):
        _net(init_weights=str(tmp_path / "absent.pt")).fit(X, y, g)


def test_a_run_started_from_other_weights_is_not_resumed(composite_fixture, tmp_path):
    t = load_megc2019(composite_fixture)
    X, y, g = t.arrays("flow"), t.y, t.subjects
    w = tmp_path / "w.pt"
    _net().set_params(epochs=1).fit(X, y, g).save(w)
    cfg = EvaluationConfig(model="flow_ensemble", model_kwargs={"epochs": 1, "net_init": str(w), "threads": 1})
    evaluate(t, cfg, tmp_path / "run", jobs=1, progress=False)
    again = evaluate(t, cfg, tmp_path / "run", jobs=1, progress=False)
    assert again.folds_resumed == again.metrics["folds"]
    _net().set_params(epochs=2).fit(X, y, g).save(w)  # same path, other content
    with pytest.raises(ConfigError, match="other weights or flow files"):
        evaluate(t, cfg, tmp_path / "run", jobs=1, progress=False)


def test_a_run_trained_beside_other_flows_is_not_resumed(composite_fixture, tmp_path):
    from types import SimpleNamespace

    from microexp.datasets.flow_file import write_flow_file

    t = load_megc2019(composite_fixture)
    X, y = t.arrays("flow"), t.y
    flows = tmp_path / "flows.npz"
    write_flow_file(SimpleNamespace(arrays=lambda kind: X, y=y, classes=t.classes, subjects=t.subjects), flows)
    cfg = EvaluationConfig(model="flow_ensemble", model_kwargs={"epochs": 1, "net_extra_flows": str(flows), "threads": 1})
    evaluate(t, cfg, tmp_path / "run", jobs=1, progress=False)
    assert evaluate(t, cfg, tmp_path / "run", jobs=1, progress=False).folds_resumed > 0
    write_flow_file(SimpleNamespace(arrays=lambda kind: 1 - X, y=y, classes=t.classes, subjects=t.subjects), flows)
    with pytest.raises(ConfigError, match="other weights or flow files"):  # same path, other flows
        evaluate(t, cfg, tmp_path / "run", jobs=1, progress=False)


def test_sim_pretrain_config_refuses_bad_settings(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("subjects: 4\nheldout_subjects: 4\n")
    with pytest.raises(ConfigError, match="heldout_subjects"):
        SimPretrainConfig.load(p)
    p.write_text("subjects: 4\nlearning_rate: 0.1\n")
    with pytest.raises(ConfigError, match="learning_rate"):
        SimPretrainConfig.load(p)


@pytest.mark.slow
def test_pretrain_on_simulation_end_to_end(tmp_path):
    cfg = SimPretrainConfig(subjects=4, clips_per_subject=8, seed=3, face_size=48, flow_method="farneback",
                            epochs=2, heldout_subjects=1)
    summary = pretrain_on_simulation(tmp_path / "pre", cfg, jobs=1, echo=lambda s: None)
    assert summary["clips"] == sum(summary["class_counts"].values()) and summary["clips"] >= 20
    assert min(summary["class_counts"].values()) > 0
    assert summary["heldout_simulated"]["subjects"] == 1
    state = torch.load(summary["weights"], weights_only=True)
    assert len(state["members"]) == 1
    # a second call reuses the simulation; other settings in the same folder are refused
    again = pretrain_on_simulation(tmp_path / "pre", cfg, jobs=1, echo=lambda s: None)
    assert again["weights_sha256"] == summary["weights_sha256"]
    with pytest.raises(ConfigError, match="other settings"):
        pretrain_on_simulation(tmp_path / "pre", cfg.replace(seed=4), jobs=1, echo=lambda s: None)
    # centre=True: the same simulated flows, the network trained on them centred
    from microexp.datasets.flow_file import read_flow_file
    from microexp.datasets.megc2019 import load_megc2019
    from microexp.motion import centre_composites
    from microexp.pipeline.sim_pretrain import _classifier, held_out_scores
    from microexp.training.classifier import TorchClassifier

    centred = pretrain_on_simulation(tmp_path / "pre", cfg.replace(centre=True), jobs=1, echo=lambda s: None)
    assert centred["weights_sha256"] != summary["weights_sha256"] and centred["config"]["centre"] is True
    samples = load_megc2019(tmp_path / "pre" / "preprocessed" / "composite")
    flows, labels, classes, subjects = read_flow_file(tmp_path / "pre" / "flows.npz")  # written beside the weights
    np.testing.assert_array_equal(flows, samples.arrays("flow"))  # 8-bit images, so stored exactly
    assert (labels == samples.y).all() and classes == samples.classes and (subjects == samples.subjects).all()
    X = centre_composites(samples.arrays("flow"))
    by_hand = _classifier(cfg, cfg.seed).fit(X, samples.y, samples.subjects)
    net = TorchClassifier("ststnet", num_classes=3).load(centred["weights"])
    np.testing.assert_allclose(net.predict_proba(X), by_hand.predict_proba(X), atol=1e-6)
    scores = held_out_scores(net, samples, centre=True)  # scored on the flows it was trained to read
    assert scores["full"]["accuracy"] == pytest.approx(round(float((net.predict(X) == samples.y).mean()), 4))


def test_simulated_clip_names_stay_unique_beyond_one_take_per_video():
    from microexp.simulate.dataset import _clip_names

    for seed in range(20):
        names = _clip_names(np.random.default_rng([seed, 0xC1]), 60)
        stems = [n.rstrip("f") for n in names]
        assert len(set(stems)) == 60, seed


def _params(clf):
    return {k: v for k, v in clf.models_[0].state_dict().items() if "running" not in k and "num_batches" not in k}


def test_weight_averaging_is_the_mean_of_the_last_epochs_weights():
    X, y, g = _flows()
    runs = [_net().set_params(epochs=e).fit(X, y, g) for e in (1, 2, 3)]
    averaged = _net(swa_epochs=2).fit(X, y, g)  # mean of epochs 2 and 3
    for k, v in _params(averaged).items():
        if v.is_floating_point():
            expected = (_params(runs[1])[k] + _params(runs[2])[k]) / 2
            assert torch.allclose(v, expected, atol=1e-6), k
    assert any(not torch.allclose(v, _params(runs[2])[k]) for k, v in _params(averaged).items()
               if v.is_floating_point())
    # BatchNorm statistics are recomputed for the averaged weights, not inherited from the last epoch
    bn = [k for k in averaged.models_[0].state_dict() if k.endswith("running_mean")]
    assert bn and not torch.allclose(averaged.models_[0].state_dict()[bn[0]], runs[2].models_[0].state_dict()[bn[0]])
    last_only = _net(swa_epochs=1).fit(X, y, g)
    for k, v in _params(last_only).items():
        assert torch.equal(v, _params(runs[2])[k]), k
    with pytest.raises(ConfigError, match="swa_epochs"):
        _net(swa_epochs=4).fit(X, y, g)


def test_a_frozen_network_is_one_more_equal_vote_and_is_not_trained(tmp_path):
    from microexp.recognisers.ensemble import FlowEnsemble

    X, y, g = _flows()
    frozen = _net().fit(X, y, g)
    path = frozen.save(tmp_path / "sim.pt")
    before = torch.load(path, weights_only=True)["members"][0]
    plain = FlowEnsemble(epochs=1, batch_size=8, threads=1).fit(X, y, g)
    voted = FlowEnsemble(epochs=1, batch_size=8, threads=1, frozen_nets=[str(path)]).fit(X, y, g)
    expected = (2 * plain.predict_proba(X) + frozen.set_params(tta_flip=True).predict_proba(X)) / 3
    assert np.allclose(voted.predict_proba(X), expected, atol=1e-6)
    after = voted.frozen_nets_[0].models_[0].state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_frozen_networks_pooled_into_one_vote_of_the_given_weight(tmp_path):
    from microexp.recognisers.ensemble import FlowEnsemble

    X, y, g = _flows()
    nets = [_net().set_params(seed=s).fit(X, y, g) for s in (0, 1)]
    paths = [str(n.save(tmp_path / f"sim{i}.pt")) for i, n in enumerate(nets)]
    plain = FlowEnsemble(epochs=1, batch_size=8, threads=1).fit(X, y, g)
    sim = np.mean([n.set_params(tta_flip=True).predict_proba(X) for n in nets], axis=0)
    assert not np.allclose(nets[0].predict_proba(X), nets[1].predict_proba(X))
    for weight in (1.0, 0.5):
        pooled = FlowEnsemble(epochs=1, batch_size=8, threads=1, frozen_nets=paths, frozen_weight=weight).fit(X, y, g)
        assert np.allclose(pooled.predict_proba(X), (2 * plain.predict_proba(X) + weight * sim) / (2 + weight),
                           atol=1e-6)
    each = FlowEnsemble(epochs=1, batch_size=8, threads=1, frozen_nets=paths).fit(X, y, g)  # one vote per network
    assert np.allclose(each.predict_proba(X), (2 * plain.predict_proba(X) + 2 * sim) / 4, atol=1e-6)
    with pytest.raises(ConfigError, match="frozen_weight"):
        FlowEnsemble(epochs=1, batch_size=8, threads=1, frozen_nets=paths, frozen_weight=0).fit(X, y, g)


def test_an_ensemble_with_a_frozen_vote_survives_a_model_folder(tmp_path):
    from microexp.recognisers.ensemble import FlowEnsemble
    from microexp.recognisers.persistence import load_estimator, save_estimator

    X, y, g = _flows()
    path = _net().fit(X, y, g).save(tmp_path / "sim.pt")
    voted = FlowEnsemble(epochs=1, batch_size=8, threads=1, frozen_nets=[str(path)]).fit(X, y, g)
    record = save_estimator(voted, tmp_path / "folder")
    path.unlink()  # the folder holds the vote itself, not a reference to the file
    loaded = load_estimator(tmp_path / "folder", record)
    assert np.allclose(loaded.predict_proba(X), voted.predict_proba(X), atol=1e-6)


def test_the_packaged_simulator_network_is_best_s_third_vote():
    from microexp.recognisers import BEST_MODEL, create_estimator
    from microexp.recognisers.ensemble import SIM_NET_WEIGHTS

    state = torch.load(SIM_NET_WEIGHTS, weights_only=True)
    assert len(state["members"]) == 1 and state["mean"].shape == (1, 3, 1, 1)
    est = create_estimator("best", num_classes=3, seed=0, epochs=1, threads=1)
    assert BEST_MODEL == "flow_ensemble_standardised_net" and list(est.frozen_nets) == [str(SIM_NET_WEIGHTS)]
    # the trained network reads standardised flows; the SVM and the simulator's network the flows as they are
    assert list(est.standardise) == ["net"] and not list(est.centre)
    X, y, g = _flows()
    est.fit(X, y, g)
    assert len(est.frozen_nets_) == 1
    votes = est.frozen_nets_[0].predict_proba(X)
    assert np.allclose(votes.sum(axis=1), 1) and not np.allclose(votes, votes[0])
