"""Labelled composite flows in one file: ``.npz`` arrays, read without running any code.

A flow file holds a set of MEGC2019-style flow images (u, v, strain at 28×28, values in [0, 1])
with their classes, so that a recogniser can read them while training on a fold — e.g. the
simulator's labelled flows joining a network's training set (``FlowEnsemble(net_extra_flows=...)``).

Arrays (``numpy.savez_compressed``; read with ``allow_pickle=False``):

    flows     uint8 (N, 3, S, S)   the flow images ×255 (the composite's PNGs are 8-bit, so exact)
    labels    int64 (N,)           class index into ``classes``
    classes   str (K,)             class names, in the order of the composite they belong with
    subjects  str (N,)             who each flow comes from
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError
from ..io import atomic_write_npz

#: The arrays a flow file must hold.
FLOW_FILE_ARRAYS = ("flows", "labels", "classes", "subjects")


def write_flow_file(table, path: str | Path) -> Path:
    """Write the flows of a composite ``SampleTable`` (``table.arrays("flow")``), its classes and
    subjects to ``path`` (atomically)."""
    X = np.asarray(table.arrays("flow"), dtype=np.float32)
    if X.ndim != 4 or X.shape[1] != 3:
        raise DataError(f"flows are {X.shape}, expected (N, 3, S, S)", path)
    q = np.round(X * 255.0)
    if q.min() < 0 or q.max() > 255:
        raise DataError("flow values lie outside [0, 1]; a flow file holds composite images", path)
    return atomic_write_npz(path, flows=q.astype(np.uint8), labels=np.asarray(table.y, dtype=np.int64),
                            classes=np.asarray(table.classes, dtype=str),
                            subjects=np.asarray(table.subjects, dtype=str))


def read_flow_file(path: str | Path) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], np.ndarray]:
    """``(flows float32 (N, 3, S, S) in [0, 1], labels (N,), classes, subjects (N,))`` from a flow
    file; anything else (a missing file, a pickled object, a missing array, labels out of range)
    raises :class:`DataError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError("no such flow file (write one with microexp.datasets.flow_file.write_flow_file)", path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in FLOW_FILE_ARRAYS if k not in npz.files]
            if missing:
                raise DataError(f"not a flow file: arrays {missing} are missing (it has {sorted(npz.files)})", path)
            flows, labels = npz["flows"], npz["labels"]
            classes, subjects = npz["classes"], npz["subjects"]
    except DataError:
        raise
    except (OSError, ValueError) as exc:  # not an npz, or one holding pickled objects
        raise DataError(f"cannot read the flow file: {exc}", path) from exc
    if flows.dtype != np.uint8 or flows.ndim != 4 or flows.shape[1] != 3:
        raise DataError(f"flows must be uint8 (N, 3, S, S), got {flows.dtype} {flows.shape}", path)
    if labels.shape != (len(flows),) or subjects.shape != (len(flows),):
        raise DataError(f"{len(flows)} flows but {labels.shape} labels and {subjects.shape} subjects", path)
    if not np.issubdtype(labels.dtype, np.integer) or len(labels) == 0 \
            or labels.min() < 0 or labels.max() >= len(classes):
        raise DataError(f"labels must be class indices into {len(classes)} classes", path)
    return (flows.astype(np.float32) / 255.0, labels.astype(int), tuple(str(c) for c in classes),
            subjects.astype(str))
