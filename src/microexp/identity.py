"""What a run or a cache was made from: content hashes of its input files and the package version.

A results directory or a cache is reused only when its fingerprint (settings + the content of every
input file + the microexp version) is unchanged. Hashing every file on every resume would be slow,
so a file's digest is cached per process and in a small JSON beside the run, keyed by path, size
and modification time; a changed file (new size or mtime) is always hashed again.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

from .errors import ConfigError, DataError

#: Per-process cache: (resolved path, size, mtime_ns) → sha256 hex digest.
_DIGESTS: dict[tuple[str, int, int], str] = {}


def _stat_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), int(st.st_size), int(st.st_mtime_ns)


def file_digest(path: str | Path, cache: dict | None = None) -> str:
    """SHA-256 of a file's content; ``cache`` (a dict, e.g. read from a run's ``inputs.json``)
    maps ``"path|size|mtime_ns"`` to digests and is updated in place."""
    path = Path(path)
    try:
        key = _stat_key(path)
    except OSError as exc:
        raise DataError(f"cannot read input file ({exc.strerror or exc})", path) from exc
    skey = "|".join(map(str, key))
    if key in _DIGESTS:
        digest = _DIGESTS[key]
    elif cache is not None and skey in cache:
        digest = cache[skey]
    else:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest()
    _DIGESTS[key] = digest
    if cache is not None:
        cache[skey] = digest
    return digest


def files_digest(paths: Iterable[str | Path], cache: dict | None = None, root: str | Path | None = None) -> str:
    """One digest of many files: names (relative to ``root`` when given, so a moved data folder keeps
    its identity) and contents, in sorted order."""
    entries = []
    for p in paths:
        p = Path(p)
        name = str(p.relative_to(root)) if root is not None and p.is_relative_to(root) else p.name
        entries.append((name, file_digest(p, cache)))
    h = hashlib.sha256()
    for name, digest in sorted(entries):
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


def settings_digest(obj: Any) -> str:
    """SHA-256 of a JSON-able description of settings (key order does not matter)."""
    from .io import plain

    return hashlib.sha256(json.dumps(plain(obj), sort_keys=True, default=str).encode()).hexdigest()


def package_version() -> str:
    from . import __version__

    return __version__


def load_digest_cache(path: str | Path) -> dict:
    """The ``"path|size|mtime_ns" → digest`` map stored at ``path`` (empty when absent or unreadable)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_digest_cache(path: str | Path, cache: dict) -> None:
    from .io import atomic_write_json

    atomic_write_json(path, cache)


def check_output_dir(out: str | Path, what: str = "output folder") -> Path:
    """``out`` as a usable output folder: created if missing; a clear :class:`ConfigError` naming it
    when it is a file or cannot be written (instead of a traceback later)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: the {what} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot create the {what} ({exc.strerror or exc})") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise ConfigError(f"{out}: the {what} is not writable")
    return out


def array_digest(array) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    import numpy as np

    a = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{a.dtype.str}|{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def table_digest(table, kind: str, cache: dict | None = None) -> str:
    """Content digest of the data a sample table feeds a model as ``kind``.

    A loader that reads one file per sample names, in ``table.sources[kind]``, the column holding
    it (its sheets may be listed in ``df.attrs["source_files"]``): those files are hashed (with
    ``cache``, so a resume re-reads only files whose size or modification time changed).
    Otherwise the arrays themselves are.
    """
    df = table.df
    column = (getattr(table, "sources", None) or {}).get(kind)
    files = [Path(p) for p in df[column].tolist()] if column and column in df.columns else []
    # a missing file is left to the loader, whose error names the sheet row
    if files and all(p.is_file() for p in files):
        files += [Path(p) for p in df.attrs.get("source_files", [])]
        common = Path(os.path.commonpath([str(p.resolve()) for p in files])) if files else None
        if common is not None and common.is_file():
            common = common.parent
        return "files:" + files_digest([p.resolve() for p in files], cache, root=common)
    return "arrays:" + array_digest(table.arrays(kind))
