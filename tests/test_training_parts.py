"""Optimisers, losses and augmentations of the trainer."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from microexp.errors import ConfigError
from microexp.training.augment import (SHIFT_PIXELS, augment_face, flip_flow_horizontally, hsv_to_rgb, make_augmentation,
                                      rgb_to_hsv, translate)
from microexp.training.losses import balanced_class_weights, classification_loss
from microexp.training.optimizers import OPTIMIZERS, AdamP, make_optimizer
from microexp.training.validation import inner_subject_split


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizers_reduce_a_quadratic(name):
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 1)
    x, t = torch.randn(64, 4), torch.randn(64, 1)
    opt = make_optimizer(name, lin.parameters(), lr=0.05)
    first = None
    for _ in range(50):
        loss = ((lin(x) - t) ** 2).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first


def test_adamp_keeps_scale_invariant_weights_on_their_sphere():
    """A gradient orthogonal to the weight (scale invariance) must not grow the weight's norm."""
    w = torch.nn.Parameter(torch.randn(1, 16))
    opt = AdamP([w], lr=0.1)
    for _ in range(20):
        g = torch.randn(1, 16)
        w.grad = g - (g * w.data).sum() / w.data.norm() ** 2 * w.data
        n0 = w.data.norm().item()
        opt.step()
        assert w.data.norm().item() == pytest.approx(n0, rel=0.02)


def test_unknown_optimizer():
    with pytest.raises(ConfigError):
        make_optimizer("rmsprop", [torch.nn.Parameter(torch.zeros(1))], lr=1)


def test_balanced_weights():
    w = balanced_class_weights(np.array([0, 0, 0, 1]), 3)
    assert w[0] == pytest.approx(4 / 6) and w[1] == pytest.approx(2.0) and w[2] == 0


def test_abn_style_outputs_sum_both_heads():
    logits = torch.randn(4, 3)
    y = torch.tensor([0, 1, 2, 0])
    single = classification_loss(logits, y, weight=None, label_smoothing=0)
    both = classification_loss({"logits": logits, "aux_logits": [logits]}, y, weight=None, label_smoothing=0)
    assert both.item() == pytest.approx(2 * single.item())


def test_flow_flip_mirrors_and_negates_u():
    x = torch.rand(2, 3, 5, 7)
    f = flip_flow_horizontally(x)
    assert torch.allclose(f[:, 0], 1 - x[:, 0].flip(-1))
    assert torch.allclose(f[:, 1:], x[:, 1:].flip(-1))
    assert torch.allclose(flip_flow_horizontally(f), x)


def test_translate_moves_whole_pixels_and_replicates_the_border():
    x = torch.arange(2 * 3 * 6 * 7, dtype=torch.float32).view(2, 3, 6, 7)
    y = translate(x, torch.tensor([2, -1]), torch.tensor([0, 1]))
    assert torch.equal(y[0, :, :, 2:], x[0, :, :, :-2])  # right by 2
    assert torch.equal(y[0, :, :, 0], x[0, :, :, 0]) and torch.equal(y[0, :, :, 1], x[0, :, :, 0])
    assert torch.equal(y[1, :, 1:, :-1], x[1, :, :-1, 1:])  # left by 1, down by 1
    assert torch.equal(y[1, :, 0, :-1], x[1, :, 0, 1:]) and torch.equal(y[1, :, :, -1], y[1, :, :, -2])


def test_flow_shift_is_a_flip_or_not_then_a_bounded_shift():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(64, 3, 12, 12)
    y = make_augmentation("flow_shift")(x, g)
    assert y.shape == x.shape
    found = set()
    for i in range(len(x)):  # each output is the input, mirrored or not, moved by at most SHIFT_PIXELS
        matches = [(flip, dx, dy) for flip in (0, 1) for dx in range(-SHIFT_PIXELS, SHIFT_PIXELS + 1)
                   for dy in range(-SHIFT_PIXELS, SHIFT_PIXELS + 1)
                   if torch.equal(y[i], translate(flip_flow_horizontally(x[i:i + 1]) if flip else x[i:i + 1],
                                                  torch.tensor([dx]), torch.tensor([dy]))[0])]
        assert len(matches) == 1
        found.add(matches[0])
    assert len(found) > 10  # the shifts and flips vary


def test_face_augmentation_stays_in_range_and_hsv_round_trips():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 16, 16)
    y = augment_face(x, g)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    assert torch.allclose(hsv_to_rgb(rgb_to_hsv(x)), x, atol=1e-5)
    with pytest.raises(ConfigError):
        make_augmentation("zoom")


def test_inner_split_holds_whole_subjects():
    groups = np.repeat(list("abcdefghij"), 3)
    y = np.tile([0, 1, 2], 10)
    tr, va, subs = inner_subject_split(groups, y, 0.2, seed=0)
    assert len(subs) == 2 and set(groups[va]) == set(subs) and not set(groups[tr]) & set(subs)
