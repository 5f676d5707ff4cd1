"""Paper 000's degradation: sizes, reproducibility by seed, randomness of the median step."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.errors import DataError
from microexp.restore import degrade


def face_like(shape=(150, 130, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize("shape", [(150, 130, 3), (300, 260), (64, 64, 3)])
def test_sizes_and_dtype(shape):
    out = degrade(face_like(shape), seed=0)
    assert out.shape == (32, 32) + shape[2:] and out.dtype == np.uint8
    assert degrade(face_like(shape), seed=0, hr_size=64, lr_size=16).shape == (16, 16) + shape[2:]


def test_same_seed_same_output_and_median_step_is_random():
    img = face_like()
    np.testing.assert_array_equal(degrade(img, seed=7), degrade(img, seed=7))
    outputs = {degrade(img, seed=s).tobytes() for s in range(12)}
    assert len(outputs) == 2  # with or without the median blur
    never = degrade(img, seed=3, median_prob=0.0)
    always = degrade(img, seed=3, median_prob=1.0)
    assert not np.array_equal(never, always)
    assert {never.tobytes(), always.tobytes()} == outputs


def test_blur_removes_detail():
    img = face_like((128, 128))
    lr = degrade(img, seed=0, median_prob=0.0).astype(float)
    assert lr.std() < img.std() / 2  # white noise is mostly averaged away


@pytest.mark.parametrize("kwargs, fragment", [
    ({"blur_ksize": 4}, "odd"), ({"median_ksize": 0}, "odd"), ({"median_prob": 1.5}, r"\[0, 1\]"),
    ({"lr_size": 200}, "lr_size"),
])
def test_bad_parameters(kwargs, fragment):
    with pytest.raises(DataError, match=fragment):
        degrade(face_like(), seed=0, **kwargs)


def test_bad_images():
    with pytest.raises(DataError, match="None"):
        degrade(None, seed=0)
    with pytest.raises(DataError, match="dtype"):
        degrade(np.zeros((20, 20), np.float64), seed=0)
