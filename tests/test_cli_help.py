"""Help pages: every switch reads as a pair of sensible names, and every page reads as prose."""
from __future__ import annotations

import re

from typer.testing import CliRunner

from microexp.cli.main import app


def test_clips_help_offers_size_averaging_on_and_off():
    res = CliRunner().invoke(app, ["generate", "clips", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1",
                                                                          "TERM": "dumb"})
    assert res.exit_code == 0, res.output
    text = re.sub(r"\x1b\[[0-9;]*m", "", res.output)
    assert "--size-averaging" in text and "--no-size-averaging" in text
    assert "--no-no-" not in text
    assert "[default: size-averaging]" in text


def _help(*command: str) -> str:
    res = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    assert res.exit_code == 0, res.output
    return re.sub(r"[│╭╮╰╯─]", " ", re.sub(r"\x1b\[[0-9;]*m", "", res.output))


def test_every_help_page_reads_as_prose_without_markup_or_lost_words():
    """Help texts are reflowed paragraphs (a docstring's line breaks do not cut a sentence), code
    marks are rendered rather than printed, and placeholders in paths survive."""
    commands = [(), ("analyse",), ("demo",), ("evaluate",), ("preprocess",), ("sheet-stats",), ("show",),
                ("simulate",), ("simulate-long",), ("spot",), ("spot-long",), ("sweep",), ("train",),
                ("generate", "flows"), ("generate", "clips"), ("sr", "train"), ("sr", "eval"), ("sr", "upscale")]
    pages = {c: _help(*c) for c in commands}
    for command, text in pages.items():
        assert "``" not in text and "`microexp" not in text, command
    flat = {c: " ".join(t.split()) for c, t in pages.items()}
    assert "(every micro- and macro-expression spotted, each micro-expression recognised)" in flat[("analyse",)]
    assert "settings and the same face images" in flat[("sr", "train")]
    assert "ROOT/rawpic/s15/VIDEO/img1.jpg" in flat[("spot-long",)]
    assert "grid: {setting: [values]}" in flat[("sweep",)]
