"""`microexp models`: every recogniser by name, what it predicts and whether `analyse` can use it
once trained (true to what `microexp train` accepts), and the built-in recogniser and spotter."""
from __future__ import annotations

import json

from cli_main import run_main
from microexp.recognisers import BEST_MODEL, list_models
from microexp.recognisers.model_folder import load_trained


def test_the_table_names_every_recogniser_and_the_builtins(capsys):
    code, text = run_main(["models"], capsys)
    assert code == 0, text
    lines = text.splitlines()
    for name in list_models():
        assert any(line.split()[0] == name for line in lines if line.strip()), name
    assert any(line.startswith(f"{BEST_MODEL} (best)") for line in lines)
    assert "built-in recogniser" in text and "built-in spotter" in text
    full = load_trained("builtin").card["held_out"]["full"]
    assert f"UF1 {full['uf1']:.3f}" in text


def test_analysable_means_train_accepts_it(capsys, composite_fixture, tmp_path):
    code, text = run_main(["models", "--json"], capsys)
    assert code == 0, text
    data = json.loads(text.strip().splitlines()[-1])
    rows = {r["name"]: r for r in data["recognisers"]}
    assert set(rows) == set(list_models()) and data["best"] == BEST_MODEL
    assert rows["svm"]["analysable"] and rows["svm"]["task"] == "emotion"
    assert not rows["smallcnn"]["analysable"]  # apex faces: analyse computes flows
    assert rows["au_svm"]["task"] == "action_units" and not rows["au_svm"]["analysable"]
    assert data["builtin_recogniser"]["held_out"]["full"] == load_trained("builtin").card["held_out"]["full"]
    for name, expect_ok in (("au_svm", False), ("smallcnn", False), ("svm", True)):
        out = tmp_path / name
        code, text = run_main(["train", "--dataset", "megc2019", "--root", composite_fixture, "--model", name,
                               "--out", out], capsys)
        assert (code == 0) == expect_ok == rows[name]["analysable"], (name, text)
        if not expect_ok:
            assert code == 2 and not out.exists(), text
        if name == "au_svm":
            assert "action units" in text and "evaluate --task au" in text, text
