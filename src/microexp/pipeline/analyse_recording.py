"""Analyse a whole recording: stream it, spot every micro- and macro-expression, recognise each
micro-expression, and write an interactive page.

``REPORT`` layout::

    index.html              the page (data embedded; opens from disk, fetches nothing)
    report.json             everything the page shows
    intervals.csv           the intervals in the CAS(ME)^3 long-video sheet layout (+ duration CSV)
    intervals/<id>/*.png    onset and apex faces, flow and strain of each interval

Memory stays bounded in the recording's length: frames are streamed twice (motion features, then
only the onset and apex frames of the spotted intervals, each pair encoded and dropped at once);
what is kept per frame is a few dozen floats. Features are cached by the recording's content, so a
second run over the same video skips the first pass. A report is written into a temporary folder
and moved into place when complete: a failed run leaves no half-written report.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError, FaceNotFoundError

#: The recogniser classifies micro-expressions only (the composite's classes are for micro-expressions).
RECOGNISED_TYPES = ("micro",)
#: An interval whose face was found (or carried from a detection) on less than this share of its
#: frames, or whose landmarks jump by more than :data:`JITTER_LIMIT` eye distances, is flagged.
TRACKED_SHARE_LIMIT = 0.8
JITTER_LIMIT = 0.15
#: A face box less than this share inside the frame is flagged as partly outside.
INSIDE_LIMIT = 0.95
#: The page draws at most this many signal points.
MAX_SIGNAL_POINTS = 4000
#: Side of the interval pictures on the page.
PICTURE_SIDE = 160


@dataclass
class RecordingResult:
    report_dir: Path
    report: dict

    @property
    def index_html(self) -> Path:
        return self.report_dir / "index.html"


def recording_fps(source: Path, fps: float | None) -> float:
    """The frame rate: given, else the video's; a frame folder needs it given (default 30)."""
    if fps:
        return float(fps)
    if source.is_file():
        import cv2

        cap = cv2.VideoCapture(str(source))
        if not cap.isOpened():
            raise DataError("cannot open as a video (missing, truncated, or a codec OpenCV lacks)", source)
        value = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        cap.release()
        if value > 0:
            return value
    return 30.0


#: The spotter ``microexp analyse`` uses unless told otherwise: the learned spotter fitted on
#: simulated recordings only (no real recording in it), shipped with the package; its
#: ``about.json`` says how it was made. See docs/analyse.md for the command that rebuilds it.
BUILTIN_SPOTTER = Path(__file__).resolve().parents[1] / "resources" / "spotter_sim"
def resolve_spotter(spotter: str | Path | None) -> Path | None:
    """The spotter folder ``spotter`` means: ``None`` or ``"builtin"`` → the packaged learned
    spotter, ``"training-free"`` → ``None`` (the training-free spotter), anything else → that
    folder (a folder literally named like a keyword is reached as ``./builtin``)."""
    if spotter is None or str(spotter) == "builtin":
        return BUILTIN_SPOTTER
    if str(spotter) == "training-free":
        return None
    return Path(spotter)


def load_spotter(spotter: str | Path | None):
    """The spotter ``spotter`` names (see :func:`resolve_spotter`) and what the page says of it."""
    folder = resolve_spotter(spotter)
    if folder is None:
        from ..spotting.long_baseline import TrainingFreeLongSpotter

        return TrainingFreeLongSpotter(tune=False), {"name": "training-free (MEGC baseline style)",
                                                     "trained_on": "nothing: fixed thresholds",
                                                     "description": "flow of t-k→t and t+k→t, head motion removed"}
    import json

    from ..spotting.learned import LongVideoSpotter

    spotter = LongVideoSpotter.load(folder)
    about = {}
    if (folder / "about.json").is_file():
        try:
            about = json.loads((folder / "about.json").read_text())
        except ValueError as exc:
            raise DataError(f"not JSON ({exc})", folder / "about.json") from exc
    return spotter, {"name": str(about.get("name", "learned (temporal network over ROI flow features)")),
                     "trained_on": str(about.get("trained_on", folder)),
                     "description": str(about.get("description",
                                                  "micro and macro heads, thresholds chosen on training subjects")),
                     **({"note": str(about["note"])} if "note" in about else {})}


