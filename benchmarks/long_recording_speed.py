"""How fast are long simulated recordings made? Frames per second of the streaming generator.

    taskset -c 0 python benchmarks/long_recording_speed.py [--seconds 20] [--size 640x480]
        [--profiles casme_sq samm_lv] [--rate-factor 1] [--write]

For each profile it plans a recording (CAS(ME)^2-like at 30 fps, SAMM-LV-like at 200 fps) with
the expression rates of the real sheets (times ``--rate-factor``: 10 makes faces move most of
the time, the slow case) and iterates over every frame. OpenCV runs single-threaded; ``taskset -c 0`` pins the process to
one core. Reported: frames/s by wall clock and by CPU time of the process (the two differ when
other processes share the core), and, with ``--write``, the same with mp4 encoding to a
temporary file. Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _measure(recording, write: bool) -> dict:
    from microexp.simulate.long_recording import write_recording

    wall, cpu = time.perf_counter(), time.process_time()
    if write:
        with tempfile.TemporaryDirectory() as tmp:
            write_recording(Path(tmp) / "recording.mp4", recording)
    else:
        for _ in recording.frames("bgr"):
            pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = recording.n_frames
    return {"frames": n, "wall_fps": round(n / wall, 1), "cpu_fps": round(n / cpu, 1)}


def main(argv=None) -> dict:
    import cv2

    from microexp.simulate.long_recording import simulate_recording
    from microexp.simulate.long_schedule import recording_profile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--size", default="640x480", help="frame size WIDTHxHEIGHT")
    ap.add_argument("--profiles", nargs="+", default=["casme_sq", "samm_lv"])
    ap.add_argument("--rate-factor", type=float, default=1.0, help="expression rates times this")
    ap.add_argument("--write", action="store_true", help="also time writing an mp4")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    width, height = (int(v) for v in args.size.lower().split("x"))

    results = {}
    for name in args.profiles:
        base = recording_profile(name)
        prof = recording_profile(base, frame_size=(width, height),
                                 micro_per_minute=base.rate("micro") * args.rate_factor,
                                 macro_per_minute=base.rate("macro") * args.rate_factor)
        simulate_recording(prof, seconds=1.0 / prof.fps, seed=args.seed)  # the person is made once per process
        rec = simulate_recording(prof, seconds=args.seconds, seed=args.seed)
        moving = sum(e.offset - e.onset + 1 for e in rec.plan.expressions) / rec.n_frames
        res = {"fps": prof.fps, "size": [width, height], "expression_frames": round(moving, 3),
               "render": _measure(rec, False)}
        if args.write:
            res["render_and_write_mp4"] = _measure(rec, True)
        results[name] = res
        print(f"{name}: {res['render']['frames']} frames at {width}x{height}, {prof.fps:g} fps output, "
              f"{100 * moving:.0f} % of frames inside an expression: {res['render']['wall_fps']} frames/s wall, "
              f"{res['render']['cpu_fps']} frames/s CPU"
              + (f"; with mp4: {res['render_and_write_mp4']['wall_fps']} wall, "
                 f"{res['render_and_write_mp4']['cpu_fps']} CPU" if args.write else ""))
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
