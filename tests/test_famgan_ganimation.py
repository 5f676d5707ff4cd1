"""The GANimation-style AU-conditioned generator: shapes, attention blend, identity start, wrapper."""
from __future__ import annotations

import numpy as np
import torch

from microexp.augment.famgan import AUConditionedGenerator, AUCritic, GANimationAUGenerator, train_ganimation
from microexp.augment.famgan.ganimation import face_box

torch.set_num_threads(1)


def test_shapes_and_blend():
    gen = AUConditionedGenerator(cond_dim=6, width=4)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    out, attention, colour = gen(x, torch.rand(2, 6))
    assert out.shape == x.shape and attention.shape == (2, 1, 32, 32) and colour.shape == x.shape
    assert attention.min() >= 0 and attention.max() <= 1
    torch.testing.assert_close(out, attention * colour + (1 - attention) * x)
    assert attention.mean() < 0.05  # untrained, it copies its input
    score, au = AUCritic(cond_dim=6, width=4)(x)
    assert score.shape == (2, 1, 4, 4) and au.shape == (2, 6)


def test_training_runs_and_wrapper_keeps_image_shape():
    rng = torch.Generator().manual_seed(0)
    src = torch.rand(6, 3, 32, 32, generator=rng) * 2 - 1
    cond = torch.rand(6, 4, generator=rng)
    dst = (src + 0.2 * cond[:, :1, None, None]).clamp(-1, 1)  # the condition brightens the face
    wrapped = train_ganimation(src, dst, cond, ("AU1", "AU12"), steps=3, batch_size=4, width=4)
    assert isinstance(wrapped, GANimationAUGenerator) and wrapped.history
    image = np.random.default_rng(0).integers(0, 255, (90, 80, 3), dtype=np.uint8)
    landmarks = np.stack(np.meshgrid(np.linspace(20, 60, 17), np.linspace(25, 70, 4)), -1).reshape(-1, 2)[:68]
    out = wrapped(image, landmarks, {"AU12": 1.0}, {"AU12": 0.5})
    assert out.shape == image.shape and out.dtype == np.uint8
    x0, y0, x1, y1 = face_box(landmarks, image.shape)
    outside = np.ones(image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    np.testing.assert_array_equal(out[outside], image[outside])  # only the face box can change