def _signals(spotter, feats) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(spotter, "predict_proba"):
        proba = np.asarray(spotter.predict_proba(feats), dtype=float)
        return proba[:, 0], proba[:, 1]
    micro, _ = spotter.signals(feats, "micro")
    macro, _ = spotter.signals(feats, "macro")
    scale = lambda x: x / max(float(np.nanmax(x)), 1e-9)  # noqa: E731 - the page shows shapes, not units
    return scale(np.asarray(micro, float)), scale(np.asarray(macro, float))


def _gaps(feats) -> list[list[int]]:
    from ..spotting.long_features import LOST

    lost = np.asarray(feats.status) == LOST
    gaps, start = [], None
    for i, flag in enumerate(np.append(lost, False)):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            gaps.append([int(feats.to_frames(start, "onset")), int(feats.to_frames(i - 1, "offset"))])
            start = None
    return gaps


def _tracking(feats, onset: int, offset: int) -> tuple[float, list[str]]:
    from ..spotting.long_features import LOST

    rows = (feats.frame_index >= onset) & (feats.frame_index <= offset)
    if not rows.any():
        return 0.0, ["poor_tracking"]
    tracked = float(np.mean(np.asarray(feats.status)[rows] != LOST))
    jitter = np.asarray(feats.jitter)[rows]
    inside = np.asarray(feats.inside)[rows]
    flags = []
    if tracked < TRACKED_SHARE_LIMIT or (np.isfinite(jitter).any() and np.nanmax(jitter) > JITTER_LIMIT):
        flags.append("poor_tracking")
    if np.isfinite(inside).any() and np.nanmin(inside) < INSIDE_LIMIT:
        flags.append("face_partly_outside")
    return tracked, flags


def _encode_pairs(source: Path, intervals: pd.DataFrame, trained, out: Path) -> dict[int, dict]:
    """Second streaming pass: each interval's onset and apex frames → the model's encoding,
    pictures, and (micro) class scores; frames are dropped as soon as their pair is encoded."""
    from ..spotting.long_features import recording_frames

    enc = trained.encoding
    wanted: dict[int, list[tuple[int, str]]] = {}
    for i, r in intervals.iterrows():
        wanted.setdefault(int(r["onset"]), []).append((i, "onset"))
        wanted.setdefault(int(r["apex"]), []).append((i, "apex"))
    pending: dict[int, np.ndarray] = {}
    results: dict[int, dict] = {}
    last = max(wanted) if wanted else -1
    for t, frame in enumerate(recording_frames(source)):
        if t > last:
            break
        for i, role in wanted.get(t, ()):
            if role == "onset":
                pending[i] = frame
                continue
            onset = pending.pop(i, frame)
            results[i] = _encode_one(i, onset, frame, intervals.loc[i], trained, enc, out)
    for i in intervals.index:
        results.setdefault(i, {"error": "the recording ended before this interval's apex frame"})
    return results


def _encode_one(i: int, onset: np.ndarray, apex: np.ndarray, row, trained, enc: dict, out: Path) -> dict:
    import cv2

    from ..io import atomic_write_image
    from ..motion import decode_composite, flow_to_hsv_image, onset_apex_composite, scalar_to_image

    try:
        motion = onset_apex_composite([onset, apex], apex_idx=1, face_size=int(enc["face_size"]),
                                      method=str(enc["flow_method"]), size=int(enc["size"]))
    except FaceNotFoundError as exc:
        return {"error": f"no face in the onset frame ({exc})"}
    folder = Path("intervals") / f"{i:04d}"
    pictures = {"onset": motion["onset"], "apex": motion["apex"], "flow": flow_to_hsv_image(motion["flow"]),
                "strain": scalar_to_image(motion["strain"])}
    paths = {}
    for name, img in pictures.items():
        img = cv2.resize(np.asarray(img), (PICTURE_SIDE, PICTURE_SIDE), interpolation=cv2.INTER_AREA)
        rel = folder / f"{name}.png"
        atomic_write_image(out / rel, img)
        paths[name] = rel.as_posix()
    res: dict = {"pictures": paths, "max_flow_px": float(np.abs(motion["flow"]).max())}
    if row["type"] in RECOGNISED_TYPES:
        scores, kind = trained.scores(decode_composite(motion["composite"])[None])
        scores = scores[0]
        res["class_scores"] = {c: (None if not np.isfinite(s) else float(s)) for c, s in zip(trained.classes, scores)}
        res["label"] = trained.classes[int(np.nanargmax(scores))]
        res["score_kind"] = kind
    return res


