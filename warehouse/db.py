"""Open the warehouse and bring its schema up to date.

The schema changes only through the numbered files in `migrations/`
(`NNN_name.sql`), each applied once, in order, in its own transaction, and
recorded in `schema_migrations`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from warehouse.errors import WarehouseError
from warehouse.lock import (
    DEFAULT_READ_DEADLINE_S,
    DEFAULT_WRITE_DEADLINE_S,
    deadline_from_env,
    is_lock_conflict,
    retry_on_conflict,
    writer_lock,
)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The default database file sits beside the schema, in the project's warehouse/.
DEFAULT_DB = Path(__file__).parent / "events.duckdb"
DB_ENV = "EVENTPIPE_DB"
log = logging.getLogger("eventpipe.warehouse")
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def resolve_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """The database path: the argument, else $EVENTPIPE_DB, else the default."""
    chosen = db or os.environ.get(DB_ENV) or DEFAULT_DB
    return Path(chosen).expanduser().resolve()


@cache
def migrations() -> list[Migration]:
    """The migration files, in version order; a gap or repeat is a packaging bug."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = _MIGRATION_NAME.match(path.name)
        if not m:
            raise WarehouseError(f"badly named migration file: {path.name}")
        found.append(Migration(int(m.group(1)), m.group(2), path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise WarehouseError(f"migrations must be numbered 1..n without gaps, got {versions}")
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations this database has not recorded; return their versions."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for mig in migrations():
        if mig.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mig.version, mig.name],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise WarehouseError(f"migration {mig.path.name} failed: {exc}") from exc
        applied.append(mig.version)
    return applied


def open_db(
    path: Path,
    read_only: bool = False,
    config: dict[str, Any] | None = None,
    deadline_s: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting out other processes' locks; DuckDB's errors as one line."""
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path} (run `eventpipe ingest` first)")
    if deadline_s is None:
        default = DEFAULT_READ_DEADLINE_S if read_only else DEFAULT_WRITE_DEADLINE_S
        deadline_s = deadline_from_env(default)
    kept: list[Path] = []

    def attempt() -> duckdb.DuckDBPyConnection:
        wal = keep_wal(path) if not read_only else None
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            if wal is not None and is_lock_conflict(exc):
                wal.unlink()  # another process has the file open: its log is live, not left
                wal = None
            raise
        finally:
            if wal is not None:
                kept.append(wal)

    try:
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = retry_on_conflict(attempt, path, deadline_s)
    except WarehouseError:
        raise
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if kept:
            raise WarehouseError(
                f"cannot open warehouse {path}: its write-ahead log could not be replayed"
                f" ({first}). Nothing was discarded: the log is kept at {kept[-1]}; restore the"
                f" snapshot beside the warehouse, or move the log aside to accept its loss."
            ) from exc
        raise WarehouseError(f"cannot open warehouse {path}: {first}") from exc
    except OSError as exc:
        raise WarehouseError(f"cannot create warehouse folder for {path}: {exc}") from exc
    if kept:
        log.warning(
            "warehouse %s had a write-ahead log left by a process that did not close it"
            " (killed or crashed); DuckDB replayed its committed transactions. The log as"
            " found is kept at %s.",
            path,
            kept[-1],
        )
    return con


def keep_wal(path: Path) -> Path | None:
    """Copy a leftover write-ahead log aside before DuckDB replays (and removes) it.

    Writers CHECKPOINT before closing, so a WAL on open means a process died
    with the file open. DuckDB replays a WAL cut short up to its last whole
    commit without a word, and refuses a corrupt one; either way the log as
    found is kept, so no write is ever silently discarded.
    """
    wal = path.with_name(path.name + ".wal")
    try:
        if wal.stat().st_size == 0:
            return None
    except FileNotFoundError:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    kept = wal.with_name(f"{wal.name}.{stamp}.kept")
    shutil.copy2(wal, kept)
    return kept


@contextmanager
def connect(
    db: str | os.PathLike[str] | None = None, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection to an up-to-date warehouse, closed on exit.

    Writers hold the writer lock while connected, migrate on open and
    CHECKPOINT before closing, so what they committed is in the database file
    itself, not only in the WAL. Readers only open (and fail clearly if the
    file is missing), so a query never changes the schema.
    """
    path = resolve_db_path(db)
    if read_only:
        con = open_db(path, read_only=True)
        try:
            yield con
        finally:
            con.close()
        return
    started = time.monotonic()
    deadline = deadline_from_env(DEFAULT_WRITE_DEADLINE_S)
    with writer_lock(path, deadline):
        # One deadline for both waits: the file lock, then DuckDB's own.
        con = open_db(path, deadline_s=max(0.0, deadline - (time.monotonic() - started)))
        try:
            migrate(con)
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
