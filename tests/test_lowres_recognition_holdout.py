"""The hold-out low-resolution benchmark refuses SR networks trained on another degradation."""
from __future__ import annotations

import pytest
import yaml

from microexp.errors import ProtocolError


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("lowres_recognition")


def _sr_run(tmp_path, median_prob):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"sr": {"arch": "rrdbnet", "median_prob": median_prob}}))
    return tmp_path


@pytest.mark.parametrize("median_prob", [None, 0.5])
def test_sr_run_on_the_random_mix_is_accepted(tmp_path, bench, median_prob):
    bench.check_sr_run_degradation(_sr_run(tmp_path, median_prob))


def test_blur_path_sr_run_is_refused_with_the_fix(tmp_path, bench):
    with pytest.raises(ProtocolError, match=r"median_prob 0\.0.*--median-prob 0\.5") as err:
        bench.check_sr_run_degradation(_sr_run(tmp_path, 0.0))
    assert "config.yaml" in str(err.value)
    with pytest.raises(ProtocolError, match="missing"):
        bench.check_sr_run_degradation(tmp_path / "nowhere")


def test_blur_path_faces_go_with_a_blur_path_sr_run(tmp_path, bench):
    bench.check_sr_run_degradation(_sr_run(tmp_path, 0.0), 0.0)
    with pytest.raises(ProtocolError, match=r"median_prob 0\.5.*drawn with 0\.0.*--lr-median-prob 0\.5"):
        bench.check_sr_run_degradation(_sr_run(tmp_path, 0.5), 0.0)
