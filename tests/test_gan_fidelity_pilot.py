"""benchmarks/gan_fidelity_pilot.py on a small generated composite."""
from __future__ import annotations

import json

import pytest

from microexp.errors import ConfigError


def test_pilot_scores_variants_on_training_folds(composite_fixture, load_benchmark, capsys):
    pilot = load_benchmark("gan_fidelity_pilot")
    tiny = json.dumps({"tiny": {"epochs": 1, "generator_width": 8, "discriminator_width": 8, "latent_dim": 8,
                                "discriminator": "projection", "aux_weight": 1.0}})
    means = pilot.main(["--root", str(composite_fixture), "--variant", tiny, "--folds", "0,1", "--per-class", "3"])
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [row["fold"] for row in lines[:-1]] == [0, 1]
    assert lines[-1]["variants"]["tiny"]["fidelity_mean"] == means["tiny"]["fidelity_mean"]
    assert set(lines[0]["fidelity"]) == set(lines[0]["spread_ratio"])


@pytest.mark.parametrize("spec", ["no_such_variant", "[1, 2]", '{"x": {"aux_weight": 1.0}}'])
def test_bad_variants_are_refused(composite_fixture, load_benchmark, spec):
    pilot = load_benchmark("gan_fidelity_pilot")
    with pytest.raises(ConfigError):
        pilot.main(["--root", str(composite_fixture), "--variant", spec, "--folds", "0", "--per-class", "2"])
