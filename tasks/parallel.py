"""Both cores for the CPU-bound stages: one process pool per process, made on first use.

Parsing HTML (trafilatura) and coding events are pure Python and hold the GIL,
so threads would not help; a pool of processes does. Batches are split into
ordered chunks, each chunk goes through the same plain stage function a worker
would run in-process, and the results are joined in order: the output is the
same as without the pool, only sooner.

With `--runner dask` a run installs its Dask client (`on_dask`): the same chunks
go to the cluster's workers instead of the pool, as plain data to a plain
function, and come back in order. Dask is never imported here.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

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


class DaskStages:
    """A run's Dask client (a `distributed.Client`), where its scheduler is, its
    workers' threads and the chunks sent so far (the run's summary shows them)."""

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.address = address
        info = client.scheduler_info()
        self.threads = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))
        self.chunks = 0
        self.batches = 0  # batches the workers stored themselves (a DuckLake's writers)
        self.warming: list[Any] = []  # the workers' warm-up futures

    def describe(self) -> str:
        done = f"{self.chunks} chunks"
        if self.batches:
            done = f"{self.batches} batches parsed, coded and stored by the workers"
        return f"Dask at {self.address}: {done} on {self.threads} worker threads"


_dask: DaskStages | None = None


def dask_stages() -> DaskStages | None:
    """The current run's Dask client and tally (`on_dask`), or None: the local pool."""
    return _dask


def coder_version() -> str:
    """The event coder's version (run on each Dask worker to check it codes alike)."""
    from tasks.extract import EXTRACTOR_VERSION

    return EXTRACTOR_VERSION


@contextmanager
def on_dask(client: Any, address: str) -> Iterator[DaskStages]:
    """Send the stages' chunks to `client`'s cluster inside the block (one run's)."""
    global _dask
    previous, _dask = _dask, DaskStages(client, address)
    try:
        yield _dask
    finally:
        _dask = previous


def _on_dask_workers(
    stage: Callable[[list[T]], Any], parts: list[list[T]], dask: DaskStages
) -> Any:
    """The chunks through `stage` on the cluster, results in the chunks' order.

    The chunks are scattered first (sent to the workers directly, not inside the
    task graph) and nothing is hashed (`pure=False`, `hash=False`): chunks hold
    whole pages and texts. An error raised by the stage comes back as itself.
    """
    client = dask.client
    data = client.scatter(parts, hash=False)
    futures = client.map(stage, data, pure=False)
    try:
        results = client.gather(futures)
    finally:
        client.cancel(futures + data)
    dask.chunks += len(parts)
    return results


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
    """Start the pool (or reach the Dask workers) and load each worker's data now,
    without waiting for it.

    Called when a run starts, so the workers' start-up (about a second: imports,
    lexicons, the gazetteer) overlaps the run's own start instead of its first batch.
    """
    if _dask is not None:  # one warm-up on each worker, held until the run ends
        client = _dask.client
        _dask.warming = [
            client.submit(_warm, pure=False, workers=[worker], allow_other_workers=False)
            for worker in client.scheduler_info()["workers"]
        ]
        return
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
    batch run in-process, so a run never fails for the pool's sake. On Dask, a
    worker lost mid-chunk is Dask's to retry elsewhere.
    """
    if _dask is not None and len(items) >= MIN_PARALLEL_ITEMS:
        parts = chunks(items, _dask.threads * CHUNKS_PER_WORKER)
        return _joined(_on_dask_workers(stage, parts, _dask))
    pool = _get_pool() if len(items) >= MIN_PARALLEL_ITEMS else None
    if pool is None:
        return stage(list(items))
    parts = chunks(items, workers() * CHUNKS_PER_WORKER)
    try:
        return _joined(pool.map(stage, parts))
    except BrokenProcessPool as exc:
        log.warning("worker pool broke (%s); running this batch in-process", exc)
        _shutdown()
        return stage(list(items))


def _joined(results: Any) -> tuple[list[A], list[B]]:
    """The chunks' (kept, rejected) pairs joined in order."""
    kept: list[A] = []
    rejected: list[B] = []
    for part_kept, part_rejected in results:
        kept += part_kept
        rejected += part_rejected
    return kept, rejected
