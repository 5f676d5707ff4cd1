"""The whole `microexp analyse` on long simulated recordings: speed, memory and accuracy.

    python benchmarks/long_video.py --out runs/long_video

1. `microexp train` fits the recogniser on the MEGC2019 composite (``--root``; `--model svm`,
   with its leave-one-subject-out estimate for the page).
2. A learned long-video spotter is fitted on simulated training recordings of other synthetic
   people (``--train-subjects`` × 2 recordings of ``--train-minutes``; seed 3000).
3. Test recordings, simulated with seeds never used while developing (2000 +): a
   ``--minutes`` recording (default 10) at 30 fps, 640×480, and a ``--short-minutes`` one of the same
   kind (2), and a ``--fast-fps-seconds`` one at 200 fps.
4. Each is analysed by the `microexp analyse` command in its own process, with an empty feature
   cache: ``frames_per_s`` is the recording's frames over that process's wall time on this machine
   (2 cores); ``peak_rss_mib`` its peak resident memory (``wait4``), which must not grow with the
   recording's length (the 10-minute over the 2-minute ratio).
5. The spotted intervals are scored against the ground truth with the MEGC rules (one-to-one
   matching at IoU ≥ 0.5): micro, macro, overall F1, and the spot-then-recognise score of the
   micro-expressions (the recogniser's class against the simulated emotion class).

Ends with one JSON line. ``--fast`` shrinks everything for a test.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
TEST_SEED = 2000
TRAIN_SEED = 3000


def _microexp() -> str:
    return str(Path(sys.executable).parent / "microexp")


def _run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, output) of one command run as a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"command failed ({code}): {' '.join(cmd)}\n{out}")
    return wall, usage.ru_maxrss / 1024.0, out


#: ``--fast``: expressions as often as this, so that even seconds-long recordings hold some.
FAST_RATES = {"micro_per_minute": 12, "macro_per_minute": 6}


def _train_spotter(out: Path, subjects: int, minutes: float, fast: bool, echo) -> Path:
    from microexp.simulate.long_recording import simulate_recording, write_recording
    from microexp.spotting.learned import LongVideoSpotter
    from microexp.spotting.long_features import cached_features

    folder = out / "spotter"
    if (folder / "spotter.json").is_file():
        return folder
    feats, tables, groups = [], [], []
    for s in range(subjects):
        for v in range(2):
            rec = simulate_recording("casme_sq", seconds=minutes * 60, seed=TRAIN_SEED, subject_index=s,
                                     video_index=v, subject=f"t{s:02d}", video=f"v{v}", **(FAST_RATES if fast else {}))
            path = out / "train" / f"t{s:02d}_v{v}.mp4"
            truth = write_recording(path, rec) if not path.is_file() else rec.intervals
            feats.append(cached_features(path, 30.0, out / "cache_train"))
            tables.append(truth)
            groups.append(f"t{s:02d}")
    echo(f"training the spotter on {len(feats)} recordings of {subjects} synthetic people")
    spotter = LongVideoSpotter(steps=60 if fast else 400).fit(feats, tables, groups)
    return spotter.save(folder)


def _score(report: dict, truth: pd.DataFrame, rec) -> dict:
    from microexp.spotting.megc_metrics import spot_then_recognise, spotting_scores

    keys = {"dataset": rec.dataset, "subject": rec.subject, "video": rec.video}
    pred = pd.DataFrame([{**keys, "onset": i["onset"], "offset": i["offset"], "type": i["type"],
                          "emotion": i["label"] or ""} for i in report["intervals"]],
                        columns=[*keys, "onset", "offset", "type", "emotion"])
    true = truth.assign(emotion=truth["emotion_class"])
    scores = spotting_scores(pred, true)
    strs = spot_then_recognise(pred, true, classes=("negative", "positive", "surprise"))
    return {"micro_f1": scores["micro"]["f1"], "macro_f1": scores["macro"]["f1"],
            "overall_f1": scores["overall"]["f1"], "strs": strs["strs"], "strs_uf1": strs["strs_uf1"],
            "counts": {t: {k: scores[t][k] for k in ("tp", "fp", "fn")} for t in ("micro", "macro")}}


def main(argv: list[str] | None = None) -> dict:
    from microexp.datasets.shared_data import shared_data_path
    from microexp.identity import check_output_dir
    from microexp.simulate.long_recording import simulate_recording, write_recording

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=str(shared_data_path("megc2019")), help="the MEGC2019 composite")
    p.add_argument("--out", default="runs/long_video")
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--short-minutes", type=float, default=2.0)
    p.add_argument("--fast-fps-seconds", type=float, default=60.0, help="length of the 200 fps recording")
    p.add_argument("--train-subjects", type=int, default=4)
    p.add_argument("--train-minutes", type=float, default=2.0)
    p.add_argument("--fast", action="store_true", help="tiny sizes, for a test")
    args = p.parse_args(argv)
    if args.fast:
        args.minutes, args.short_minutes, args.fast_fps_seconds = 1 / 3, 1 / 6, 2.0
        args.train_subjects, args.train_minutes = 2, 1 / 12
    out = check_output_dir(args.out)
    echo = lambda s: print(s, file=sys.stderr)  # noqa: E731 - the last stdout line is the JSON

    model = out / "model"
    if not (model / "model.json").is_file():
        cmd = [_microexp(), "train", "--dataset", "megc2019", "--root", args.root, "--model", "svm", "--out", str(model),
               "--quiet"] + ([] if args.fast else ["--evaluate-loso"])
        _run_measured(cmd)
    spotter = _train_spotter(out, args.train_subjects, args.train_minutes, args.fast, echo)

    runs = {}
    plan = [("long", "casme_sq", args.minutes * 60, 30.0, TEST_SEED), ("short", "casme_sq", args.short_minutes * 60,
                                                                        30.0, TEST_SEED + 1),
            ("fps200", "samm_lv", args.fast_fps_seconds, 200.0, TEST_SEED + 2)]
    for name, profile, seconds, fps, seed in plan:
        video = out / "videos" / f"{name}.mp4"
        rates = FAST_RATES if args.fast else {}
        rec = simulate_recording(profile, seconds=seconds, fps=fps, seed=seed, subject="test", video=name, **rates)
        if video.is_file():  # the plan is deterministic: an earlier rendering of it is reused
            truth = rec.intervals
        else:
            echo(f"simulating {name}: {seconds / 60:.1f} min at {fps:g} fps")
            truth = write_recording(video, rec)
        report_dir = out / "reports" / name
        cache = out / f"cache_{name}_{time.time_ns()}"  # empty: the features are computed, not read
        cmd = [_microexp(), "analyse", str(video), "--model", str(model), "--spotter", str(spotter), "--out",
               str(report_dir), "--mode", "recording", "--cache-dir", str(cache)]
        wall, rss, _ = _run_measured(cmd)
        report = json.loads((report_dir / "report.json").read_text())
        frames = report["recording"]["frames"]
        runs[name] = {"frames": frames, "fps": fps, "minutes": round(frames / fps / 60, 3), "wall_s": round(wall, 1),
                      "frames_per_s": round(frames / wall, 1), "peak_rss_mib": round(rss, 1),
                      **_score(report, truth, rec), "report": str(report_dir / "index.html")}
        echo(f"{name}: {runs[name]['frames_per_s']} frames/s, {rss:.0f} MiB, overall F1 {runs[name]['overall_f1']:.3f}")

    sys.path.insert(0, str(HERE))
    from _browser import screenshot

    shot = screenshot(out / "reports" / "long" / "index.html", out / "screenshot.png", 1400, 1000)
    long_, short = runs["long"], runs["short"]
    summary = {
        "benchmark": "long_video", "seeds": {"test": [TEST_SEED, TEST_SEED + 1, TEST_SEED + 2], "train": TRAIN_SEED},
        "frames_per_s": long_["frames_per_s"], "minutes": long_["minutes"],
        "peak_rss_mib": {"long": long_["peak_rss_mib"], "short": short["peak_rss_mib"],
                         "ratio": round(long_["peak_rss_mib"] / short["peak_rss_mib"], 3)},
        "overall_f1": long_["overall_f1"], "micro_f1": long_["micro_f1"], "macro_f1": long_["macro_f1"],
        "strs": long_["strs"], "fps200": {k: runs["fps200"][k] for k in ("frames_per_s", "minutes", "overall_f1",
                                                                          "micro_f1", "peak_rss_mib")},
        "runs": runs, "report": long_["report"], "screenshot": None if shot is None else str(shot),
        "cores": os.cpu_count(),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
