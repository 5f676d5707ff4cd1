"""How many training iterations a minute the super-resolution generators get on this CPU, and what
each speed setting changes (iterations per minute before / after).

Times full training iterations (patch sampling, forward, L1 backward, Adam step) of the two
generators of ``super_resolution.py`` on random faces shaped like the composite's (128×128 HR,
32×32 LR), varying one setting at a time:

* ``sampler``: the former per-patch Python loop against the one-gather ``PatchSampler``;
* ``channels_last``: memory layout;
* ``threads``: torch threads (1 or 2);
* ``batch``: batch size at the benchmark's patch size (iterations a minute, and patches a second).

Nothing here changes what a network learns except ``batch`` (reported, not applied). Ends with one
JSON line. ``--fast``: the benchmark's tiny smoke-test generators and 3 timed iterations.

    python benchmarks/sr_speed.py --out runs/sr_speed
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from super_resolution import BENCH_CONFIG, EFFICIENT_CONFIG, FAST_CONFIG, FAST_EFFICIENT_CONFIG  # noqa: E402


class LoopSampler:
    """The sampler as it was: one Python iteration and three numpy flips per patch."""

    def __init__(self, hr, lr, scale, patch_lr, rng):
        self.hr, self.lr, self.scale, self.patch_lr, self.rng = hr, lr, scale, patch_lr, rng

    def sample(self, batch_size):
        from microexp.restore.upscale import to_tensor

        p, s, rng = self.patch_lr, self.scale, self.rng
        n, v, h, w = self.lr.shape[:4]
        lrs, hrs = [], []
        for _ in range(batch_size):
            i, k = rng.integers(n), rng.integers(v)
            y, x = rng.integers(h - p + 1), rng.integers(w - p + 1)
            lr, hr = self.lr[i, k, y:y + p, x:x + p], self.hr[i, y * s:(y + p) * s, x * s:(x + p) * s]
            if rng.random() < 0.5:
                lr, hr = lr[:, ::-1], hr[:, ::-1]
            if rng.random() < 0.5:
                lr, hr = lr[::-1], hr[::-1]
            if rng.random() < 0.5:
                lr, hr = lr.transpose(1, 0, 2), hr.transpose(1, 0, 2)
            lrs.append(lr)
            hrs.append(hr)
        return to_tensor(np.stack(lrs)), to_tensor(np.stack(hrs))


def time_iterations(settings: dict, *, sampler: str = "gather", channels_last: bool = False, threads: int = 2,
                    batch: int | None = None, iters: int = 20, warmup: int = 3) -> dict:
    import torch
    import torch.nn.functional as F

    from microexp.restore import SRConfig, build_generator
    from microexp.restore.training import PatchSampler

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = SRConfig.from_dict(settings)
    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (64, 128, 128, 3), dtype=np.uint8)
    lr = rng.integers(0, 256, (64, cfg.lr_variants, 32, 32, 3), dtype=np.uint8)
    make = LoopSampler if sampler == "loop" else PatchSampler
    samp = make(hr, lr, cfg.scale, cfg.patch_lr, np.random.default_rng(0))
    gen = build_generator(cfg)
    if channels_last:
        gen = gen.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(gen.parameters(), lr=1e-4)
    b = batch or cfg.batch_size

    def step():
        lr_b, hr_b = samp.sample(b)[:2]
        if channels_last:
            lr_b, hr_b = (t.contiguous(memory_format=torch.channels_last) for t in (lr_b, hr_b))
        loss = F.l1_loss(gen(lr_b), hr_b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    seconds = (time.perf_counter() - t0) / iters
    t0 = time.perf_counter()
    for _ in range(iters):
        samp.sample(b)
    sample_ms = (time.perf_counter() - t0) / iters * 1e3
    return {"iterations_per_minute": round(60.0 / seconds, 1), "patches_per_second": round(b / seconds, 1),
            "ms_per_iteration": round(seconds * 1e3, 2), "sampling_ms": round(sample_ms, 3), "batch": b}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/sr_speed")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--fast", action="store_true")
    args = p.parse_args(argv)
    from microexp.io import atomic_write_json

    iters = 3 if args.fast else args.iters
    results = {}
    configs = (("rrdb", FAST_CONFIG), ("efficient", FAST_EFFICIENT_CONFIG)) if args.fast else \
        (("rrdb", BENCH_CONFIG), ("efficient", EFFICIENT_CONFIG))
    for model, settings in configs:
        runs = {
            "before": dict(sampler="loop", channels_last=False, threads=2),
            "after": dict(sampler="gather", channels_last=False, threads=2),
            "channels_last": dict(sampler="gather", channels_last=True, threads=2),
            "one_thread": dict(sampler="gather", channels_last=False, threads=1),
        }
        base = settings["batch_size"]
        for b in sorted({max(1, base // 2), base * 2}):
            runs[f"batch{b}"] = dict(sampler="gather", channels_last=False, threads=2, batch=b)
        results[model] = {}
        for name, kw in runs.items():
            results[model][name] = time_iterations(settings, iters=iters, warmup=1 if args.fast else 3, **kw)
            print(f"{model:9s} {name:14s} {results[model][name]}", file=sys.stderr, flush=True)
    summary = {f"{m}_{k}_iterations_per_minute": r["iterations_per_minute"]
               for m, rs in results.items() for k, r in rs.items()}
    summary.update({f"{m}_{k}_sampling_ms": rs[k]["sampling_ms"] for m, rs in results.items() for k in ("before", "after")})
    atomic_write_json(Path(args.out) / "speed.json", {"summary": summary, "runs": results})
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
