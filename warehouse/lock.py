"""One writer at a time, readers waited out, and a clear failure past a deadline.

DuckDB lets one process open a file read-write, and while it does no other
process may open the file at all, not even read-only (and a reader blocks a
writer just the same). So eventpipe:

- takes a file lock, `<db>.lock`, around every write connection, so its own
  writers (scheduled runs, a manual ingest) queue instead of failing (within one
  process, threads queue too, but a reader thread cannot open the file while a
  writer thread has it: DuckDB refuses two configurations in one process);
- retries DuckDB's lock conflict (an analyst's session, a running query) with
  exponential backoff and jitter until a deadline;
- past the deadline fails with `WarehouseBusy`, naming the holder, and writes
  nothing: the batch stays in its source, for the next run to replay.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb
from filelock import FileLock, Timeout

from warehouse.errors import WarehouseError

LOCK_TIMEOUT_ENV = "EVENTPIPE_LOCK_TIMEOUT"
# A scheduled run waits this long for another run's batch or an analyst's
# query to let go of the file; batches commit in seconds, so ten minutes of
# waiting means something is stuck, and saying so beats waiting forever.
DEFAULT_WRITE_DEADLINE_S = 600.0
# `eventpipe query` waits less: an analyst at a terminal wants an answer or a reason.
DEFAULT_READ_DEADLINE_S = 60.0
# Backoff between attempts: starts short (a batch commit takes milliseconds to
# seconds) and doubles to a ceiling, with jitter so waiters do not retry in step.
BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 2.0
# DuckDB's words for "another process has this file open".
_DUCKDB_CONFLICT = "Could not set lock on file"
_DUCKDB_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")

T = TypeVar("T")


class WarehouseBusy(WarehouseError):
    """The warehouse stayed locked by another process past the deadline."""


def deadline_from_env(default: float) -> float:
    """The wait deadline in seconds: $EVENTPIPE_LOCK_TIMEOUT, else `default`."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV)
    if not raw:
        return default
    try:
        return max(0.0, float(raw))
    except ValueError as exc:
        message = f"{LOCK_TIMEOUT_ENV} must be a number of seconds, got {raw!r}"
        raise WarehouseError(message) from exc


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def holder_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock.holder")


def _lock_for(db: Path) -> FileLock:
    # One lock object per file and thread (filelock's default), re-entrant, so a
    # writer that opens a nested write connection does not wait for itself.
    return FileLock(str(lock_path(db)), is_singleton=True)


def describe_holder(db: Path) -> str:
    """Who holds the writer lock, as its holder recorded it (best effort)."""
    try:
        info = json.loads(holder_path(db).read_text(encoding="utf-8"))
        return (
            f"process {info.get('pid')} on {info.get('host')} since {info.get('since')}"
            f" ({info.get('command')})"
        )
    except (OSError, ValueError):
        return "an unknown process"


def _record_holder(db: Path) -> None:
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200],
    }
    # The holder's name is a courtesy for error messages, not a requirement.
    with contextlib.suppress(OSError):
        holder_path(db).write_text(json.dumps(info), encoding="utf-8")


@contextmanager
def writer_lock(db: Path, deadline_s: float | None = None) -> Iterator[None]:
    """Hold the warehouse's writer lock, waiting up to the deadline for it."""
    wait = deadline_from_env(DEFAULT_WRITE_DEADLINE_S) if deadline_s is None else deadline_s
    db.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_for(db)
    try:
        lock.acquire(timeout=wait, poll_interval=BACKOFF_FIRST_S)
    except Timeout as exc:
        raise WarehouseBusy(
            f"warehouse {db} is locked by {describe_holder(db)}; gave up after {wait:.0f} s"
            f" (nothing was written; the next run will replay this work)"
        ) from exc
    try:
        if lock.lock_counter == 1:
            _record_holder(db)
        yield
    finally:
        lock.release()


def is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and _DUCKDB_CONFLICT in str(exc)


def retry_on_conflict(open_once: Callable[[], T], db: Path, deadline_s: float) -> T:
    """Call `open_once` until DuckDB stops reporting a lock conflict, or the deadline."""
    started = time.monotonic()
    pause = BACKOFF_FIRST_S
    while True:
        try:
            return open_once()
        except duckdb.IOException as exc:
            if not is_lock_conflict(exc):
                raise
            waited = time.monotonic() - started
            if waited >= deadline_s:
                found = _DUCKDB_HOLDER.search(str(exc))
                held = f"{found.group(1)}, PID {found.group(2)}" if found else "unknown"
                raise WarehouseBusy(
                    f"warehouse {db} is open in another process ({held});"
                    f" gave up after {waited:.0f} s. Close that session, or query the"
                    f" snapshot beside the warehouse for long sessions."
                ) from exc
            time.sleep(min(pause * random.uniform(0.5, 1.5), deadline_s - waited))
            pause = min(pause * 2, BACKOFF_MAX_S)