def analyse_recording(source: str | Path, model_dir: str | Path, out: str | Path, *, spotter_dir=None,
                      fps: float | None = None, cache_dir: str | Path | None = None,
                      truth: pd.DataFrame | None = None, echo: Callable[[str], None] = print) -> RecordingResult:
    """Spot, recognise and report on a whole recording (see the module docstring).

    ``truth``: optional ground-truth intervals (``onset, offset, type`` in recording positions,
    optionally ``row`` of their sheet; :func:`.recording_truth.truth_for_recording` reads them from
    a long-video sheet): drawn as their own lane, each spotted interval marked with the one it
    matches, and the MEGC spotting scores against them on the page and in ``report.json``.
    Raises :class:`DataError` (nothing written) when the recording cannot be read or shows no face,
    or when a ground-truth interval lies outside the recording.
    """
    from ..datasets.long_videos import write_long_video_sheet
    from ..identity import check_output_dir
    from ..recognisers.model_folder import load_trained
    from ..report.recording_page import write_recording_page
    from ..spotting.long_features import cached_features

    source, out = Path(source), Path(out)
    trained = load_trained(model_dir)  # a bad model folder fails before any heavy work
    model_dir = trained.directory  # "builtin" → the packaged folder
    if trained.encoding.get("kind") != "megc2019_composite":
        raise ConfigError(f"model in {model_dir} eats {trained.encoding.get('kind')!r}; analyse computes the "
                          "u/v/strain composite only")
    spotter, spotter_info = load_spotter(spotter_dir)
    spotter_note = spotter_info.pop("note", None)
    fps = recording_fps(source, fps)
    check_output_dir(out.parent if out.parent != Path("") else Path("."), "report's parent folder")
    cache = Path(cache_dir) if cache_dir is not None else Path.home() / ".cache" / "microexp" / "features"
    t0 = time.perf_counter()
    echo(f"reading {source} ({fps:g} fps): face tracking and motion features")
    feats = cached_features(source, fps, cache)
    feature_s = time.perf_counter() - t0
    if len(feats) == 0:
        raise DataError("the recording holds no readable frame (empty or truncated)", source)
    from ..spotting.long_features import LOST

    tracked_share = float(np.mean(np.asarray(feats.status) != LOST))
    if tracked_share == 0:
        raise DataError("no face found in any frame of the recording", source)
    truth_notes: list[str] = []
    if truth is not None:
        from .recording_truth import check_truth_fits, score_against_truth

        truth = truth.reset_index(drop=True)
        truth_notes = check_truth_fits(truth, int(feats.n_frames))
    identity = recording_identity(source, model_dir, spotter_dir, fps, truth=truth)
    intervals = spotter.predict(feats).reset_index(drop=True)
    echo(f"spotted {int((intervals['type'] == 'micro').sum())} micro- and "
         f"{int((intervals['type'] == 'macro').sum())} macro-expression intervals")
    truth_scores, matches = score_against_truth(intervals, truth) if truth is not None else (None, {})
    if truth_scores is not None:
        echo("against the ground truth: " + ", ".join(
            f"{k} F1 {truth_scores[k]['f1']:.3f} (TP {truth_scores[k]['tp']} FP {truth_scores[k]['fp']} "
            f"FN {truth_scores[k]['fn']})" for k in ("micro", "macro")))

    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent if str(out.parent) else "."))
    try:
        encoded = _encode_pairs(source, intervals, trained, staging)
        rows, sheet_rows = [], []
        for i, r in intervals.iterrows():
            quality, flags = _tracking(feats, int(r["onset"]), int(r["offset"]))
            e = encoded.get(i, {})
            if "error" in e:
                flags = [*flags, "not_encoded"]
            rows.append({"id": int(i), "type": str(r["type"]), "onset": int(r["onset"]), "apex": int(r["apex"]),
                         "offset": int(r["offset"]), "score": float(r["score"]), "label": e.get("label"),
                         "class_scores": e.get("class_scores"), "aus": [], "tracking_quality": quality,
                         "flags": flags, "pictures": e.get("pictures", {}), "note": e.get("error", ""),
                         "truth_match": matches.get(int(i))})
            sheet_rows.append({"subject": "recording", "video": _safe_name(source.stem), "onset": int(r["onset"]),
                               "apex": int(r["apex"]), "offset": int(r["offset"]), "type": str(r["type"]),
                               "emotion": e.get("label") or "", "aus": "", "video_length": int(feats.n_frames),
                               "fps": fps, "first_frame": 0})
        sheet = pd.DataFrame(sheet_rows, columns=["subject", "video", "onset", "apex", "offset", "type", "emotion",
                                                  "aus", "video_length", "fps", "first_frame"])
        videos = pd.DataFrame([{"subject": "recording", "video": _safe_name(source.stem),
                                "video_length": int(feats.n_frames), "fps": fps}])
        write_long_video_sheet(sheet, staging / "intervals.csv", videos=videos, prefix="recording")
        micro, macro = _signals(spotter, feats)
        step = max(1, int(np.ceil(len(micro) / MAX_SIGNAL_POINTS)))
        card = trained.card
        loso, caption = held_out_estimate(card)
        report = {
            "title": f"Expressions in {source.name}",
            "recording": {"source": str(source), "frames": int(feats.n_frames), "fps": fps,
                          "duration_s": feats.n_frames / fps, **_frame_size(source)},
            "model": {"name": card["model"], "classes": list(trained.classes),
                      "trained_on": _trained_on(card), "loso": loso, "estimate_caption": caption,
                      "au_model": None},
            "spotter": spotter_info,
            "signal": {"frame_step": int(step * feats.step), "micro": _finite(micro[::step]),
                       "macro": _finite(macro[::step])},
            "tracking": {"face_found_fraction": tracked_share, "gaps": _gaps(feats)},
            "intervals": rows,
            "exports": {"csv": "intervals.csv", "json": "report.json"},
            "ground_truth": None if truth is None else [
                {"type": str(t["type"]), "onset": int(t["onset"]), "offset": int(t["offset"]),
                 "row": int(t["row"]) if "row" in truth.columns and pd.notna(t["row"]) else None}
                for _, t in truth.iterrows()],
            "truth_scores": truth_scores,
            "notes": _notes(card, tracked_share) + ([spotter_note] if spotter_note else []) + truth_notes,
            "timing": {"features_s": round(feature_s, 2), "total_s": round(time.perf_counter() - t0, 2),
                       "cached_features": feature_s < 1.0},
            "identity": identity,
        }
        write_recording_page(report, staging)
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    echo(f"report: {out / 'index.html'}")
    return RecordingResult(out, report)


