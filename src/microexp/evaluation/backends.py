"""Where folds run: local worker processes (default) or a Ray cluster.

Both backends run the same pure fold function with the same seeds and thread counts, so they give
identical predictions. Results are yielded as folds finish so the caller can store each at once.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Callable, Iterator

from ..errors import ConfigError

_WORKER_DATA: dict = {}


def _die_with_parent() -> None:
    """Linux: end this worker when the parent process dies, even by SIGKILL (no orphans left busy)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except OSError:  # pragma: no cover - another libc: orphans then exit when their pipe closes
            pass


def _init_worker(data: dict, threads: int) -> None:
    _die_with_parent()
    _set_threads(threads)
    _WORKER_DATA.clear()
    _WORKER_DATA.update(data)


def _set_threads(threads: int) -> None:
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # pragma: no cover - torch is a dependency, but the SVM path does not need it
        pass


def _call_in_worker(fn: Callable, task: dict) -> tuple[str, dict]:
    return task["key"], fn(_WORKER_DATA, task)


def default_jobs(n_tasks: int) -> int:
    return max(1, min(os.cpu_count() or 1, n_tasks))


def threads_per_job(jobs: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


def run_local(fn: Callable, data: dict, tasks: list[dict], jobs: int) -> Iterator[tuple[str, dict]]:
    threads = threads_per_job(jobs)
    if jobs == 1:
        _init_worker(data, threads)
        for task in tasks:
            yield _call_in_worker(fn, task)
        return
    # spawn: forking a process that already runs OpenMP/torch threads can deadlock
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_init_worker,
                             initargs=(data, threads)) as pool:
        pending = {pool.submit(_call_in_worker, fn, t) for t in tasks}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


def run_ray(fn: Callable, data: dict, tasks: list[dict], jobs: int, address: str | None = None) -> Iterator[tuple[str, dict]]:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover
        raise ConfigError("the ray backend needs the 'ray' package") from exc
    threads = threads_per_job(jobs)
    started_here = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False)
            started_here = True
    try:
        data_ref = ray.put(data)

        @ray.remote(num_cpus=threads)
        def remote_fold(data_blob, task):
            _set_threads(threads)
            return task["key"], fn(data_blob, task)

        pending = [remote_fold.remote(data_ref, t) for t in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started_here:
            ray.shutdown()


#: The ways folds can run: local worker processes, or a Ray cluster.
BACKENDS = ("local", "ray")


def run_tasks(fn: Callable, data: dict, tasks: list[dict], *, backend: str = "local", jobs: int | None = None,
              address: str | None = None) -> Iterator[tuple[str, dict]]:
    """Run ``fn(data, task)`` for every task; yields ``(task['key'], result)`` as each finishes."""
    if not tasks:
        return iter(())
    jobs = jobs or default_jobs(len(tasks))
    if backend == "local":
        return run_local(fn, data, tasks, jobs)
    if backend == "ray":
        return run_ray(fn, data, tasks, jobs, address)
    raise ConfigError(f"unknown backend {backend!r}; use 'local' or 'ray'")

