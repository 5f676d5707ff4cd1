"""Shared entry point of the benchmark scripts: microexp's own errors (bad input, bad settings)
end with a one-line message and exit code 2 instead of a traceback."""
from __future__ import annotations

import sys
from typing import Callable


def run(main: Callable[[], object]) -> None:
    from microexp.errors import MicroexpError

    try:
        main()
    except MicroexpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
