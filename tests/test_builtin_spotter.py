"""The learned long-video spotter shipped with microexp: it loads, says how it was made (simulated
recordings only), and its benchmark scores it and the training-free spotter on held-out people."""
from __future__ import annotations

import json

from microexp.pipeline.analyse_recording import BUILTIN_SPOTTER, load_spotter, resolve_spotter
from microexp.spotting.learned import LongVideoSpotter


def test_the_packaged_spotter_loads_and_says_how_it_was_made():
    assert resolve_spotter(None) == resolve_spotter("builtin") == BUILTIN_SPOTTER
    assert resolve_spotter("training-free") is None
    spotter, info = load_spotter(None)
    assert isinstance(spotter, LongVideoSpotter) and set(spotter.thresholds_) == {"micro", "macro"}
    about = json.loads((BUILTIN_SPOTTER / "about.json").read_text())
    assert "simulated" in info["trained_on"] and info["trained_on"] == about["trained_on"]
    assert "microexp spot-long" in " ".join(about["commands"]) and "simulated recordings only" in info["note"]


def test_benchmark_scores_both_spotters_on_held_out_people(load_benchmark, tmp_path):
    bench = load_benchmark("builtin_spotter")
    res = bench.main(["--out", str(tmp_path), "--subjects", "1", "--videos", "1", "--minutes", "0.25",
                      "--micro-per-minute", "12", "--jobs", "1"])
    counts = res["held_out"]["intervals"]
    assert res["held_out"]["seed"] == bench.HELD_OUT_SEED and res["held_out"]["recordings"] == 1
    for name in ("builtin", "training_free"):
        for kind in ("micro", "macro"):
            tp, _, fn = res[name][f"{kind}_tp_fp_fn"]
            assert tp + fn == counts[kind]  # every coded interval is either found or missed
    assert res["spotter"]["about"]["trained_on"] and len(res["spotter"]["weights_sha256"]) == 64
