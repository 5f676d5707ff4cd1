"""Leave-one-subject-out spotting over long recordings: cached features, resumable folds, MEGC scores.

For every subject, the learned spotter (:mod:`.learned`) and the training-free one
(:mod:`.long_baseline`, its two settings tuned on the other subjects; ``baseline_default`` keeps
the defaults and needs no training data) are fitted on the OTHER subjects' recordings and
predict this subject's. Predictions of all folds are pooled and scored by
:func:`.megc_metrics.spotting_scores` (one-to-one matching, IoU >= 0.5, micro / macro / overall).

Resuming: features are cached per recording (:func:`.long_features.cached_features`: content
digest + settings); each finished fold is a JSON file in ``<out>/folds/`` holding a fingerprint
(:func:`microexp.identity.settings_digest` of the feature files, the ground truth, the spotter's
settings and the package version) and is reused only when the fingerprint matches.

Where work runs is the caller's choice: ``runner`` has the signature of
:func:`microexp.evaluation.backends.run_tasks` (``runner(fn, data, tasks)`` yielding
``(key, result)``); the default runs the tasks here, one after another.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .long_features import FeatureSettings, cached_features, feature_cache_key, load_features
from .megc_metrics import spotting_scores

#: Spotters a run can compare; ``baseline`` also yields ``baseline_default`` (untuned).
SPOTTERS = ("learned", "baseline")
#: Columns of the recordings table a run needs.
RECORDING_COLUMNS = ("dataset", "subject", "video", "source", "fps", "video_length", "first_frame")
PREDICTION_COLUMNS = ("dataset", "subject", "video", "onset", "apex", "offset", "type", "score")
FOLD_FORMAT = 1

Runner = Callable[[Callable, dict, list], Iterator[tuple[str, dict]]]


def run_here(fn: Callable, data: dict, tasks: list[dict]) -> Iterator[tuple[str, dict]]:
    """The default runner: every task in this process, in order."""
    for task in tasks:
        yield task["key"], fn(data, task)


def recording_key(dataset: str, subject: str, video: str) -> str:
    return f"{dataset}/{subject}/{video}"


def _check_recordings(recordings: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in RECORDING_COLUMNS if c not in recordings.columns]
    if missing:
        raise DataError(f"the recordings table lacks columns {missing} (needs {list(RECORDING_COLUMNS)})")
    if recordings.duplicated(["dataset", "subject", "video"]).any():
        raise DataError("the recordings table names a (dataset, subject, video) twice")
    return recordings.reset_index(drop=True)


# ------------------------------------------------------------------------------------- features
def _feature_task(data: dict, task: dict) -> dict:
    import cv2

    cv2.setNumThreads(1)
    settings = FeatureSettings(**data["settings"])
    cpu, wall = time.process_time(), time.perf_counter()
    feats = cached_features(task["source"], task["fps"], data["cache_dir"], settings)
    key = feature_cache_key(task["source"], task["fps"], settings)
    return {"path": str(Path(data["cache_dir"]) / f"{key}.npz"), "frames": int(feats.n_frames),
            "processed": len(feats), "cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}


def extract_features(recordings: pd.DataFrame, cache_dir: str | Path, settings: FeatureSettings | None = None,
                     runner: Runner = run_here, echo: Callable[[str], None] | None = None) -> dict[str, dict]:
    """Features of every recording (computed or read from ``cache_dir``): ``key → {'path',
    'frames', 'processed', 'cpu_s', 'wall_s'}`` (times 0-ish for cache hits)."""
    recordings = _check_recordings(recordings)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    settings = settings or FeatureSettings()
    tasks = [{"key": recording_key(r.dataset, r.subject, r.video), "source": str(r.source), "fps": float(r.fps)}
             for r in recordings.itertuples(index=False)]
    out = {}
    for key, result in runner(_feature_task, {"cache_dir": str(cache_dir), "settings": settings.to_dict()}, tasks):
        out[key] = result
        if echo:
            echo(f"features {key}: {result['frames']} frames, {result['cpu_s']:.1f} s CPU")
    return out


# ---------------------------------------------------------------------------------------- folds
def _truth_of(truth: pd.DataFrame, r: dict) -> pd.DataFrame:
    m = (truth["dataset"] == r["dataset"]) & (truth["subject"] == r["subject"]) & (truth["video"] == r["video"])
    return truth.loc[m, ["onset", "offset", "type", "first_frame"]]


def _fold_task(data: dict, task: dict) -> dict:
    from .learned import LongVideoSpotter
    from .long_baseline import TrainingFreeLongSpotter

    truth = pd.DataFrame.from_records(data["truth"], columns=["dataset", "subject", "video", "onset", "offset",
                                                                "type", "first_frame"])
    recs = data["recordings"]
    train = [r for r in recs if r["subject"] != task["subject"]]
    test = [r for r in recs if r["subject"] == task["subject"]]
    feats = {r["key"]: load_features(r["path"]) for r in train + test}
    args = ([feats[r["key"]] for r in train], [_truth_of(truth, r) for r in train], [r["subject"] for r in train])
    models: dict = {}
    if task["spotter"] == "learned":
        models["learned"] = LongVideoSpotter(**data["learned"]).fit(*args)
    else:
        models["baseline"] = TrainingFreeLongSpotter(**data["baseline"]).fit(*args)
        models["baseline_default"] = TrainingFreeLongSpotter(**{**data["baseline"], "tune": False})
    preds: dict[str, list] = {name: [] for name in models}
    scores = {}
    for r in test:
        f = feats[r["key"]]
        for name, model in models.items():
            p = model.predict(f)
            for row in p.itertuples(index=False):
                preds[name].append([r["dataset"], r["subject"], r["video"], int(row.onset) + r["first_frame"],
                                    int(row.apex) + r["first_frame"], int(row.offset) + r["first_frame"], row.type,
                                    float(row.score)])
        if "learned" in models:
            scores[r["key"]] = models["learned"].predict_proba(f)
    settings = {}
    if "learned" in models:
        settings = {"thresholds": models["learned"].thresholds_, "inner_scores": models["learned"].inner_scores_}
    if "baseline" in models:
        settings = {"baseline": models["baseline"].settings_}
    return {"predictions": preds, "settings": settings, "scores": scores}


def _fold_path(out: Path, spotter: str, subject: str) -> Path:
    return out / "folds" / f"{spotter}_{subject}.json"


def run_folds(recordings: pd.DataFrame, truth: pd.DataFrame, features: dict[str, dict], out: str | Path, *,
              spotters=SPOTTERS, learned: dict | None = None, baseline: dict | None = None,
              runner: Runner = run_here, echo: Callable[[str], None] | None = None) -> dict:
    """Leave-one-subject-out folds (resumed from ``<out>/folds`` when unchanged).

    Returns ``{'predictions': {name: DataFrame}, 'folds': {spotter: {subject: settings}},
    'resumed': n, 'computed': n}``; ``<out>/folds/<spotter>_<subject>_scores.npz`` holds the
    learned spotter's frame scores of each test recording.
    """
    from ..identity import package_version, settings_digest
    from ..io import atomic_write_json, atomic_write_npz

    recordings = _check_recordings(recordings)
    bad = sorted(set(spotters) - set(SPOTTERS))
    if bad or not spotters:
        raise ConfigError(f"spotters must be among {SPOTTERS}, got {list(spotters)}")
    subjects = sorted(set(recordings["subject"].astype(str)))
    if len(subjects) < 2:
        raise DataError(f"leave-one-subject-out needs at least two subjects, got {subjects}")
    out = Path(out)
    recs = []
    for r in recordings.itertuples(index=False):
        key = recording_key(r.dataset, r.subject, r.video)
        if key not in features:
            raise DataError(f"no features for recording {key}")
        recs.append({"key": key, "dataset": str(r.dataset), "subject": str(r.subject), "video": str(r.video),
                     "path": features[key]["path"], "first_frame": int(r.first_frame)})
    truth_records = [[str(a), str(b), str(c), int(d), int(e), str(f), int(g)] for a, b, c, d, e, f, g in
                     truth[["dataset", "subject", "video", "onset", "offset", "type", "first_frame"]].itertuples(
                         index=False, name=None)]
    data = {"recordings": recs, "truth": truth_records, "learned": dict(learned or {}), "baseline": dict(baseline or {})}
    fingerprint = {s: settings_digest({"format": FOLD_FORMAT, "features": sorted(Path(r["path"]).name for r in recs),
                                       "keys": sorted(r["key"] for r in recs), "truth": sorted(truth_records),
                                       "settings": data[s], "version": package_version()}) for s in spotters}
    results: dict[tuple[str, str], dict] = {}
    tasks = []
    for s in spotters:
        for subject in subjects:
            path = _fold_path(out, s, subject)
            try:
                stored = json.loads(path.read_text())
            except (OSError, ValueError):
                stored = None
            if stored and stored.get("fingerprint") == fingerprint[s]:
                results[(s, subject)] = stored
            else:
                tasks.append({"key": f"{s}:{subject}", "spotter": s, "subject": subject})
    resumed = len(results)
    for key, res in runner(_fold_task, data, tasks):
        s, subject = key.split(":", 1)
        scores = res.pop("scores", {})
        if scores:
            atomic_write_npz(_fold_path(out, s, subject).with_name(f"{s}_{subject}_scores.npz"),
                             **{k.replace("/", "|"): v for k, v in scores.items()})
        stored = {"fingerprint": fingerprint[s], "spotter": s, "subject": subject, **res}
        atomic_write_json(_fold_path(out, s, subject), stored)
        results[(s, subject)] = stored
        if echo:
            echo(f"fold {s} / test subject {subject} done")
    predictions: dict[str, list] = {}
    for _, stored in sorted(results.items()):
        for name, rows in stored["predictions"].items():
            predictions.setdefault(name, []).extend(rows)
    tables = {name: _prediction_table(rows) for name, rows in predictions.items()}
    folds = {s: {subject: results[(s, subject)]["settings"] for subject in subjects} for s in spotters}
    return {"predictions": tables, "folds": folds, "resumed": resumed, "computed": len(tasks)}


def _prediction_table(rows: list) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(PREDICTION_COLUMNS))
    for c in ("onset", "apex", "offset"):
        df[c] = df[c].astype("int64")
    df["score"] = df["score"].astype(float)
    return df.sort_values(["dataset", "subject", "video", "onset", "type"]).reset_index(drop=True)


def fold_scores(out: str | Path, spotter: str, subject: str) -> dict[str, np.ndarray]:
    """Frame scores ``(T, 2)`` of the test recordings of one fold, by recording key."""
    path = _fold_path(Path(out), spotter, subject).with_name(f"{spotter}_{subject}_scores.npz")
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as a:
        return {k.replace("|", "/"): a[k] for k in a.files}


# -------------------------------------------------------------------------------------- scoring
def challenge_table(predictions: dict[str, pd.DataFrame], truth: pd.DataFrame,
                    videos: pd.DataFrame | None = None) -> dict[str, dict]:
    """MEGC spotting scores of each spotter's pooled predictions: ``{name: {'micro': {tp, fp,
    fn, precision, recall, f1}, 'macro': …, 'overall': …}}``."""
    return {name: spotting_scores(pred, truth, videos=videos) for name, pred in predictions.items()}


def run_loso(recordings: pd.DataFrame, truth: pd.DataFrame, out: str | Path, *, cache_dir: str | Path | None = None,
             spotters=SPOTTERS, settings: FeatureSettings | None = None, learned: dict | None = None,
             baseline: dict | None = None, runner: Runner = run_here, echo: Callable[[str], None] | None = None,
             videos: pd.DataFrame | None = None) -> dict:
    """Features, folds and the challenge table in one call (see the module docstring).

    ``recordings``: one row per recording with :data:`RECORDING_COLUMNS` (``source``: a video
    file or a frame folder); ``truth``: the interval table of :mod:`microexp.datasets.long_videos`.
    Returns :func:`run_folds`'s dict plus ``features`` and ``metrics`` (:func:`challenge_table`).
    """
    out = Path(out)
    started = time.perf_counter()
    features = extract_features(recordings, cache_dir or out / "features", settings, runner, echo)
    feature_s = time.perf_counter() - started
    res = run_folds(recordings, truth, features, out, spotters=spotters, learned=learned, baseline=baseline,
                    runner=runner, echo=echo)
    res["features"] = features
    res["metrics"] = challenge_table(res["predictions"], truth, videos)
    res["seconds"] = {"features": feature_s, "folds": time.perf_counter() - started - feature_s}
    return res


__all__ = ["PREDICTION_COLUMNS", "RECORDING_COLUMNS", "SPOTTERS", "challenge_table", "extract_features",
           "fold_scores", "recording_key", "run_folds", "run_here", "run_loso"]
