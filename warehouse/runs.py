"""The `runs` table: a flow run is 'running' before it writes, then says how it ended.

Each committed batch has a run row of its own (written by `writer.record_batch`
in the batch's transaction); the flow run's row is opened and closed here.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import duckdb

from warehouse import lake, schema
from warehouse.db import connect
from warehouse.errors import WarehouseError
from warehouse.snapshot import refresh_snapshot, snapshot_path, snapshots_enabled

log = logging.getLogger("eventpipe.warehouse")

RunStatus = Literal["running", "completed", "failed", "crashed"]


class RunCounts(Protocol):
    """A run's totals: one attribute per count column of `runs` (`schema.RUN_COUNTS`)."""

    articles_seen: int
    articles_new: int
    articles_duplicate: int
    articles_rejected: int
    events_stored: int


def _now() -> datetime:
    return datetime.now(UTC)


def start_run(db: str | Path, run_id: str, flow_name: str, parameters: dict[str, Any]) -> None:
    """Record a run as 'running' before it writes anything (and close dead runs as crashed)."""
    values = [
        run_id,
        flow_name,
        json.dumps(parameters, default=str),
        _now(),
        os.getpid(),
        socket.gethostname(),
    ]
    with connect(db) as con:
        on = lake.on_lake(con)

        def attempt() -> None:
            with _transaction(con):
                mark_crashed_runs(con)
                if on:  # no key to conflict on: a retried run's row is replaced
                    con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
                    con.execute(f"INSERT INTO runs {_NEW_RUN}", values)
                    return
                # A Prefect retry of a flow run reuses its id: the run starts again, and
                # its batches number on from those it committed before.
                con.execute(
                    f"INSERT INTO runs {_NEW_RUN}"
                    " ON CONFLICT (run_id) DO UPDATE SET status = 'running',"
                    " started_at = excluded.started_at, finished_at = NULL, error = NULL,"
                    " pid = excluded.pid, host = excluded.host",
                    values,
                )

        lake.retry_conflicts(attempt, on)


_NEW_RUN = (
    "(run_id, flow_name, parameters, started_at, status, pid, host)"
    " VALUES (?, ?, ?, ?, 'running', ?, ?)"
)


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed at the end, rolled back on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


def mark_crashed_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Flow runs still 'running' whose process on this host is gone become 'crashed'.

    A SIGKILL or a power cut leaves its run 'running'; its committed batches
    stand (each is a completed run of its own) and its open batch left nothing.
    Runs of other hosts are left alone: their processes cannot be seen from here.
    """
    host = socket.gethostname()
    running = con.execute(
        "SELECT run_id, pid FROM runs WHERE status = 'running' AND parent_run_id IS NULL"
        " AND host = ? AND pid IS NOT NULL",
        [host],
    ).fetchall()
    dead = [run_id for run_id, pid in running if not _alive(pid)]
    for run_id in dead:
        con.execute(
            "UPDATE runs SET status = 'crashed', finished_at = ?,"
            " error = 'its process ended without closing the run (killed or crashed)'"
            " WHERE run_id = ?",
            [_now(), run_id],
        )
    return dead


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def finish_run(
    db: str | Path,
    run_id: str,
    status: RunStatus,
    counts: RunCounts,
    error: str | None = None,
    snapshot: bool = False,
) -> None:
    """Close a run with its status and totals; after a completed one, refresh the snapshot."""
    values = [status, _now(), *(getattr(counts, c) for c in schema.RUN_COUNTS), error, run_id]
    with connect(db) as con:
        on = lake.on_lake(con)

        def attempt() -> None:
            with _transaction(con):
                con.execute(
                    f"UPDATE runs SET status = ?, finished_at = ?,"
                    f" {', '.join(c + ' = ?' for c in schema.RUN_COUNTS)}, error = ?"
                    " WHERE run_id = ?",
                    values,
                )

        lake.retry_conflicts(attempt, on)
    if on:
        return  # a DuckLake keeps its own snapshots, and readers never block its writers
    # A run that stored nothing leaves an existing snapshot as current as it was;
    # a failed run's committed batches are stored rows all the same.
    stored = counts.articles_new + counts.events_stored + counts.articles_rejected
    missing = not snapshot_path(db).exists()
    wanted = snapshot or stored or missing
    if status in ("completed", "failed") and wanted and snapshots_enabled():
        try:
            refresh_snapshot(db)
        except (OSError, WarehouseError) as exc:  # the run's rows are stored either way
            log.warning("snapshot of %s not refreshed: %s", db, exc)
