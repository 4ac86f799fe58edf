"""Both cores for the CPU-bound stages: one process pool per process, made on first use.

Parsing HTML (trafilatura) and coding events are pure Python and hold the GIL,
so threads would not help; a pool of processes does. Batches are split into
ordered chunks, each chunk goes through the same plain stage function a worker
would run in-process, and the results are joined in order: the output is the
same as without the pool, only sooner.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from tasks.lifeline import exit_when_gone
from tasks.runtime import on_stop

log = logging.getLogger("eventpipe.parallel")

WORKERS_ENV = "EVENTPIPE_WORKERS"
# Below this many items a batch runs in-process: sending it to the pool and
# back costs more than the work (a chunk's round trip is about a millisecond,
# a page's parse 15-30 ms, so a handful of pages already pays).
MIN_PARALLEL_ITEMS = 8
# Chunks per worker: more than one evens out slow pages; few keeps overhead low.
CHUNKS_PER_WORKER = 4

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")

_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    """Worker processes: $EVENTPIPE_WORKERS, else the usable cores (1 means no pool)."""
    raw = os.environ.get(WORKERS_ENV, "")
    if raw.strip().isdigit():
        return max(1, int(raw))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _get_pool() -> ProcessPoolExecutor | None:
    global _pool
    n = workers()
    if n < 2:
        return None
    if _pool is None:
        # forkserver, not fork: the parent runs Prefect's threads and event loop,
        # which a forked child would inherit mid-flight. Each worker ends when this
        # process ends, even by SIGKILL (then the forkserver and its resource tracker
        # end too): otherwise the whole pool, about 480 MB, outlives it.
        context = multiprocessing.get_context("forkserver")
        _pool = ProcessPoolExecutor(
            max_workers=n, mp_context=context, initializer=exit_when_gone, initargs=(os.getpid(),)
        )
        atexit.register(_shutdown)
        on_stop(_stop_workers)
    return _pool


def _stop_workers() -> None:
    """End the workers at once (SIGTERM): the pool's manager thread then finds them
    gone and lets the process exit instead of waiting for their chunks. Only signals
    are sent, no lock taken: this runs in a signal handler."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        for process in list((pool._processes or {}).values()):  # no public way to end workers
            process.terminate()


def _shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _warm() -> None:
    """Load what the stages need (trafilatura, the coder's lexicons and gazetteer)."""
    from tasks import clean
    from tasks.extract import extract_events

    clean.html_to_text("<html><body><p>Warm-up.</p></body></html>")
    extract_events("Police arrested ten protesters in Lagos on Monday.", None, None)


def warm_up() -> None:
    """Start the pool and load each worker's data now, without waiting for it.

    Called when a run starts, so the workers' start-up (about a second: imports,
    lexicons, the gazetteer) overlaps the run's own start instead of its first batch.
    """
    pool = _get_pool()
    if pool is not None:
        for _ in range(workers()):
            pool.submit(_warm)


def chunks(items: Sequence[T], count: int) -> list[list[T]]:
    """`items` in at most `count` ordered, nearly equal chunks."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return out


def map_split(
    stage: Callable[[list[T]], tuple[list[A], list[B]]], items: Sequence[T]
) -> tuple[list[A], list[B]]:
    """Run a batch stage (items to kept and rejected) over the pool, in order.

    `stage` must be a module-level function (the pool pickles it by name). A
    broken pool (a worker killed, say by the OOM killer) is replaced, and the
    batch run in-process, so a run never fails for the pool's sake.
    """
    pool = _get_pool() if len(items) >= MIN_PARALLEL_ITEMS else None
    if pool is None:
        return stage(list(items))
    parts = chunks(items, workers() * CHUNKS_PER_WORKER)
    kept: list[A] = []
    rejected: list[B] = []
    try:
        for part_kept, part_rejected in pool.map(stage, parts):
            kept += part_kept
            rejected += part_rejected
    except BrokenProcessPool as exc:
        log.warning("worker pool broke (%s); running this batch in-process", exc)
        _shutdown()
        return stage(list(items))
    return kept, rejected
