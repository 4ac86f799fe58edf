"""Batches stored by the Dask workers themselves, when the warehouse is a DuckLake.

With `--runner dask` and a `ducklake:` warehouse, each batch's whole pipeline (skip
settled inputs, parse, clean, code, store and link: `tasks.worker_batch`) runs on a
worker as one call; a DuckLake takes many writers, each batch one transaction that
is retried whole when another commits at once. The flow process reads the inputs,
keeps a few batches in flight (one more than the workers' threads, so a worker that
finishes starts the next at once), records the run and sums what comes back.

With a DuckDB file, or the local runner, `worker_writes` yields None and nothing
changes: the flow process is the one writer. Dask is imported only when used.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tasks import parallel
from tasks.link import LinkSettings, load_settings
from tasks.load import RawDoc
from tasks.models import Rejection
from tasks.runtime import raise_if_terminating
from tasks.worker_batch import BatchDone, code_batch_unit, store_batch_unit
from warehouse import lake

# Batches read and waiting beyond one per worker thread: a worker that finishes one
# starts the next at once, and memory holds at most this many more batches' inputs.
WRITE_AHEAD = 1
# How often a wait for the workers looks for a stop (SIGTERM): soon, and cheaply.
STOP_CHECK_S = 0.5

Done = Callable[[BatchDone], None]


class WorkerWrites:
    """The run's batches in flight on the workers, each with what to do when it is done."""

    def __init__(self, stages: parallel.DaskStages, db: str, run_id: str) -> None:
        self.stages = stages
        self.db = db
        self.data_path = lake.parse(db).data_path
        self.run_id = run_id
        self.settings: LinkSettings = load_settings()  # every writer links alike
        self.limit = stages.threads + WRITE_AHEAD
        self.pending: list[tuple[Any, list[Any], Done]] = []  # (store, its inputs, on done)
        self.previous: Any = None  # the last batch's store: the next one's waits for it
        self.ended: queue.Queue[Any] = queue.Queue()  # futures as they finish

    def submit(
        self, docs: list[RawDoc], rejections: list[Rejection], published: str | None, done: Done
    ) -> None:
        """Send one batch to a worker (after waiting for room); `done` gets its result."""
        while len(self.pending) >= self.limit:
            self._finish_one()
        client = self.stages.client
        [inputs] = client.scatter([docs], hash=False)  # the pages go once, not in the graph
        coded = client.submit(
            code_batch_unit, self.db, self.data_path, inputs, rejections, published, pure=False
        )
        future = client.submit(
            store_batch_unit,
            self.db,
            self.data_path,
            self.run_id,
            coded,
            self.previous,
            self.settings,
            pure=False,
        )
        self.previous = future
        future.add_done_callback(self.ended.put)  # called in a thread of the client's
        self.pending.append((future, [inputs, coded], done))

    def _finish_one(self) -> None:
        """Wait for the first batch in flight to end; hand its result on (an error on the
        worker is raised here as itself). A stop (SIGTERM) is honoured while waiting."""
        while True:
            raise_if_terminating()
            try:
                ended = self.ended.get(timeout=STOP_CHECK_S)
                break
            except queue.Empty:
                continue
        index = next(i for i, (f, _, _) in enumerate(self.pending) if f is ended)
        # Dropping the futures releases their data (pages, coded batch). Not cancelled:
        # a cancel reaches a key's dependents, and the next batch's store depends on
        # this one's.
        future, _, done = self.pending.pop(index)
        result = future.result()
        self.stages.batches += 1
        done(result)

    def drain(self) -> None:
        """Wait for every batch in flight."""
        while self.pending:
            self._finish_one()

    def cancel(self) -> None:
        """Drop the batches not yet started (one already committing commits whole)."""
        client = self.stages.client
        client.cancel([x for f, inputs, _ in self.pending for x in (f, *inputs)])
        self.pending.clear()


@contextmanager
def worker_writes(db: str, run_id: str) -> Iterator[WorkerWrites | None]:
    """Inside a flow run on Dask with a DuckLake warehouse: the workers store the
    batches (waited for at the end of the block); else None, the flow process writes."""
    stages = parallel.dask_stages()
    if stages is None or not lake.is_lake(db):
        yield None
        return
    writes = WorkerWrites(stages, db, run_id)
    try:
        yield writes
        writes.drain()
    except BaseException:
        writes.cancel()
        raise
