"""Where the licence-restricted real data lives on a machine: ``$MICROEXP_SHARED_DATA`` if set,
else ``../shared/data`` relative to the current folder (a checkout with the data beside it).
Benchmarks and docs default to this instead of any machine's absolute path."""
from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the real-data folder.
SHARED_DATA_ENV = "MICROEXP_SHARED_DATA"


def shared_data_dir() -> Path:
    """The real-data folder (it may not exist: callers say so when they need it)."""
    env = os.environ.get(SHARED_DATA_ENV)
    return Path(env) if env else Path("..") / "shared" / "data"


def shared_data_path(*parts: str) -> Path:
    """A path inside the real-data folder, e.g. ``shared_data_path("megc2019")``."""
    return shared_data_dir().joinpath(*parts)
