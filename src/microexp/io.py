"""Atomic writes and checked reads: a crash never leaves a half-written result behind."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    The file gets the permissions a plain ``open(path, "wb")`` would give (mkstemp's are 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def _json_default(obj: Any):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")


def plain(obj: Any) -> Any:
    """``obj`` with only YAML/JSON-native values: numpy scalars and arrays become Python numbers and
    lists, paths strings, tuples lists, and any object with a ``to_config()`` method (an augmenter
    in a trainer config, say) its description. Anything else is returned unchanged."""
    if isinstance(obj, dict):
        return {plain(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if callable(getattr(obj, "to_config", None)):
        return plain(obj.to_config())
    return obj


def yaml_text(obj: Any) -> str:
    """YAML for configs written beside results (keys in insertion order; see :func:`plain`)."""
    import yaml

    return yaml.safe_dump(plain(obj), sort_keys=False)


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def atomic_write_image(path: str | Path, image: np.ndarray) -> Path:
    """Encode ``image`` (RGB or grayscale uint8) by the file's extension and write it atomically."""
    import cv2

    path = Path(path)
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(path.suffix or ".png", img)
    if not ok:
        raise DataError("could not encode image", path)
    return atomic_write_bytes(path, buf.tobytes())


def atomic_write_npz(path: str | Path, **arrays: np.ndarray) -> Path:
    import io as _io

    buf = _io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue())


def read_image(path: str | Path, mode: str = "rgb", row: int | None = None) -> np.ndarray:
    """Read an image as uint8 RGB (``mode='rgb'``) or grayscale (``mode='gray'``).

    Raises :class:`DataError` naming the file (and row) when it is missing or unreadable.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise DataError("image file is missing", path, row)
    data = np.fromfile(str(path), dtype=np.uint8)
    flag = cv2.IMREAD_GRAYSCALE if mode == "gray" else cv2.IMREAD_COLOR
    img = cv2.imdecode(data, flag) if data.size else None
    if img is None:
        raise DataError("image file is unreadable (not a decodable image)", path, row)
    if mode == "rgb":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return img


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path, dpi: int = 120) -> Path:
    """Write a matplotlib figure as PNG atomically and close it."""
    import io as _io

    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def read_weights(path: str | Path, what: str) -> Any:
    """The contents of a torch file of ``what`` (e.g. "super-resolution model"), read with
    ``weights_only=True``: tensors and plain values only, so a file that would run code is refused.
    A missing or unreadable file is a :class:`DataError` naming it."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file is missing", path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"cannot read the {what} ({type(exc).__name__}: {exc})", path) from exc
