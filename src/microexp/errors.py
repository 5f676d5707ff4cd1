"""Exceptions that say which file, which row and what was expected."""
from __future__ import annotations

from pathlib import Path


class MicroexpError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class DataError(MicroexpError):
    """Bad or missing input data: names the file (and the row, when there is one)."""

    def __init__(self, message: str, path: str | Path | None = None, row: int | None = None):
        self.path = None if path is None else str(path)
        self.row = row
        where = ""
        if self.path is not None:
            where = self.path
            if row is not None:
                where += f", row {row}"
            where += ": "
        super().__init__(where + message)


class FaceNotFoundError(DataError):
    """No face (or no landmarks) could be found in an image."""


class ProtocolError(MicroexpError):
    """An evaluation protocol cannot be applied (e.g. it would leave a training fold empty)."""


class ConfigError(MicroexpError):
    """A configuration names something unknown or has a value of the wrong kind."""