def _publish(staging: Path, out: Path) -> None:
    """Move the finished report into place (replacing an earlier report of the same folder)."""
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"{out}: the report folder exists and is not a folder")
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "recording"


def _finite(values) -> list:
    return [None if not np.isfinite(v) else round(float(v), 4) for v in values]


def _frame_size(source: Path) -> dict:
    from ..spotting.long_features import recording_frames

    for frame in recording_frames(source):
        return {"width": int(frame.shape[1]), "height": int(frame.shape[0])}
    return {"width": 0, "height": 0}


def held_out_estimate(card: dict) -> tuple[dict | None, str | None]:
    """The recogniser's honest score on unseen people, from its card, and what it is: the
    leave-one-subject-out run's (``caption`` None), else, for a recogniser that saw no real sample
    (the built-in one), its scores on real samples it never saw."""
    loso = (card.get("loso") or {}).get("full")
    if loso is not None:
        return loso, None
    held = card.get("held_out") or {}
    if isinstance(held.get("full"), dict):
        return held["full"], (f"on {held.get('samples', '?')} real samples "
                              f"({str(held.get('dataset', '?')).upper()}), none seen in training")
    return None, None


def _trained_on(card: dict) -> str:
    from ..recognisers.model_folder import trained_on_simulation

    data = card.get("training_data") or {}
    if trained_on_simulation(card):
        return (f"simulated faces only: {data.get('samples', '?')} clips of {data.get('subjects', '?')} "
                "synthetic people, no real person")
    per_db = ", ".join(f"{k} {v.get('samples')}" for k, v in (data.get("per_database") or {}).items())
    return (f"{data.get('dataset', '?')}: {data.get('samples', '?')} samples of {data.get('subjects', '?')} subjects"
            + (f" ({per_db})" if per_db else ""))


