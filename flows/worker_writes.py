"""Batches stored by the Dask workers themselves, when the warehouse is a DuckLake.

With `--runner dask` and a `ducklake:` warehouse, each batch runs on the workers as two
calls: its CPU work (files: skip settled inputs, parse, clean, code, `tasks.worker_batch`;
feeds and pages, once the flow process has fetched them: read, code,
`tasks.live_batch`), batches side by side, then its store and link in one lake
transaction, each batch's store after the previous one's, so a run's incidents keep
the local run's ids. A DuckLake takes many writers (other runs): a transaction that
meets another's commit is retried whole. The flow process reads or fetches the
inputs, keeps a few batches in flight (one more than the workers' threads, so a worker
that finishes starts the next at once), records the run and sums what comes back.

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

Done = Callable[[BatchDone], None]  # what to do with a stored batch's result


class WorkerWrites:
    """The run's batches in flight on the workers, each with what to do when it is done."""

    def __init__(self, stages: parallel.DaskStages, db: str, run_id: str) -> None:
        self.stages = stages
        self.db = db
        self.data_path = lake.parse(db).data_path
        self.run_id = run_id
        self.settings: LinkSettings = load_settings()  # every writer links alike
        self.limit = stages.threads + WRITE_AHEAD
        self.pending: list[
            tuple[Any, list[Any], Callable[[Any], None]]
        ] = []  # store, its inputs, on done
        self.previous: Any = None  # the last batch's store: the next one's waits for it
        self.ended: queue.Queue[Any] = queue.Queue()  # futures as they finish

    def submit(
        self, docs: list[RawDoc], rejections: list[Rejection], published: str | None, done: Done
    ) -> None:
        """Send one batch of files' texts to the workers; `done` gets its `BatchDone`."""
        self._submit(code_batch_unit, docs, (rejections, published), store_batch_unit, (), done)

    def submit_live(self, pages: list[Any], fetched: Any, done: Callable[[Any], None]) -> None:
        """Send one live batch's fetched pages to the workers (`tasks.live_batch`); `done`
        gets its `LiveDone`."""
        from tasks.live_batch import read_code_unit, store_live_unit

        code_more = (fetched.source_kind,)
        self._submit(read_code_unit, pages, code_more, store_live_unit, (fetched,), done)

    def _submit(
        self,
        code_fn: Callable[..., Any],
        bulky: Any,
        code_more: tuple[Any, ...],
        store_fn: Callable[..., Any],
        store_more: tuple[Any, ...],
        done: Callable[[Any], None],
    ) -> None:
        """`code_fn(db, data_path, bulky, *code_more)` runs at once on any worker (`bulky`
        scattered first: it goes once, not in the graph); then `store_fn(db, data_path,
        run_id, coded, after, settings, *store_more)`, after the previous batch's store."""
        while len(self.pending) >= self.limit:
            self._finish_one()
        client = self.stages.client
        [inputs] = client.scatter([bulky], hash=False)
        coded = client.submit(code_fn, self.db, self.data_path, inputs, *code_more, pure=False)
        future = client.submit(
            store_fn,
            self.db,
            self.data_path,
            self.run_id,
            coded,
            self.previous,
            self.settings,
            *store_more,
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
