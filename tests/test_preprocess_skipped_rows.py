"""``microexp preprocess`` says which sheet rows the taxonomy leaves out, and counts them in its output."""
from __future__ import annotations

import csv
import json
import logging
import sys

import numpy as np
import pytest
from test_loaders_fixtures import make_casme2

from microexp.pipeline import preprocess as pp

#: Two clips of the five CASME II classes and one fear clip, which casme2_5 leaves out (sheet row 4).
ROWS = [("01", "EP02_01f", 1, 2, 3, 12, "happiness"), ("02", "EP01_11f", 1, 2, 3, "4", "disgust"),
        ("02", "EP04_02", 1, 2, 3, "4+7", "fear")]


def _fake_features(frames, apex_index, *, features, size, method, composite_size):
    """Stands in for alignment + flow: these tests are about which clips are processed."""
    return {"apex_face": np.zeros((size, size, 3), np.uint8), "landmarks": np.zeros((68, 2), np.float32),
            "flow": np.zeros((size, size, 2), np.float32), "strain": np.zeros((size, size), np.float32),
            "flow_image": np.zeros((composite_size, composite_size, 3), np.uint8)}


def test_cli_reports_and_counts_the_fear_clip_it_leaves_out(tmp_path, monkeypatch, capsys, caplog):
    from microexp.cli.main import main

    monkeypatch.setattr(pp, "compute_clip_features", _fake_features)
    db, out = make_casme2(tmp_path / "db", rows=ROWS), tmp_path / "out"
    sheet = db / "CASME2-coding-20140508.xlsx"
    monkeypatch.setattr(sys, "argv", ["microexp", "preprocess", "--dataset", "casme2", "--root", str(db),
                                      "--out", str(out), "--features", "flow", "--size", "16", "--quiet"])
    with caplog.at_level(logging.WARNING, logger="microexp.pipeline.preprocess"), pytest.raises(SystemExit) as ex:
        main()
    assert (ex.value.code or 0) == 0
    assert "2 clips: 2 done, 0 cached, 0 failed" in capsys.readouterr().out
    said = "\n".join(r.getMessage() for r in caplog.records)
    assert "1 sheet row left out" in said and "1 fear" in said
    assert f"{sheet}, row 4: EP04_02 left out" in said and "'fear' is not a class of taxonomy casme2_5" in said

    assert json.loads((out / "summary.json").read_text())["skipped"] == 1
    meta = json.loads((out / "preprocess.json").read_text())
    assert meta["skipped"] == 1 and meta["skipped_by_label"] == {"fear": 1}
    listed = list(csv.DictReader((out / "skipped.csv").open()))
    assert [(r["file"], r["row"], r["clip"], r["label"]) for r in listed] == [(str(sheet), "4", "EP04_02", "fear")]
    assert len(pp.preprocessed_table(out)) == 2


def test_nothing_left_out_nothing_said(tmp_path, monkeypatch, caplog):
    from microexp.datasets.casme2 import load_casme2

    monkeypatch.setattr(pp, "compute_clip_features", _fake_features)
    table = load_casme2(make_casme2(tmp_path / "db", rows=ROWS[:2]))
    with caplog.at_level(logging.WARNING, logger="microexp.pipeline.preprocess"):
        s = pp.preprocess_dataset(table, tmp_path / "out", features="flow", size=16, progress=False)
    assert (s.done, s.skipped) == (2, 0) and not caplog.records
    assert json.loads((tmp_path / "out" / "preprocess.json").read_text())["skipped"] == 0
    assert (tmp_path / "out" / "skipped.csv").read_text().splitlines() == [",".join(pp.SKIPPED_COLUMNS)]
