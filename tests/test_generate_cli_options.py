"""``microexp generate clips --help``: every switch reads as a pair of sensible names."""
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
