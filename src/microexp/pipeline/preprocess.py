"""Preprocess a database once: per clip, aligned face, onset→apex flow and strain, ARS/RRS and
LBP-TOP, written so that re-running does no work and a bad clip never stops the others.

Output folder ``DIR``::

    clips/<dataset>/<sub>/<clip>.npz    the clip's arrays (see compute_clip_features)
    clips/<dataset>/<sub>/<clip>.json   record: cache key, parameters, key frames
    composite/                          the MEGC2019 composite layout (load_megc2019 reads it):
        combined_3_class2_for_optical_flow.csv
        datasets/STSNet_whole_norm_u_v_os/<sub>_<clip> .png
        datasets/combined_datasets_whole/<sub>_<clip>.jpg
    samples.csv                         one row per preprocessed clip (preprocessed_table reads it)
    preprocess.json                     parameters, classes and skipped-row counts of the last run
    errors.csv                          clip, file, error: every clip that failed in the last run
    skipped.csv                         file, row, subject, clip, label, reason: the sheet rows the
                                        taxonomy left out (e.g. CASME II's fear clips under casme2_5)
    summary.json                        done, cached, failed, skipped (and total, elapsed seconds)

A clip's cache key hashes its frame files (path, size, modification time), its key frames and
the parameters; a clip whose record holds the same key is not computed again.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from ..datasets.preprocessed import SAMPLE_COLUMNS, load_preprocessed
from ..datasets.samples import SampleTable
from ..errors import ConfigError, DataError, MicroexpError
from ..identity import file_digest, package_version
from ..io import atomic_write_image, atomic_write_json, atomic_write_npz, atomic_write_text, read_image
from .clip_features import COMPOSITE_SIZE, FLOW_METHODS, check_features, compute_clip_features, frames_needed
from .composite_export import composite_paths, write_composite_csv

log = logging.getLogger(__name__)

#: Bump when the arrays written for a clip change meaning, so old caches are recomputed.
CACHE_VERSION = 1
ERROR_COLUMNS = ("clip", "file", "error")
SKIPPED_COLUMNS = ("file", "row", "subject", "clip", "label", "reason")
#: Left-out sheet rows named one by one in the log; the rest are counted (all are in skipped.csv).
SKIPPED_SHOWN = 10


@dataclass(frozen=True)
class PreprocessParams:
    features: tuple[str, ...]
    size: int = 128
    method: str = "tvl1"
    composite_size: int = COMPOSITE_SIZE

    def __post_init__(self) -> None:
        if self.method not in FLOW_METHODS:
            raise ConfigError(f"unknown flow method {self.method!r}; choose from {FLOW_METHODS}")
        if self.size < 16 or self.composite_size < 4:
            raise ConfigError(f"face size {self.size} must be >= 16 and composite size {self.composite_size} >= 4")


@dataclass
class PreprocessSummary:
    out_dir: Path
    total: int = 0
    done: int = 0
    cached: int = 0
    failed: int = 0
    skipped: int = 0
    elapsed_s: float = 0.0
    errors: list[dict] = field(default_factory=list)
    skipped_rows: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        d.pop("errors")
        d.pop("skipped_rows")
        return d


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(part)).strip("._") or "_"


def short_subject(subject: str) -> str:
    """``'casme2/sub01'`` → ``'sub01'`` (the composite's ``sub``)."""
    return str(subject).split("/", 1)[-1]


def clip_tasks(table: SampleTable) -> list[dict]:
    """Plain, picklable descriptions of the table's clips for the worker processes."""
    tasks = []
    for _, r in table.df.iterrows():
        paths = list(r.get("frame_paths") or [])
        onset, apex = r["onset"], r["apex"]
        apex_index = None if pd.isna(onset) or pd.isna(apex) else int(apex) - int(onset)
        sub = short_subject(r["subject"])
        tasks.append({
            "dataset": str(r["dataset"]), "subject": str(r["subject"]), "sub": sub, "clip": str(r["clip"]),
            "name": f"{r['dataset']}/{sub}/{r['clip']}",
            "rel": f"{_safe(r['dataset'])}/{_safe(sub)}/{_safe(r['clip'])}",
            "label": str(r["label"]), "y": int(r["y"]), "emotion": str(r.get("emotion", "") or ""),
            "au": str(r.get("au", "") or ""), "apex_source": str(r.get("apex_source", "") or ""),
            "onset": None if pd.isna(onset) else int(onset), "apex": None if pd.isna(apex) else int(apex),
            "offset": None if pd.isna(r["offset"]) else int(r["offset"]),
            "frame_paths": [str(p) for p in paths], "frames_dir": str(r.get("frames_dir", "") or ""),
            "frames_error": str(r.get("frames_error", "") or ""), "apex_index": apex_index,
        })
    return tasks


def load_for_preprocessing(dataset: str, root: str | Path, *, taxonomy: str | None = None,
                           apex_sheet: str | Path | None = None) -> SampleTable:
    """A database's table with missing frames recorded per clip (``strict=False``) instead of
    raised, so that preprocessing reports those clips and goes on with the others."""
    from ..datasets import DATASET_LOADERS, load_dataset

    if dataset not in DATASET_LOADERS or dataset == "megc2019":
        raise ConfigError(f"cannot preprocess {dataset!r}: choose casme2, samm, smic, casme3 or video")
    kwargs: dict = {} if taxonomy is None else {"taxonomy": taxonomy}
    if dataset != "video":
        kwargs["strict"] = False
    if apex_sheet is not None:
        if dataset != "smic":
            raise ConfigError("apex_sheet applies to SMIC only")
        kwargs["apex_sheet"] = apex_sheet
    return load_dataset(dataset, root, **kwargs)


def cache_key(task: dict, params: PreprocessParams) -> str:
    """Hash of the content of the clip's frame files, its key frames, the parameters and the
    microexp version: a clip is reused only when none of them changed."""
    h = hashlib.sha256()
    h.update(json.dumps([CACHE_VERSION, package_version(), asdict(params), task["onset"], task["apex"],
                         task["offset"]]).encode())
    for p in task["frame_paths"]:
        if not os.path.isfile(p):
            raise DataError("frame file is missing", p)
        h.update(f"{Path(p).name}|{file_digest(p)}\n".encode())
    return h.hexdigest()


def _outputs_present(out_dir: Path, record: dict) -> bool:
    return all((out_dir / record[k]).is_file() for k in ("npz", "flow_png", "face_jpg") if record.get(k))


def process_clip(task: dict, params: PreprocessParams, out_dir: Path) -> tuple[str, dict]:
    """``('done' | 'cached', record)`` or ``('failed', {clip, file, error})``; never raises."""
    if task["frames_error"]:  # already names the sheet row and the folder
        return "failed", {"clip": task["name"], "file": task["frames_dir"], "error": f"DataError: {task['frames_error']}"}
    try:
        if not task["frame_paths"] or task["apex_index"] is None:
            raise DataError("clip has no frames or no onset/apex", task["frames_dir"] or None)
        if not 0 <= task["apex_index"] < len(task["frame_paths"]):
            raise DataError(f"apex {task['apex']} is outside the clip's frames", task["frames_dir"] or None)
        key = cache_key(task, params)
        record_path = out_dir / "clips" / f"{task['rel']}.json"
        if record_path.is_file():
            try:
                old = json.loads(record_path.read_text())
            except (OSError, ValueError):
                old = {}
            if old.get("key") == key and _outputs_present(out_dir, old):
                return "cached", old
        wanted = frames_needed(params.features, len(task["frame_paths"]), task["apex_index"])
        frames = [read_image(task["frame_paths"][i], "rgb") for i in wanted]
        arrays = compute_clip_features(frames, wanted.index(task["apex_index"]), features=params.features,
                                       size=params.size, method=params.method, composite_size=params.composite_size)
        npz_rel = f"clips/{task['rel']}.npz"
        atomic_write_npz(out_dir / npz_rel, **arrays)
        record = {"key": key, "params": asdict(params), "name": task["name"], "npz": npz_rel,
                  "flow_png": "", "face_jpg": "", "n_frames": len(task["frame_paths"])}
        if "flow_image" in arrays:
            flow_rel, face_rel = composite_paths(task["sub"], task["clip"])
            atomic_write_image(out_dir / flow_rel, arrays["flow_image"])
            atomic_write_image(out_dir / face_rel, arrays["apex_face"])
            record.update(flow_png=str(flow_rel), face_jpg=str(face_rel))
        atomic_write_json(record_path, record)
        return "done", record
    except MicroexpError as exc:
        return "failed", {"clip": task["name"], "file": getattr(exc, "path", None) or task["frames_dir"],
                          "error": f"{type(exc).__name__}: {exc}"}
    except Exception as exc:  # an OpenCV/dlib failure on one clip must not stop the others
        return "failed", {"clip": task["name"], "file": task["frames_dir"], "error": f"{type(exc).__name__}: {exc}"}


def _run(args: tuple) -> tuple[str, dict, dict]:
    task, params, out_dir = args
    status, record = process_clip(task, params, out_dir)
    return status, record, task


def preprocess_dataset(table: SampleTable, out_dir: str | Path, *, features: str | Sequence[str] = "flow,strain",
                       size: int = 128, method: str = "tvl1", jobs: int = 1, composite_size: int = COMPOSITE_SIZE,
                       progress: bool = True) -> PreprocessSummary:
    """Preprocess every clip of ``table`` into ``out_dir`` (layout in the module docstring).

    ``jobs`` worker processes share the clips; failures go to ``errors.csv`` and the summary.
    Sheet rows the loader left out (a label outside the taxonomy) are logged as warnings, listed
    in ``skipped.csv`` and counted in ``summary.json`` and ``preprocess.json``.
    """
    from tqdm.auto import tqdm

    params = PreprocessParams(check_features(features), int(size), method, int(composite_size))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = clip_tasks(table)
    skipped_rows = [dict(r) for r in table.df.attrs.get("dropped_rows", [])]
    summary = PreprocessSummary(out_dir, total=len(tasks), skipped=len(skipped_rows), skipped_rows=skipped_rows)
    _write_csv(out_dir / "skipped.csv", SKIPPED_COLUMNS, skipped_rows)
    _report_skipped(skipped_rows, out_dir / "skipped.csv")
    results: dict[str, tuple[dict, dict]] = {}
    start = time.perf_counter()
    bar = tqdm(total=len(tasks), desc=f"preprocess {table.name or ''}".strip(), unit="clip", disable=not progress)

    def collect(status: str, record: dict, task: dict) -> None:
        if status == "failed":
            summary.failed += 1
            summary.errors.append(record)
            log.info("%s failed: %s", record["clip"], record["error"])
        else:
            summary.done += status == "done"
            summary.cached += status == "cached"
            results[task["name"]] = (task, record)
        bar.update(1)

    try:
        if jobs <= 1 or len(tasks) <= 1:
            for task in tasks:
                collect(*_run((task, params, out_dir)))
        else:
            with ProcessPoolExecutor(max_workers=int(jobs)) as pool:
                futures = {pool.submit(_run, (task, params, out_dir)): task for task in tasks}
                for fut in as_completed(futures):
                    try:
                        collect(*fut.result())
                    except Exception as exc:  # a worker died (e.g. killed for memory): report its clip
                        task = futures[fut]
                        collect("failed", {"clip": task["name"], "file": task["frames_dir"],
                                           "error": f"{type(exc).__name__}: worker process failed ({exc})"}, task)
    finally:
        bar.close()
    summary.elapsed_s = round(time.perf_counter() - start, 3)
    ordered = [results[t["name"]] for t in tasks if t["name"] in results]
    _write_indexes(out_dir, params, table, ordered, skipped_rows)
    _write_csv(out_dir / "errors.csv", ERROR_COLUMNS, summary.errors)
    atomic_write_json(out_dir / "summary.json", summary.as_dict())
    return summary


def _write_csv(path: Path, columns: Sequence[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for e in rows:
        writer.writerow({k: "" if e.get(k) is None else e.get(k) for k in columns})
    atomic_write_text(path, buf.getvalue())


def _count_by_label(rows: Sequence[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["label"]] = counts.get(r["label"], 0) + 1
    return counts


def _report_skipped(rows: list[dict], listing: Path) -> None:
    """Say which sheet rows the table left out and why, so that a clip count lower than the
    sheet's row count is explained (the full list goes to ``listing``)."""
    if not rows:
        return
    counts = ", ".join(f"{n} {label}" for label, n in _count_by_label(rows).items())
    log.warning("%d sheet row%s left out, not preprocessed (%s); listed in %s", len(rows),
                "" if len(rows) == 1 else "s", counts, listing)
    for r in rows[:SKIPPED_SHOWN]:
        where = r["file"] if r.get("row") is None else f"{r['file']}, row {r['row']}"
        log.warning("  %s: %s left out: %s", where, r.get("clip") or "clip", r["reason"])
    if len(rows) > SKIPPED_SHOWN:
        log.warning("  … %d more in %s", len(rows) - SKIPPED_SHOWN, listing)


def _write_indexes(out_dir: Path, params: PreprocessParams, table: SampleTable, ordered: list[tuple[dict, dict]],
                   skipped_rows: Sequence[dict] = ()) -> None:
    """``samples.csv`` (this run's clips, plus earlier runs' clips of other databases made with
    the same parameters and classes), ``preprocess.json`` and the composite CSV."""
    rows = [{"dataset": t["dataset"], "subject": t["subject"], "clip": t["clip"], "label": t["label"], "y": t["y"],
             "onset": t["onset"], "apex": t["apex"], "offset": t["offset"], "apex_source": t["apex_source"],
             "emotion": t["emotion"], "au": t["au"], "npz": r["npz"], "flow_png": r.get("flow_png", ""),
             "face_jpg": r.get("face_jpg", "")} for t, r in ordered]
    new = pd.DataFrame(rows, columns=list(SAMPLE_COLUMNS))
    meta_path, samples_path = out_dir / "preprocess.json", out_dir / "samples.csv"
    meta = json.loads(json.dumps({"params": asdict(params), "classes": list(table.classes),
                                  "taxonomy": table.df.attrs.get("taxonomy", ""),  # tuples → lists, as read back
                                  "skipped": len(skipped_rows), "skipped_by_label": _count_by_label(skipped_rows)}))
    if samples_path.is_file() and meta_path.is_file():
        old_meta = json.loads(meta_path.read_text())
        if {k: old_meta.get(k) for k in ("params", "classes")} == {k: meta[k] for k in ("params", "classes")}:
            old = pd.read_csv(samples_path, dtype=str, keep_default_na=False)
            kept = old[~old["dataset"].isin(set(table.df["dataset"]))]
            if len(kept):
                log.info("samples.csv keeps %d clips of %s from earlier runs", len(kept), sorted(set(kept["dataset"])))
                new = pd.concat([kept, new.astype(str)], ignore_index=True)
        else:
            log.info("parameters or classes changed: samples.csv lists this run's clips only")
    new = new.astype(str).replace({"None": "", "<NA>": ""})
    atomic_write_text(samples_path, new.to_csv(index=False, lineterminator="\n"))
    atomic_write_json(meta_path, meta)
    write_composite_csv(out_dir, new)


#: The preprocessed folder as a :class:`SampleTable` (array kinds: see :func:`load_preprocessed`).
preprocessed_table = load_preprocessed
