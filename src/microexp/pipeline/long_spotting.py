"""``microexp spot-long`` as a job: find the recordings, run leave-one-subject-out spotting on
worker processes (or Ray), write the results directory.

Written under ``--out``: ``intervals_<spotter>.csv`` (every spotted interval in CAS(ME)^3's sheet
layout, :func:`microexp.datasets.long_videos.write_long_video_sheet`, read back by
``load_casme3_lv``), ``metrics.json`` (the MEGC challenge table per spotter: micro / macro /
overall TP FP FN precision recall F1), ``plots/<subject>_<video>.png`` (frame scores, true and
spotted intervals), ``config.yaml`` (reproduces the run with ``--config``), ``features/`` (the
per-recording feature cache) and ``folds/`` (one JSON per spotter and test subject; a re-run
resumes from them).

Where recordings are looked for:

* ``simulated``: a folder written by ``microexp simulate-long`` (``cas3_longvideo_intervals.csv``
  and ``videos/<subject>/<video>.mp4`` or ``frames/<subject>/<video>/0.jpg …``);
* ``casme_sq``, ``samm_lv``, ``casme3_lv``: the databases' frame folders under ``--root`` in the
  layouts of :data:`FRAME_LAYOUTS` (see :func:`microexp.datasets.long_videos.video_frame_paths`),
  the coding sheets under ``--annotations`` (default: ``--root``).
"""
from __future__ import annotations

import dataclasses
import re
import time
from functools import partial
from pathlib import Path
from typing import Callable, ClassVar

import pandas as pd

from ..config import ConfigModel
from ..errors import ConfigError, DataError

#: ``--dataset`` values.
LONG_DATASETS = ("simulated", "casme_sq", "samm_lv", "casme3_lv")
SPOTTER_CHOICES = ("learned", "baseline", "both")
#: Frame layouts the real databases are read in (``<root>`` is ``--root``).
FRAME_LAYOUTS = {
    "casme_sq": "<root>/rawpic/s15/15_0101disgustingteeth/img1.jpg, img2.jpg, … (or <root>/s15/<video>/)",
    "samm_lv": "<root>/SAMM_longvideos/007_6/007_6_0001.jpg, … (or <root>/007_6/)",
    "casme3_lv": "<root>/part_A/spNO.1/a/color/0.jpg, 1.jpg, … (part_A/ and color/ optional)",
}


@dataclasses.dataclass
class LongSpottingConfig(ConfigModel):
    """Settings of one ``spot-long`` run; ``features``, ``learned`` and ``baseline`` override the
    defaults of :class:`~microexp.spotting.long_features.FeatureSettings`,
    :class:`~microexp.spotting.learned.LongVideoSpotter` and
    :class:`~microexp.spotting.long_baseline.TrainingFreeLongSpotter`."""

    KIND: ClassVar[str] = "long-video spotting config"
    INFORMATIONAL: ClassVar[tuple[str, ...]] = ("version",)

    dataset: str = "simulated"
    root: str = ""
    annotations: str = ""
    spotter: str = "both"
    features: dict = dataclasses.field(default_factory=dict)
    learned: dict = dataclasses.field(default_factory=dict)
    baseline: dict = dataclasses.field(default_factory=dict)
    plots: int = 12

    def validate(self, source: str) -> None:
        from ..spotting.learned import LongVideoSpotter
        from ..spotting.long_baseline import TrainingFreeLongSpotter
        from ..spotting.long_features import FeatureSettings

        if self.dataset not in LONG_DATASETS:
            raise ConfigError(f"{source}: dataset {self.dataset!r} is not one of {', '.join(LONG_DATASETS)}")
        if self.spotter not in SPOTTER_CHOICES:
            raise ConfigError(f"{source}: spotter {self.spotter!r} is not one of {', '.join(SPOTTER_CHOICES)}")
        known = {"features": set(FeatureSettings.__dataclass_fields__), "learned": set(LongVideoSpotter._PARAMS),
                 "baseline": set(TrainingFreeLongSpotter().get_params())}
        for part, names in known.items():
            unknown = sorted(set(getattr(self, part)) - names)
            if unknown:
                raise ConfigError(f"{source}: unknown {part} settings {unknown}; known: {', '.join(sorted(names))}")

    @property
    def spotters(self) -> tuple[str, ...]:
        return ("learned", "baseline") if self.spotter == "both" else (self.spotter,)


