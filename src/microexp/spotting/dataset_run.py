"""Spot the apex of every clip of a sample table and write a results directory.

Written: ``config.yaml``, ``apex_frames.csv`` (one row per clip: annotated and spotted apex frame
numbers), ``metrics.json`` (MAE against the annotated apexes where there are any) and
``curves/<subject>_<clip>.png`` (the intensity curve of each clip, up to ``max_plots``).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, MicroexpError
from ..io import atomic_write_json, atomic_write_text, read_image
from .apex import FlowPreparation, _load_method, spot_apex
from .decoders import SW_MAX_WINDOW
from .evaluation import mean_absolute_error
from .plots import plot_intensity_curve


def onset_landmarks(frame: np.ndarray) -> np.ndarray | None:
    """68 landmarks of the face in ``frame`` (dlib), or None when no face is found: the eye and
    nose regions then fall back to fixed fractions of an aligned face crop."""
    try:
        from ..face.landmarks import landmarks_68

        return np.asarray(landmarks_68(frame), float)
    except (MicroexpError, ImportError, RuntimeError):
        return None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))


def read_clip_frames(paths, row: int | None = None) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 RGB frames of one clip (every frame the same size)."""
    if len(paths) == 0:
        raise DataError("clip has no frame paths", None, row)
    frames = [read_image(p, "rgb", row=row) for p in paths]
    if len({f.shape for f in frames}) != 1:
        raise DataError(f"frames of one clip differ in size: {sorted({f.shape for f in frames})}", paths[0], row)
    return np.stack(frames)


def spot_dataset(table, out_dir: str | Path, method="baseline", *, decoder: str = "sw_max",
                 window: int = SW_MAX_WINDOW, use_landmarks: bool = True, max_plots: int = 20,
                 limit: int | None = None, prep: FlowPreparation | None = None, echo=print) -> pd.DataFrame:
    """Run :func:`spot_apex` on every row with ``frame_paths`` (onset..offset frames)."""
    import yaml

    if "frame_paths" not in table.df.columns:
        raise DataError(f"table {table.name!r} has no frame_paths column: spotting needs the clips' frames")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = _load_method(method)
    atomic_write_text(out / "config.yaml", yaml.safe_dump({
        "dataset": table.name, "method": str(method), "decoder": decoder, "window": window,
        "use_landmarks": use_landmarks, "limit": limit,
        "preparation": (prep or FlowPreparation(**getattr(model, "preparation", {}))).to_dict()}))
    rows, n_plots, skipped = [], 0, 0
    df = table.df if limit is None else table.df.head(limit)
    for i, r in df.iterrows():
        paths = list(r["frame_paths"]) if isinstance(r["frame_paths"], (list, tuple, np.ndarray)) else []
        if len(paths) < 2:
            skipped += 1
            continue
        frames = read_clip_frames(paths, row=int(i))
        lm = onset_landmarks(frames[0]) if use_landmarks else None
        index, curve = spot_apex(frames, 0, None, model, decoder=decoder, window=window, landmarks=lm, prep=prep)
        onset = r["onset"]
        first = int(onset) if not pd.isna(onset) else 0
        annotated = None if pd.isna(r["apex"]) else int(r["apex"])
        rows.append({"dataset": r["dataset"], "subject": r["subject"], "clip": r["clip"], "onset": first,
                     "offset": first + len(frames) - 1, "annotated_apex": annotated,
                     "spotted_apex": first + index, "spotted_index": index, "n_frames": len(frames),
                     "landmarks": lm is not None})
        if n_plots < max_plots:
            truth = None if annotated is None else annotated - first
            plot_intensity_curve(out / "curves" / f"{_safe(r['subject'])}_{_safe(r['clip'])}.png", {str(method): curve},
                                 truth if truth is not None and 0 <= truth < len(frames) else None,
                                 {"spotted": index}, title=f"{r['subject']} {r['clip']}")
            n_plots += 1
    result = pd.DataFrame(rows)
    atomic_write_text(out / "apex_frames.csv", result.to_csv(index=False))
    metrics = {"clips": len(result), "skipped_without_frames": skipped}
    if len(result) and result["annotated_apex"].notna().any():
        known = result[result["annotated_apex"].notna()]
        metrics["mae_vs_annotation"] = mean_absolute_error(known["spotted_apex"], known["annotated_apex"].astype(float))
        metrics["mae_middle_vs_annotation"] = mean_absolute_error(
            known["onset"] + (known["offset"] - known["onset"]) // 2, known["annotated_apex"].astype(float))
    atomic_write_json(out / "metrics.json", metrics)
    echo(f"spotted {len(result)} clips ({skipped} without frames) -> {out}")
    if "mae_vs_annotation" in metrics:
        echo(f"MAE vs annotated apex: {metrics['mae_vs_annotation']:.2f} frames "
             f"(middle of onset-offset: {metrics['mae_middle_vs_annotation']:.2f})")
    return result
