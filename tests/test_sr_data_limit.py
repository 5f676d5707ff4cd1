"""The face variants of benchmarks/super_resolution_data_limit.py."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from microexp.errors import ConfigError


@pytest.fixture()
def faces():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"subject": [f"s{i // 3}" for i in range(12)]})
    return rng.integers(0, 256, (12, 128, 128, 3), dtype=np.uint8), table


def test_fractions_keep_whole_subjects(faces, load_benchmark):
    bench = load_benchmark("super_resolution_data_limit")
    hr, table = faces
    half = bench.training_faces("frac0.5", hr, table, None)
    assert len(half) == 6  # two of four subjects, three faces each
    kept = {tuple(f[0, 0]) for f in half}
    for s in table["subject"].unique():
        rows = hr[table["subject"] == s]
        assert all(tuple(f[0, 0]) in kept for f in rows) or not any(tuple(f[0, 0]) in kept for f in rows)
    assert np.array_equal(bench.training_faces("all", hr, table, None), hr)


def test_permutations_and_rescales_add_views_of_the_same_faces(faces, load_benchmark):
    bench = load_benchmark("super_resolution_data_limit")
    hr, table = faces
    perm = bench.training_faces("perm", hr, table, None)
    assert perm.shape == (72, 128, 128, 3)
    assert np.array_equal(perm[12], hr[0][..., [0, 2, 1]])
    originals = np.random.default_rng(1).integers(0, 256, (12, 224, 224, 3), dtype=np.uint8)
    scaled = bench.training_faces("scale", hr, table, originals)
    assert scaled.shape == (12 + 12 * 2 * 5, 128, 128, 3)


@pytest.mark.parametrize("variant", ["fracX", "mirror"])
def test_unknown_variants_are_refused(faces, load_benchmark, variant):
    bench = load_benchmark("super_resolution_data_limit")
    with pytest.raises(ConfigError):
        bench.training_faces(variant, *faces, None)