# ----------------------------------------------------------------------------------- recordings
def simulated_recordings(root: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(recordings, truth)`` of a folder written by ``microexp simulate-long``."""
    from ..datasets.long_videos import videos_of
    from ..simulate.long_dataset import load_simulated_long, video_path

    root = Path(root)
    truth = load_simulated_long(root)
    rows = []
    for v in videos_of(truth).itertuples(index=False):
        candidates = [video_path(root, v.subject, v.video, "mp4"), video_path(root, v.subject, v.video, "frames")]
        source = next((c for c in candidates if c.exists()), None)
        if source is None:
            raise DataError(f"no recording for subject {v.subject} video {v.video} (looked for "
                            f"{candidates[0]} and the frame folder {candidates[1]})", root)
        rows.append((v.dataset, v.subject, v.video, str(source), float(v.fps), int(v.video_length), int(v.first_frame)))
    return _recording_table(rows), truth


def database_recordings(name: str, root: str | Path, annotations: str | Path | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(recordings, truth)`` of a real database: sheets under ``annotations`` (default ``root``),
    frame folders under ``root`` in the layout of :data:`FRAME_LAYOUTS`."""
    from ..datasets.long_videos import load_long_video_intervals, video_frame_paths, videos_of

    root = Path(root)
    truth = load_long_video_intervals(name, annotations or root)
    rows = []
    for v in videos_of(truth).itertuples(index=False):
        try:
            paths = video_frame_paths(name, root, v.subject, v.video)
        except DataError as exc:
            raise DataError(f"{name}: frames are expected as {FRAME_LAYOUTS[name]}; {exc}") from exc
        rows.append((v.dataset, v.subject, v.video, str(paths[0].parent), float(v.fps), int(v.video_length),
                     int(v.first_frame)))
    return _recording_table(rows), truth


def _recording_table(rows: list) -> pd.DataFrame:
    from ..spotting.long_run import RECORDING_COLUMNS

    return pd.DataFrame(rows, columns=list(RECORDING_COLUMNS))


def load_recordings(cfg: LongSpottingConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not cfg.root:
        raise ConfigError("no data folder: give --root")
    if cfg.dataset == "simulated":
        return simulated_recordings(cfg.root)
    return database_recordings(cfg.dataset, cfg.root, cfg.annotations or None)


# -------------------------------------------------------------------------------------- outputs
def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))


def write_interval_sheet(predictions: pd.DataFrame, recordings: pd.DataFrame, path: Path, prefix: str) -> Path:
    """Spotted intervals in CAS(ME)^3's sheet layout (plus ``score`` in a side CSV)."""
    from ..datasets.long_videos import write_long_video_sheet

    videos = recordings.loc[:, ["dataset", "subject", "video", "video_length", "fps",
                                                    "first_frame"]]
    table = predictions.merge(videos, on=["dataset", "subject", "video"], how="left")
    table["aus"], table["emotion"] = "", ""
    return write_long_video_sheet(table, path, videos=videos, prefix=prefix)


def _plot_recordings(out: Path, res: dict, recordings: pd.DataFrame, truth: pd.DataFrame, cfg: LongSpottingConfig,
                     limit: int) -> list[str]:
    from ..spotting.learned import truth_intervals
    from ..spotting.long_baseline import TrainingFreeLongSpotter
    from ..spotting.long_features import load_features
    from ..spotting.long_plots import plot_recording_spotting
    from ..spotting.long_run import fold_scores, recording_key

    written = []
    scores_cache: dict[str, dict] = {}
    for r in recordings.head(max(0, limit)).itertuples(index=False):
        key = recording_key(r.dataset, r.subject, r.video)
        feats = load_features(res["features"][key]["path"])
        frames = feats.frame_index + int(r.first_frame)
        curves = {}
        if "learned" in cfg.spotters:
            if r.subject not in scores_cache:
                scores_cache[r.subject] = fold_scores(out, "learned", r.subject)
            p = scores_cache[r.subject].get(key)
            if p is not None:
                curves["learned micro"], curves["learned macro"] = p[:, 0], p[:, 1]
        base = TrainingFreeLongSpotter(**cfg.baseline)
        for t in ("micro", "macro"):
            curves[f"baseline signal {t}"] = base.signals(feats, t)[0]
        m = (truth["dataset"] == r.dataset) & (truth["subject"] == r.subject) & (truth["video"] == r.video)
        true = {t: [(a + int(r.first_frame), b + int(r.first_frame)) for a, b in spans]
                for t, spans in truth_intervals(truth[m]).items()}
        preds = {}
        for name, df in res["predictions"].items():
            d = df[(df["dataset"] == r.dataset) & (df["subject"] == r.subject) & (df["video"] == r.video)]
            preds[name] = {t: list(zip(g["onset"], g["offset"])) for t, g in d.groupby("type")}
        thresholds = res["folds"].get("learned", {}).get(r.subject, {}).get("thresholds")
        path = out / "plots" / f"{_safe(r.subject)}_{_safe(r.video)}.png"
        plot_recording_spotting(path, frames, curves, true, preds, thresholds=thresholds, fps=float(r.fps),
                                title=f"{r.dataset} {r.subject}/{r.video}")
        written.append(str(path.relative_to(out)))
    return written


