"""Throughput of onset->apex motion: align + TV-L1 + strain vs the bare OpenCV TV-L1 calls.

    python benchmarks/flow_throughput.py [--frames ../shared/data/casme2-sample] [--clips 36]

A *clip* here is one onset->apex pair of full-size frames. The measured pipeline is
``microexp.motion.clip_motion`` at 128x128: face detection + 68 landmarks on the onset frame,
one similarity transform warping both frames, TV-L1 flow, optical strain. The bare baseline is
``cv2.optflow.DualTVL1OpticalFlow.calc`` alone on the same, already aligned 128x128 frames.
Both run in a ``multiprocessing.Pool(2)`` of single-threaded workers that build their solver /
load dlib once before timing; each is timed ``--repeats`` times, interleaved, and the median is
reported, as wall-clock clips/s and as worker CPU time per clip (steadier on a shared machine).
Frames: the ten CASME II sample frames (onset 001, apexes 002..010, and their mirror
images), or smooth random textures when the folder is absent. Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from microexp.io import atomic_write_json, atomic_write_text, read_image  # noqa: E402

_CLIPS: list = []
_ALIGNED: list = []
_SIZE = 128


def _worker_init(clips, aligned, size) -> None:
    """Per worker: single-threaded OpenCV, solver built and dlib loaded once, before timing."""
    global _CLIPS, _ALIGNED, _SIZE
    import cv2

    cv2.setNumThreads(1)
    _CLIPS, _ALIGNED, _SIZE = clips, aligned, size
    _pipeline(0)
    _bare(0)


def _pipeline(i: int) -> float:
    """CPU seconds this worker spent on clip ``i``."""
    from microexp.motion import clip_motion

    started = time.process_time()
    onset, apex = _CLIPS[i]
    clip_motion([onset, apex], onset_idx=0, apex_idx=1, size=_SIZE, method="tvl1", align=True)
    return time.process_time() - started


_SOLVER = None


def _bare(i: int) -> float:
    global _SOLVER
    import cv2

    started = time.process_time()
    if _SOLVER is None:
        _SOLVER = cv2.optflow.DualTVL1OpticalFlow_create()
    onset, apex = _ALIGNED[i]
    _SOLVER.calc(onset, apex, None)
    return time.process_time() - started


def load_clips(folder: Path, n_clips: int) -> tuple[list, str]:
    frames = []
    if folder.is_dir():
        frames = [read_image(p, mode="rgb") for p in sorted(folder.glob("*.jpg"))]
    if len(frames) >= 2:
        source = f"{folder} ({len(frames)} frames)"
        pairs = [(frames[0], f) for f in frames[1:]]
        pairs += [(np.ascontiguousarray(a[:, ::-1]), np.ascontiguousarray(b[:, ::-1])) for a, b in pairs]
    else:
        import cv2

        rng = np.random.default_rng(0)
        source = "synthetic smooth textures 340x280 (no face: whole-frame fallback)"
        pairs = []
        for _ in range(8):
            base = cv2.GaussianBlur(rng.uniform(0, 255, (340, 284)).astype(np.float32), (0, 0), 3)
            base = cv2.normalize(base, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
            pairs.append((np.dstack([base[:, 2:282]] * 3), np.dstack([base[:, 1:281]] * 3)))
    clips = [pairs[i % len(pairs)] for i in range(n_clips)]
    return clips, source


def timed_map(pool, fn, n: int) -> tuple[float, float]:
    """(wall seconds, summed worker CPU seconds) for ``n`` clips."""
    started = time.perf_counter()
    cpu = pool.map(fn, range(n), chunksize=1)
    return time.perf_counter() - started, float(sum(cpu))


def main() -> None:
    import multiprocessing as mp

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "casme2-sample"))
    ap.add_argument("--clips", type=int, default=36)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="runs/benchmarks/flow_throughput")
    args = ap.parse_args()

    from microexp.motion import clip_motion

    clips, source = load_clips(Path(args.frames), args.clips)
    # the bare baseline gets exactly the frames the pipeline hands to TV-L1
    aligned = []
    for onset, apex in clips:
        out = clip_motion([onset, apex], apex_idx=1, size=args.size)
        aligned.append((out["onset"], out["apex"]))

    pipeline_s, bare_s, pipeline_cpu, bare_cpu = [], [], [], []
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(args.workers, initializer=_worker_init, initargs=(clips, aligned, args.size)) as pool:
        pool.map(_bare, range(args.workers), chunksize=1)  # every worker initialised
        for _ in range(args.repeats):
            wall, cpu = timed_map(pool, _bare, len(clips))
            bare_s.append(wall)
            bare_cpu.append(cpu)
            wall, cpu = timed_map(pool, _pipeline, len(clips))
            pipeline_s.append(wall)
            pipeline_cpu.append(cpu)

    clips_per_s = len(clips) / statistics.median(pipeline_s)
    bare_clips_per_s = len(clips) / statistics.median(bare_s)
    metrics = {
        "clips_per_s": round(clips_per_s, 3),
        "bare_clips_per_s": round(bare_clips_per_s, 3),
        "overhead_ratio": round(bare_clips_per_s / clips_per_s, 3),
        # CPU time is what the cores spent on our work; unlike wall time it barely moves when
        # other jobs share the machine
        "cpu_overhead_ratio": round(statistics.median(pipeline_cpu) / statistics.median(bare_cpu), 3),
        "cpu_ms_per_clip": round(1000 * statistics.median(pipeline_cpu) / len(clips), 1),
        "bare_cpu_ms_per_clip": round(1000 * statistics.median(bare_cpu) / len(clips), 1),
        "clip": "one onset->apex pair; pipeline = detect + landmarks + align 2 frames + TV-L1 + strain",
        "clips": len(clips), "size": args.size, "workers": args.workers, "repeats": args.repeats,
        "pipeline_seconds": [round(s, 3) for s in pipeline_s],
        "bare_seconds": [round(s, 3) for s in bare_s],
        "frames": source, "cpu_count": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2),
        "machine": platform.machine(), "out": args.out,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.yaml", "".join(f"{k}: {json.dumps(v)}\n" for k, v in vars(args).items()))
    atomic_write_json(out / "metrics.json", metrics)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