def _notes(card: dict, tracked_share: float) -> list[str]:
    from ..recognisers.model_folder import trained_on_simulation

    if trained_on_simulation(card):
        notes = ["Micro-expression classes come from a recogniser that learned from simulated faces only; treat "
                 "them as suggestions for a FACS coder, not as findings. A recogniser trained on a database you "
                 "hold (microexp train) is closer to real laboratory data."]
    else:
        notes = ["Micro-expression classes come from a recogniser trained on cropped laboratory clips; on other "
                 "recordings treat them as suggestions for a FACS coder, not as findings."]
    if not card.get("loso") and not card.get("held_out"):
        notes.append("The recogniser was trained without a leave-one-subject-out estimate (microexp train "
                     "--evaluate-loso gives one).")
    if tracked_share < 1.0:
        notes.append(f"The face was tracked on {tracked_share:.1%} of the frames; gaps are shaded on the timeline.")
    return notes


def recording_identity(source: Path, model_dir, spotter_dir, fps: float, truth: pd.DataFrame | None = None) -> dict:
    """What a report was made from: the recording's content, the model card, the spotter, the
    frame rate, the ground truth given (its intervals) and the microexp version (a report is
    reused only when all are unchanged)."""
    import hashlib
    import json

    from ..identity import file_digest, package_version
    from ..spotting.long_features import recording_digest

    folder = resolve_spotter(spotter_dir)
    spotter = ("training-free" if folder is None  # a learned spotter is its settings and its weights
               else f"{file_digest(folder / 'spotter.json')}:{file_digest(folder / 'weights.pt')}")
    identity = {"recording": recording_digest(source), "model": file_digest(Path(model_dir) / "model.json"),
                "spotter": spotter, "fps": float(fps), "microexp_version": package_version()}
    if truth is not None:
        rows = [[int(r["onset"]), int(r["offset"]), str(r["type"])] for _, r in truth.iterrows()]
        identity["truth"] = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    return identity


def finished_report(out: Path, identity: dict) -> dict | None:
    """The report in ``out`` when it was made from exactly ``identity``, else None."""
    import json

    try:
        report = json.loads((out / "report.json").read_text())
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and report.get("identity") == identity else None


#: File suffixes taken as videos when a folder of recordings is analysed.
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg")


