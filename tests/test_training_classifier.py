"""The shared trainer: determinism, no access to the test subject, early stopping, augmenter, checkpoints."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from microexp.errors import ConfigError
from microexp.training.classifier import TorchClassifier

torch.set_num_threads(1)

FAST = dict(epochs=3, batch_size=16, lr=3e-3, threads=1)


def toy_flow(n_subjects: int = 6, per_subject: int = 6, seed: int = 0):
    """Flow-like (N, 3, 28, 28) arrays in [0, 1] whose class shows as a bright patch."""
    rng = np.random.default_rng(seed)
    n = n_subjects * per_subject
    y = np.tile(np.arange(3), n // 3 + 1)[:n]
    X = rng.random((n, 3, 28, 28)).astype(np.float32) * 0.5
    for c in range(3):
        X[y == c, c, 4 + 6 * c:10 + 6 * c, 4:10] += 0.5
    groups = np.repeat([f"s{i}" for i in range(n_subjects)], per_subject)
    return X, y, groups


def fold_predictions(make, X, y, groups, test_subject, *, peek: bool = False):
    """One leave-one-subject-out fold; ``peek=True`` is a deliberately leaking trainer."""
    te = groups == test_subject
    if peek:
        est = make().fit(X, y, groups)  # trains on the test subject too, labels included
    else:
        est = make().fit(X[~te], y[~te], groups[~te])
    return est.predict_proba(X[te])


def test_same_seed_same_predictions():
    X, y, g = toy_flow()
    p1 = TorchClassifier("ststnet", num_classes=3, seed=3, **FAST).fit(X, y, g).predict_proba(X)
    p2 = TorchClassifier("ststnet", num_classes=3, seed=3, **FAST).fit(X, y, g).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert np.allclose(p1.sum(1), 1.0)


def test_test_labels_never_reach_the_trainer():
    X, y, g = toy_flow()
    shuffled = y.copy()
    te = g == "s0"
    shuffled[te] = np.roll(y[te], 1)
    assert (shuffled[te] != y[te]).any()
    make = lambda: TorchClassifier("ststnet", num_classes=3, seed=0, **FAST)  # noqa: E731
    honest = fold_predictions(make, X, y, g, "s0")
    honest_shuffled = fold_predictions(make, X, shuffled, g, "s0")
    np.testing.assert_array_equal(honest, honest_shuffled)
    # the same check catches a trainer that peeks at the test subject
    peeking = fold_predictions(make, X, y, g, "s0", peek=True)
    peeking_shuffled = fold_predictions(make, X, shuffled, g, "s0", peek=True)
    assert not np.allclose(peeking, peeking_shuffled)


def test_early_stopping_validates_on_training_subjects_only():
    X, y, g = toy_flow(n_subjects=8)
    te = g == "s7"
    est = TorchClassifier("ststnet", num_classes=3, seed=1, early_stopping={"val_subjects_fraction": 0.25, "patience": 2},
                          **{**FAST, "epochs": 6}).fit(X[~te], y[~te], g[~te])
    assert est.validation_subjects_, "no validation subjects were drawn"
    assert set(est.validation_subjects_) <= set(g[~te])
    assert "s7" not in est.validation_subjects_
    assert 1 <= est.best_epochs_[0] <= 6


class RecordingAugmenter:
    """Stands in for a generative augmenter: returns noisy copies and remembers what it saw."""

    def fit_generate(self, X_train, y_train, groups, seed):
        self.seen = (len(X_train), set(np.asarray(groups).tolist()), seed)
        rng = np.random.default_rng(seed)
        return np.clip(X_train[:6] + 0.01 * rng.standard_normal(X_train[:6].shape), 0, 1).astype(np.float32), y_train[:6]


def test_augmenter_sees_the_training_fold_only():
    X, y, g = toy_flow()
    te = g == "s2"
    aug = RecordingAugmenter()
    est = TorchClassifier("ststnet", num_classes=3, seed=0, augmenter=aug, **FAST).fit(X[~te], y[~te], g[~te])
    n_seen, groups_seen, _ = aug.seen
    assert n_seen == (~te).sum() and "s2" not in groups_seen
    assert est.n_synthetic_ == 6


def test_checkpoint_round_trip(tmp_path):
    X, y, g = toy_flow()
    path = tmp_path / "fold" / "model.pt"
    est = TorchClassifier("ststnet", num_classes=3, seed=0, checkpoint_path=str(path), members=2, **FAST).fit(X, y, g)
    assert path.is_file() and not list(path.parent.glob("*.tmp"))
    restored = TorchClassifier("ststnet", num_classes=3, seed=0, members=2, **FAST).load(path)
    np.testing.assert_allclose(est.predict_proba(X), restored.predict_proba(X), atol=1e-6)


def test_face_uint8_input_arcface_and_tta():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 255, (12, 24, 24, 3), dtype=np.uint8)
    y = np.arange(12) % 3
    est = TorchClassifier("resnet_abn_arcface", num_classes=3, loss="arcface", tta_flip=True,
                          model_kwargs={"input_size": 24, "width": 0.125}, epochs=1, batch_size=6, threads=1)
    p = est.fit(X, y, np.arange(12) % 4).predict_proba(X)
    assert p.shape == (12, 3) and np.allclose(p.sum(1), 1)


def test_arcface_needs_an_arcface_model():
    X, y, g = toy_flow()
    with pytest.raises(ConfigError):
        TorchClassifier("ststnet", num_classes=3, loss="arcface", **FAST).fit(X, y, g)


def test_trainer_learns_the_toy_problem():
    X, y, g = toy_flow(n_subjects=6, per_subject=9)
    te = g == "s0"
    est = TorchClassifier("ststnet", num_classes=3, seed=0, epochs=25, batch_size=16, lr=1e-2, mixup_alpha=0.2,
                          threads=1).fit(X[~te], y[~te], g[~te])
    assert (est.predict(X[te]) == y[te]).mean() >= 2 / 3


def test_flow_ensemble_is_the_best_alias_and_fits():
    from microexp.recognisers import BEST_MODEL, create_estimator

    X, y, g = toy_flow()
    te = g == "s1"
    est = create_estimator(BEST_MODEL, num_classes=3, seed=0, members=2, epochs=2, threads=1)
    p = est.fit(X[~te], y[~te], g[~te]).predict_proba(X[te])
    assert p.shape == (te.sum(), 3) and np.allclose(p.sum(1), 1)
    assert set(est.predict(X[te])) <= {0, 1, 2}


def test_flow_ensemble_hands_its_augmentation_to_the_network():
    from microexp.recognisers import create_estimator

    X, y, g = toy_flow()
    fitted = {kind: create_estimator("flow_ensemble", num_classes=3, seed=0, epochs=2, threads=1, svm_weight=0.0,
                                     augment=kind).fit(X, y, g) for kind in ("auto", "flow_shift")}
    assert fitted["flow_shift"].nets_.augment == "flow_shift"
    assert not np.allclose(fitted["auto"].predict_proba(X), fitted["flow_shift"].predict_proba(X))


def test_a_probe_vote_reads_a_saved_network_s_features(tmp_path):
    from microexp.recognisers import create_estimator
    from microexp.recognisers.persistence import load_estimator, save_estimator

    X, y, g = toy_flow()
    weights = TorchClassifier("ststnet", num_classes=3, seed=1, epochs=3, threads=1).fit(X, y, g).save(tmp_path / "n.pt")
    net = TorchClassifier("ststnet", num_classes=3).load(weights)
    feats = net.embed(X)
    assert feats.shape == (len(X), 400)  # STSTNet's 16 pooled 5×5 maps, what its FC layer reads
    with torch.no_grad():  # the features are exactly what the last layer reads in the forward pass
        logits = net.models_[0](net._normalise(torch.as_tensor(X))).numpy()
        assert np.allclose(net.models_[0].fc(torch.as_tensor(feats)).numpy(), logits, atol=1e-5)
    te = g == "s1"
    kwargs = dict(num_classes=3, seed=0, epochs=2, threads=1)
    plain = create_estimator("flow_ensemble", **kwargs).fit(X[~te], y[~te], g[~te])
    probed = create_estimator("flow_ensemble", probe_nets=(str(weights),), **kwargs).fit(X[~te], y[~te], g[~te])
    assert len(probed.probes_) == 1 and not plain.probes_
    probe_net, probe_svm = probed.probes_[0]
    assert probe_svm.n_features_in_ == 400
    # three equal votes: the ensemble is the mean of the two-vote ensemble (weight 2) and the probe
    probe = probed._svm_proba(probe_svm, probe_net.embed(X[te]))
    assert np.allclose(probed.predict_proba(X[te]), (2 * plain.predict_proba(X[te]) + probe) / 3, atol=1e-6)
    record = save_estimator(probed, tmp_path / "folder")
    again = load_estimator(tmp_path / "folder", record)
    assert np.allclose(again.predict_proba(X[te]), probed.predict_proba(X[te]))


def test_large_faces_are_shrunk_once_to_the_model_input_size():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 255, (9, 40, 40, 3), dtype=np.uint8)
    y = np.arange(9) % 3
    est = TorchClassifier("smallcnn", num_classes=3, model_kwargs={"input_size": 16, "width": 0.25}, epochs=1,
                          batch_size=9, threads=1).fit(X, y, np.arange(9))
    assert est.input_size_ == 16 and est.mean_.shape == (1, 3, 1, 1)
    assert est.predict_proba(X).shape == (9, 3)


def test_augmenter_from_a_config_mapping_is_built_and_used(monkeypatch):
    """A trainer YAML names the GAN augmenter as {"flow_gan": {...}}; fit builds it and calls it on training data."""
    import numpy as np

    from microexp.augment.cgan import augmenter as aug_mod
    from microexp.training.classifier import TorchClassifier

    seen = {}

    def fake_fit_generate(self, X, y, groups, seed):
        seen["n"], seen["per_class"] = len(X), self.per_class
        return X[:3].copy(), y[:3].copy()

    monkeypatch.setattr(aug_mod.FlowGANAugmenter, "fit_generate", fake_fit_generate)
    rng = np.random.default_rng(0)
    X = rng.random((12, 3, 28, 28)).astype(np.float32)
    y = np.arange(12) % 3
    est = TorchClassifier("ststnet", num_classes=3, seed=0, epochs=1, threads=1,
                          augmenter={"flow_gan": {"per_class": 7, "epochs": 1}})
    est.fit(X, y, groups=np.repeat(np.arange(6), 2))
    assert seen == {"n": 12, "per_class": 7}
    assert est.predict(X).shape == (12,)


def test_centred_votes_read_centred_flows_and_saved_networks_read_them_as_they_are(tmp_path):
    from microexp.motion import centre_composites
    from microexp.recognisers import create_estimator

    X, y, g = toy_flow()
    X[: len(X) // 2, :2] += 0.3  # zero motion at different levels, as the min-max scaling leaves it
    te = g == "s1"
    weights = TorchClassifier("ststnet", num_classes=3, seed=1, epochs=2, threads=1).fit(X, y, g).save(tmp_path / "n.pt")
    kwargs = dict(num_classes=3, seed=0, epochs=2, threads=1)
    centred = create_estimator("flow_ensemble", centre=["net", "svm"], frozen_nets=(str(weights),), **kwargs)
    centred.fit(X[~te], y[~te], g[~te])
    # the trained network and the SVM are exactly those of an ensemble fitted on centred flows ...
    plain = create_estimator("flow_ensemble", **kwargs).fit(centre_composites(X[~te]), y[~te], g[~te])
    frozen = TorchClassifier("ststnet", num_classes=3, tta_flip=True).load(weights)
    # ... while the saved network votes on the flows as given
    expected = (2 * plain.predict_proba(centre_composites(X[te])) + frozen.predict_proba(X[te])) / 3
    np.testing.assert_allclose(centred.predict_proba(X[te]), expected, atol=1e-6)
    # "frozen": a saved network trained on centred flows is shown centred flows
    all_centred = create_estimator("flow_ensemble", centre=["net", "svm", "frozen"], frozen_nets=(str(weights),),
                                   **kwargs).fit(X[~te], y[~te], g[~te])
    on_centred = create_estimator("flow_ensemble", frozen_nets=(str(weights),), **kwargs)
    on_centred.fit(centre_composites(X[~te]), y[~te], g[~te])
    np.testing.assert_allclose(all_centred.predict_proba(X[te]), on_centred.predict_proba(centre_composites(X[te])),
                               atol=1e-6)
    svm_only = create_estimator("flow_ensemble", centre=["svm"], **kwargs).fit(X[~te], y[~te], g[~te])
    as_given = create_estimator("flow_ensemble", **kwargs).fit(X[~te], y[~te], g[~te])
    np.testing.assert_allclose(svm_only.nets_.predict_proba(X[te]), as_given.nets_.predict_proba(X[te]), atol=1e-6)
    assert not np.allclose(svm_only.predict_proba(X[te]), as_given.predict_proba(X[te]))
    from microexp.recognisers.persistence import load_estimator, save_estimator

    record = save_estimator(centred, tmp_path / "folder")  # a model folder keeps which votes are centred
    again = load_estimator(tmp_path / "folder", record)
    assert list(again.centre) == ["net", "svm"]
    np.testing.assert_allclose(again.predict_proba(X[te]), centred.predict_proba(X[te]), atol=1e-6)
    for bad in ("svm", ["svm", "probe"]):
        with pytest.raises(ConfigError, match="centre must list"):
            create_estimator("flow_ensemble", centre=bad, **kwargs).fit(X, y, g)


def test_flow_view_trains_and_predicts_on_the_named_reading_of_the_flows(tmp_path):
    from microexp.motion import centre_composites, standardise_composites
    from microexp.recognisers.persistence import load_estimator, save_estimator

    X, y, g = toy_flow()
    X[: len(X) // 2, :2] += 0.3
    te = g == "s1"
    kwargs = dict(num_classes=3, seed=0, epochs=2, threads=1, tta_flip=True)
    for view, transform in (("centred", centre_composites), ("standardised", standardise_composites)):
        viewing = TorchClassifier("ststnet", flow_view=view, **kwargs).fit(X[~te], y[~te], g[~te])
        on_view = TorchClassifier("ststnet", **kwargs).fit(transform(X[~te]), y[~te], g[~te])
        np.testing.assert_allclose(viewing.predict_proba(X[te]), on_view.predict_proba(transform(X[te])), atol=1e-6)
        np.testing.assert_allclose(viewing.embed(X[te]), on_view.embed(transform(X[te])), atol=1e-5)
        assert not np.allclose(viewing.predict_proba(X[te]), on_view.predict_proba(X[te]), atol=1e-3)
    again = load_estimator(tmp_path / "folder", save_estimator(viewing, tmp_path / "folder"))
    assert again.flow_view == "standardised"  # a model folder keeps how its network reads flows
    np.testing.assert_allclose(again.predict_proba(X[te]), viewing.predict_proba(X[te]), atol=1e-6)
    with pytest.raises(ConfigError, match="unknown flow_view"):
        TorchClassifier("ststnet", flow_view="centered", **kwargs).fit(X, y, g)
    faces = np.zeros((6, 32, 32, 3), np.uint8)
    with pytest.raises(ConfigError, match="reads flows"):
        TorchClassifier("smallcnn", flow_view="centred", **kwargs).fit(faces, np.arange(6) % 3)


def test_standardised_votes_read_standardised_flows_and_a_vote_reads_one_view():
    from microexp.motion import standardise_composites
    from microexp.recognisers import create_estimator

    X, y, g = toy_flow()
    X[: len(X) // 2, :2] += 0.3
    te = g == "s1"
    kwargs = dict(num_classes=3, seed=0, epochs=2, threads=1)
    std_net = create_estimator("flow_ensemble", standardise=["net"], **kwargs).fit(X[~te], y[~te], g[~te])
    on_std = create_estimator("flow_ensemble", **kwargs).fit(standardise_composites(X[~te]), y[~te], g[~te])
    as_given = create_estimator("flow_ensemble", **kwargs).fit(X[~te], y[~te], g[~te])
    # the network is exactly one trained on standardised flows; the SVM is the one on the flows as given
    np.testing.assert_allclose(std_net.nets_.predict_proba(standardise_composites(X[te])),
                               on_std.nets_.predict_proba(standardise_composites(X[te])), atol=1e-6)
    np.testing.assert_allclose(std_net.predict_proba(X[te]),
                               (on_std.nets_.predict_proba(standardise_composites(X[te]))
                                + as_given._svm_proba(as_given.svm_, X[te].reshape(int(te.sum()), -1))) / 2, atol=1e-6)
    assert not np.allclose(std_net.predict_proba(X[te]), as_given.predict_proba(X[te]), atol=1e-3)
    with pytest.raises(ConfigError, match="both centre and standardise"):
        create_estimator("flow_ensemble", centre=["net"], standardise=["net", "svm"], **kwargs).fit(X, y, g)
    with pytest.raises(ConfigError, match="standardise must list"):
        create_estimator("flow_ensemble", standardise="net", **kwargs).fit(X, y, g)


def test_extra_network_reads_its_own_view_so_one_network_can_vote_on_each_reading(monkeypatch):
    from microexp.motion import centre_composites
    from microexp.recognisers import create_estimator
    from microexp.recognisers import ensemble as ens

    monkeypatch.setitem(ens.NET_BUDGETS, "ststnet", {"epochs": 2, "lr": 3e-3, "model_kwargs": {}})
    X, y, g = toy_flow()
    X[: len(X) // 2, :2] += 0.3
    te = g == "s1"
    kwargs = dict(num_classes=3, seed=0, epochs=2, threads=1, svm_weight=0.0)
    two_views = create_estimator("flow_ensemble", extra_nets=("ststnet",), centre=["net"], **kwargs)
    two_views.fit(X[~te], y[~te], g[~te])
    raw_only = create_estimator("flow_ensemble", **kwargs).fit(X[~te], y[~te], g[~te])
    centred_only = create_estimator("flow_ensemble", centre=["net"], **kwargs).fit(X[~te], y[~te], g[~te])
    # the main network learnt the centred flows, the extra one the flows as scaled: two different votes
    np.testing.assert_allclose(two_views.extra_nets_[0].predict_proba(X[te]), raw_only.predict_proba(X[te]), atol=1e-6)
    expected = (centred_only.predict_proba(X[te]) + raw_only.predict_proba(X[te])) / 2
    np.testing.assert_allclose(two_views.predict_proba(X[te]), expected, atol=1e-6)
    assert not np.allclose(centred_only.predict_proba(X[te]), raw_only.predict_proba(X[te]), atol=1e-3)
    # "extra" in centre: the extra network reads centred flows too
    both = create_estimator("flow_ensemble", extra_nets=("ststnet",), centre=["net", "extra"], **kwargs)
    both.fit(X[~te], y[~te], g[~te])
    np.testing.assert_allclose(both.extra_nets_[0].predict_proba(centre_composites(X[te])),
                               centred_only.nets_.predict_proba(centre_composites(X[te])), atol=1e-6)
    np.testing.assert_allclose(both.predict_proba(X[te]), centred_only.predict_proba(X[te]), atol=1e-6)
    assert not np.allclose(both.extra_nets_[0].predict_proba(centre_composites(X[te])),
                           two_views.extra_nets_[0].predict_proba(centre_composites(X[te])), atol=1e-3)


def test_members_zero_puts_another_architecture_in_the_trained_network_s_place(monkeypatch):
    """``offapex_net``'s shape: no STSTNet is trained, an Off-ApexNet on centred flows is the one trained
    vote, and the pixel SVM still votes beside it."""
    from microexp.motion import centre_composites
    from microexp.recognisers import create_estimator
    from microexp.recognisers import ensemble as ens

    monkeypatch.setitem(ens.NET_BUDGETS, "offapexnet", {"epochs": 2, "lr": 1e-3, "model_kwargs": {"fc_units": 16}})
    X, y, g = toy_flow()
    X[: len(X) // 2, :2] += 0.3
    te = g == "s1"
    kwargs = dict(num_classes=3, seed=0, epochs=2, threads=1)
    swapped = create_estimator("flow_ensemble", members=0, extra_nets=("offapexnet",), centre=["extra"], **kwargs)
    swapped.fit(X[~te], y[~te], g[~te])
    assert swapped.nets_ is None and swapped.extra_nets_[0].model_name == "offapexnet"
    net_vote = swapped.extra_nets_[0].predict_proba(centre_composites(X[te]))
    svm_vote = swapped._svm_proba(swapped.svm_, X[te].reshape(int(te.sum()), -1))
    np.testing.assert_allclose(swapped.predict_proba(X[te]), (net_vote + svm_vote) / 2, atol=1e-6)
    assert not np.allclose(swapped.predict_proba(X[te]), svm_vote, atol=1e-3)


def test_the_pixel_svm_votes_alike_on_a_flow_and_its_mirror_so_needs_no_test_time_flip():
    """Trained on every flow and its mirror (u → 1 − u, left ↔ right), with a kernel and a scaling that
    the mirror leaves unchanged, the SVM's vote is already symmetric; a broken mirror breaks this."""
    from microexp.recognisers import create_estimator
    from microexp.training.augment import flip_flow_horizontally
    from microexp.training.classifier import as_image_tensor

    X, y, g = toy_flow()
    X[:, 0, :, :14] += 0.2  # flows that are not their own mirror
    te = g == "s1"
    mirror = flip_flow_horizontally(as_image_tensor(X[te])).numpy()
    assert not np.allclose(mirror, X[te])
    kwargs = dict(num_classes=3, seed=0, members=0, threads=1)
    svm = create_estimator("flow_ensemble", **kwargs).fit(X[~te], y[~te], g[~te])
    np.testing.assert_allclose(svm.predict_proba(X[te]), svm.predict_proba(mirror), atol=1e-4)  # solver tolerance
    one_sided = create_estimator("flow_ensemble", svm_flip_augment=False, **kwargs).fit(X[~te], y[~te], g[~te])
    assert not np.allclose(one_sided.predict_proba(X[te]), one_sided.predict_proba(mirror), atol=1e-3)


