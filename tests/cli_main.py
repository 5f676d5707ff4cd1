"""Run the ``microexp`` command in-process exactly as the console script does (errors become a
message and exit code 2), returning the exit code and what it printed."""
from __future__ import annotations

import sys


def run_main(argv: list[str], capsys) -> tuple[int, str]:
    from microexp.cli.main import main

    old = sys.argv
    sys.argv = ["microexp", *map(str, argv)]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return code, captured.out + captured.err
