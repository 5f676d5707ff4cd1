"""The class-faithful options of the flow GAN: projection discriminator, auxiliary class loss,
generator EMA, pinned seeds, the Fréchet distance of flows, and GAN flows in the flow ensemble."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from microexp.augment.cgan import (FlowGANAugmenter, GANConfig, ProjectionDiscriminator, class_fidelity,
                                   frechet_distance, train_flow_gan)
from microexp.errors import ConfigError

from test_cgan_conditioning import easy_problem

torch.set_num_threads(1)


def test_projection_discriminator_scores_and_classes():
    d = ProjectionDiscriminator(num_classes=3, channels=3, width=8)
    flows = torch.randn(5, 3, 12, 12)
    score, logits = d.score_and_class(flows, torch.tensor([0, 1, 2, 0, 1]))
    assert score.shape == (5,) and logits.shape == (5, 3)
    d.eval()
    # the label enters by projection: another label, another score; the class head ignores it
    s0, c0 = d.score_and_class(flows[:2], torch.tensor([0, 0]))
    s2, c2 = d.score_and_class(flows[:2], torch.tensor([2, 2]))
    assert not torch.allclose(s0, s2)
    assert torch.allclose(c0, c2)
    # spectral normalisation is on every weighted layer
    names = [n for n, _ in d.named_parameters()]
    assert sum("parametrizations" in n for n in names) == 5


@pytest.mark.parametrize("bad", [dict(aux_weight=1.0), dict(discriminator="other"), dict(ema_decay=1.0),
                                 dict(aux_weight=-1.0, discriminator="projection"), dict(epochs=-1)])
def test_bad_gan_settings_are_refused(bad):
    X, y = easy_problem(n_per_class=4, size=12)
    with pytest.raises(ConfigError):
        train_flow_gan(X, y, 3, GANConfig(**bad))
    with pytest.raises(ConfigError):
        GANConfig.from_dict(bad)


def test_auxiliary_class_loss_makes_class_faithful_flows():
    X, y = easy_problem()
    cfg = GANConfig(epochs=15, discriminator="projection", aux_weight=1.0, ema_decay=0.9,
                    generator_width=16, discriminator_width=8, latent_dim=16)
    gan = train_flow_gan(X, y, 3, cfg, seed=0)
    labels = np.repeat([0, 1, 2], 30)
    syn = gan.sample(labels, seed=1)
    from sklearn.linear_model import LogisticRegression

    fid = class_fidelity(X, y, syn, labels, classifier=LogisticRegression(max_iter=200))
    assert min(fid["recall_per_class"].values()) > 0.6, fid  # chance 1/3 for every class
    assert len(gan.history) == 15 and all(np.isfinite(h["d_loss"]) for h in gan.history)


def test_ema_generator_differs_from_the_last_weights():
    X, y = easy_problem(n_per_class=10, size=12)
    kw = dict(epochs=3, discriminator="projection", generator_width=8, discriminator_width=8, latent_dim=8)
    plain = train_flow_gan(X, y, 3, GANConfig(**kw), seed=0)
    averaged = train_flow_gan(X, y, 3, GANConfig(**kw, ema_decay=0.5), seed=0)
    labels = np.array([0, 1, 2])
    assert not np.allclose(plain.sample(labels, seed=3), averaged.sample(labels, seed=3))


def test_pinned_seed_shares_one_gan_between_callers(tmp_path):
    X, y = easy_problem(n_per_class=6, size=12)
    kw = dict(per_class=3, epochs=1, generator_width=8, discriminator_width=8, latent_dim=8, cache_dir=tmp_path)
    pinned = FlowGANAugmenter(seed=7, pin_seed=True, **kw)
    a = pinned.fit_generate(X, y, None, seed=1)
    b = pinned.fit_generate(X, y, None, seed=2)
    assert pinned.last_cache_hit and np.array_equal(a[0], b[0])
    assert len(list(tmp_path.iterdir())) == 1
    free = FlowGANAugmenter(seed=7, **kw)
    free.fit_generate(X, y, None, seed=2)
    assert not free.last_cache_hit and len(list(tmp_path.iterdir())) == 2


def test_frechet_distance_grows_with_the_shift_and_has_a_real_scale():
    rng = np.random.default_rng(0)
    basis = rng.normal(0, 1, (4, 3 * 6 * 6))

    def draw(n, mean):  # flows on a 4-dimensional subspace plus a little noise
        return (rng.normal(mean, 1, (n, 4)) @ basis + rng.normal(0, 0.05, (n, 108))).reshape(n, 3, 6, 6)

    X = draw(120, 0.0)
    y = np.arange(120) % 3
    groups = np.repeat(np.arange(12), 10)
    same = frechet_distance(X, y, draw(120, 0.0), y, groups, components=8)
    shifted = frechet_distance(X, y, draw(120, 1.0), y, groups, components=8)
    assert shifted["overall"] > 5 * same["overall"]
    # a distribution is at distance ~0 from itself
    assert frechet_distance(X, y, X, y, groups, components=8)["overall"] == pytest.approx(0, abs=1e-6)
    assert set(same["per_class"]) == {0, 1, 2}
    assert same["components"] == 8 and same["real_halves"] > 0


def test_flow_ensemble_trains_on_gan_flows_of_the_fold_only(tmp_path):
    from microexp.recognisers.ensemble import FlowEnsemble

    X, y = easy_problem(n_per_class=8, size=12)
    spec = {"flow_gan": {"per_class": 4, "epochs": 1, "generator_width": 8, "discriminator_width": 8,
                         "latent_dim": 8, "cache_dir": str(tmp_path)}}
    est = FlowEnsemble(epochs=1, augmenter=spec, threads=1).fit(X, y, np.repeat(np.arange(6), 4))
    assert est.n_synthetic_ == 12
    assert est.predict(X).shape == (24,)
    assert FlowEnsemble(epochs=1, threads=1).fit(X, y).n_synthetic_ == 0