def test_extra_flows_join_only_the_trained_network_s_set_drawn_as_many_as_the_fold(monkeypatch, tmp_path):
    """``sim_mix``'s shape: a flow file's flows (as many as the training fold has, drawn by the seed,
    centred with the fold's) join the trained network's training set; the pixel SVM never sees them."""
    from types import SimpleNamespace

    from microexp.datasets.flow_file import write_flow_file
    from microexp.motion import centre_composites
    from microexp.recognisers import create_estimator
    from microexp.training.classifier import TorchClassifier

    X, y, g = toy_flow()
    te = g == "s1"
    rng = np.random.default_rng(5)
    n_extra = int((~te).sum()) + 7  # more than the fold has: only as many as it has are drawn
    Xe = np.round(rng.random((n_extra, 3, 28, 28)) * 255).astype(np.float32) / 255
    ye = rng.integers(0, 3, n_extra)
    path = write_flow_file(SimpleNamespace(arrays=lambda kind: Xe, y=ye, classes=("a", "b", "c"),
                                           subjects=np.full(n_extra, "sim")), tmp_path / "flows.npz")
    seen = {}
    fit = TorchClassifier.fit

    def spy(self, Xt, yt, groups=None, aux=None):
        seen["X"], seen["y"], seen["groups"] = np.asarray(Xt), np.asarray(yt), np.asarray(groups)
        return fit(self, Xt, yt, groups, aux)

    monkeypatch.setattr(TorchClassifier, "fit", spy)
    kwargs = dict(num_classes=3, seed=0, epochs=1, threads=1, centre=["net"])
    mixed = create_estimator("flow_ensemble", net_extra_flows=str(path), **kwargs).fit(X[~te], y[~te], g[~te])
    n = int((~te).sum())
    assert mixed.n_extra_flows_ == n and len(seen["y"]) == 2 * n
    assert (seen["groups"][n:] == "extra flows").all() and set(seen["groups"][:n]) == set(g[~te])
    drawn = seen["X"][n:]
    rows = [int(np.flatnonzero(np.all(np.isclose(centre_composites(Xe), d, atol=1e-6), axis=(1, 2, 3)))[0])
            for d in drawn]
    assert len(set(rows)) == n and (seen["y"][n:] == ye[rows]).all()  # without replacement, labels kept
    np.testing.assert_allclose(seen["X"][:n], centre_composites(X[~te]), atol=1e-6)
    plain = create_estimator("flow_ensemble", **kwargs).fit(X[~te], y[~te], g[~te])
    assert plain.n_extra_flows_ == 0
    np.testing.assert_allclose(mixed.svm_.decision_function(X[te].reshape(int(te.sum()), -1)),
                               plain.svm_.decision_function(X[te].reshape(int(te.sum()), -1)), atol=1e-8)
    other_seed = create_estimator("flow_ensemble", net_extra_flows=str(path), **{**kwargs, "seed": 1})
    other_seed.fit(X[~te], y[~te], g[~te])
    assert not np.allclose(seen["X"][n:], drawn)  # another seed draws other flows


def test_a_bad_extra_flow_file_is_refused_naming_it(tmp_path):
    from microexp.errors import DataError
    from microexp.recognisers import create_estimator

    X, y, g = toy_flow()
    bad = tmp_path / "flows.npz"
    np.savez(bad, flows=np.zeros((3, 3, 28, 28), np.uint8), labels=np.array([0, 1, 5]),
             classes=np.array(["a", "b", "c"]), subjects=np.array(["s"] * 3))
    est = create_estimator("flow_ensemble", num_classes=3, seed=0, epochs=1, threads=1, net_extra_flows=str(bad))
    with pytest.raises(DataError, match="flows.npz.*class indices"):
        est.fit(X, y, g)
    np.savez(bad, flows=np.array([object()], dtype=object))
    with pytest.raises(DataError, match="flows.npz"):
        est.fit(X, y, g)
    with pytest.raises(ConfigError, match="members is 0"):
        create_estimator("flow_ensemble", num_classes=3, seed=0, members=0, net_extra_flows=str(bad)).fit(X, y, g)