def run_spot_long(cfg: LongSpottingConfig, out: str | Path, *, jobs: int | None = None, backend: str = "local",
                  address: str | None = None, echo: Callable[[str], None] = print) -> dict:
    """Run ``cfg`` into ``out`` (see the module docstring); returns the metrics written."""
    from ..evaluation.backends import BACKENDS, run_tasks
    from ..identity import check_output_dir, package_version
    from ..io import atomic_write_json
    from ..spotting.long_features import FeatureSettings
    from ..spotting.long_run import run_loso

    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    out = check_output_dir(out, "results folder")
    started = time.perf_counter()
    recordings, truth = load_recordings(cfg)
    cfg.save(out / "config.yaml", version=package_version())
    settings = FeatureSettings(**cfg.features)
    runner = partial(run_tasks, backend=backend, jobs=jobs, address=address)
    res = run_loso(recordings, truth, out, spotters=cfg.spotters, settings=settings, learned=cfg.learned,
                   baseline=cfg.baseline, runner=runner, echo=echo)
    sheets = {}
    for name, pred in res["predictions"].items():
        path = write_interval_sheet(pred, recordings, out / f"intervals_{name}.csv", prefix=cfg.dataset)
        sheets[name] = path.name
    plots = _plot_recordings(out, res, recordings, truth, cfg, cfg.plots)
    feats = res["features"].values()
    processed = sum(f["processed"] for f in feats)
    cpu = sum(f["cpu_s"] for f in feats)
    metrics = {
        "dataset": cfg.dataset, "recordings": len(recordings), "subjects": int(recordings["subject"].nunique()),
        "minutes": float((recordings["video_length"] / recordings["fps"]).sum() / 60.0),
        "intervals": {t: int((truth["type"] == t).sum()) for t in ("micro", "macro")},
        "spotters": res["metrics"],
        "folds": res["folds"], "folds_resumed": res["resumed"], "folds_computed": res["computed"],
        "features": {"frames": int(sum(f["frames"] for f in feats)), "processed_frames": int(processed),
                     "extraction_cpu_s": round(cpu, 2),
                     "processed_frames_per_cpu_s": round(processed / cpu, 1) if cpu > 0 else None},
        "seconds": {**{k: round(v, 2) for k, v in res["seconds"].items()},
                    "total": round(time.perf_counter() - started, 2)},
        "sheets": sheets, "plots": plots, "version": package_version(),
    }
    atomic_write_json(out / "metrics.json", metrics)
    echo(format_challenge_table(res["metrics"], title=f"{cfg.dataset}: {len(recordings)} recordings, "
                                                      f"{metrics['subjects']} subjects, leave-one-subject-out"))
    echo(f"results: {out}")
    return metrics


def format_challenge_table(table: dict[str, dict], title: str = "") -> str:
    """The MEGC table as text: one line per spotter and type."""
    lines = [title] if title else []
    lines.append(f"{'spotter':<18}{'type':<9}{'TP':>5}{'FP':>6}{'FN':>6}{'P':>8}{'R':>8}{'F1':>8}")
    for name, scores in table.items():
        for t in ("micro", "macro", "overall"):
            s = scores[t]
            lines.append(f"{name:<18}{t:<9}{s['tp']:>5}{s['fp']:>6}{s['fn']:>6}{s['precision']:>8.3f}"
                         f"{s['recall']:>8.3f}{s['f1']:>8.3f}")
    return "\n".join(lines)


__all__ = ["FRAME_LAYOUTS", "LONG_DATASETS", "LongSpottingConfig", "database_recordings", "format_challenge_table",
           "load_recordings", "run_spot_long", "simulated_recordings", "write_interval_sheet"]


def fit_deployable_spotter(cfg: LongSpottingConfig, features_dir: str | Path, save_dir: str | Path,
                           echo: Callable[[str], None] = print) -> Path:
    """Fit the learned spotter on EVERY recording of ``cfg`` (no test subject: this is the spotter
    ``microexp analyse --spotter`` uses; its leave-one-subject-out scores are the run's metrics)
    and save it in ``save_dir``."""
    from ..spotting.learned import LongVideoSpotter
    from ..spotting.long_features import FeatureSettings, cached_features
    from ..spotting.long_run import _truth_of

    recordings, truth = load_recordings(cfg)
    settings = FeatureSettings(**cfg.features)
    feats, tables, groups = [], [], []
    for r in recordings.to_dict("records"):
        feats.append(cached_features(r["source"], float(r["fps"]), features_dir, settings))
        tables.append(_truth_of(truth, r))
        groups.append(str(r["subject"]))
    echo(f"fitting the deployable spotter on all {len(feats)} recordings of {len(set(groups))} subjects")
    return LongVideoSpotter(**cfg.learned).fit(feats, tables, groups).save(save_dir)