def recording_sources(source: str) -> list[Path]:
    """The recordings a ``source`` names: a glob pattern, a folder of videos, or one recording."""
    import glob

    if any(c in source for c in "*?["):
        found = sorted(Path(p) for p in glob.glob(source))
        if not found:
            raise DataError("no recording matches this pattern", source)
        return found
    path = Path(source)
    if path.is_dir() and not any(p.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp") for p in path.iterdir()):
        videos = sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
        if not videos:
            raise DataError("folder holds neither frames nor videos", path)
        return videos
    return [path]


def _analyse_task(data: dict, task: dict) -> dict:
    """One recording of many (runs in a worker); failures are reported, not raised."""
    from ..errors import MicroexpError

    out = Path(task["out"])
    try:
        truth = None
        if data.get("truth") is not None:  # each recording's own video of the sheet, found by its name
            from .recording_truth import truth_for_recording

            truth = truth_for_recording(data["truth"]["sheet"], Path(task["source"]),
                                        database=data["truth"]["database"], by_name_only=True)
        identity = recording_identity(Path(task["source"]), data["model"], data["spotter"],
                                      recording_fps(Path(task["source"]), data["fps"]), truth=truth)
        old = finished_report(out, identity)
        if old is not None:
            return {"status": "resumed", "report": _summary(old)}
        res = analyse_recording(task["source"], data["model"], out, spotter_dir=data["spotter"], fps=data["fps"],
                                cache_dir=data["cache_dir"], truth=truth, echo=lambda s: None)
        return {"status": "done", "report": _summary(res.report)}
    except MicroexpError as exc:
        return {"status": "failed", "error": str(exc)}


def _summary(report: dict) -> dict:
    ivs = report.get("intervals", [])
    return {"title": report.get("title"), "frames": report["recording"]["frames"], "fps": report["recording"]["fps"],
            "micro": sum(i["type"] == "micro" for i in ivs), "macro": sum(i["type"] == "macro" for i in ivs),
            "flagged": sum(bool(i.get("flags")) for i in ivs),
            "face_found_fraction": report["tracking"]["face_found_fraction"]}


def analyse_many(sources: list[Path], model_dir, out: str | Path, *, spotter_dir=None, fps: float | None = None,
                 cache_dir=None, backend: str = "local", jobs: int | None = None, address: str | None = None,
                 truth_sheet: str | Path | None = None, truth_database: str = "casme3_lv",
                 echo: Callable[[str], None] = print) -> Path:
    """One report per recording under ``out/<name>/`` plus ``out/index.html``; resumable per
    recording, run in local worker processes or on Ray. Returns the index page's path.
    ``truth_sheet``: a long-video sheet (layout ``truth_database``) holding each recording's
    video under the recording's name; a recording it does not hold fails with that message."""
    from ..evaluation.backends import run_tasks
    from ..identity import check_output_dir
    from ..recognisers.model_folder import load_trained

    model_dir = load_trained(model_dir).directory  # refuse a bad model folder before starting workers
    out = check_output_dir(out, "reports folder")
    names = _unique_names(sources)
    tasks = [{"key": name, "source": str(src), "out": str(out / name)} for src, name in zip(sources, names)]
    data = {"model": str(model_dir), "spotter": None if spotter_dir is None else str(spotter_dir), "fps": fps,
            "cache_dir": str(cache_dir) if cache_dir is not None else None,
            "truth": None if truth_sheet is None else {"sheet": str(truth_sheet), "database": truth_database}}
    results = {}
    for key, res in run_tasks(_analyse_task, data, tasks, backend=backend, jobs=jobs, address=address):
        results[key] = res
        echo(f"{key}: {res['status']}" + (f" ({res['error']})" if res["status"] == "failed" else ""))
    index = _write_index(out, tasks, results)
    echo(f"index: {index}")
    failed = [k for k, r in results.items() if r["status"] == "failed"]
    if failed and len(failed) == len(tasks):
        raise DataError(f"no recording could be analysed ({len(failed)} failed; see {index})", out)
    return index


def _unique_names(sources: list[Path]) -> list[str]:
    names, seen = [], {}
    for src in sources:
        base = _safe_name(src.stem if src.is_file() else src.name)
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def _write_index(out: Path, tasks: list[dict], results: dict) -> Path:
    from html import escape

    from ..io import atomic_write_json, atomic_write_text

    rows = []
    for t in tasks:
        r = results.get(t["key"], {"status": "failed", "error": "not run"})
        if r["status"] == "failed":
            rows.append(f"<tr><td>{escape(t['key'])}</td><td colspan=5 class=err>{escape(r['error'])}</td></tr>")
            continue
        s = r["report"]
        rows.append(f"<tr><td><a href=\"{escape(t['key'])}/index.html\">{escape(t['key'])}</a></td>"
                    f"<td>{s['frames']} @ {s['fps']:g} fps</td><td>{s['micro']}</td><td>{s['macro']}</td>"
                    f"<td>{s['flagged']}</td><td>{s['face_found_fraction']:.1%}</td></tr>")
    page = ("<!doctype html><meta charset=utf-8><title>Recordings</title>"
            "<style>body{font:14px system-ui,sans-serif;margin:2em}td,th{padding:.3em .8em;border-bottom:1px solid #ddd}"
            ".err{color:#a40}</style><h1>Recordings</h1><table><tr><th>recording</th><th>frames</th><th>micro</th>"
            "<th>macro</th><th>flagged</th><th>face tracked</th></tr>" + "".join(rows) + "</table>")
    atomic_write_json(out / "index.json", {t["key"]: results.get(t["key"]) for t in tasks})
    return atomic_write_text(out / "index.html", page)
