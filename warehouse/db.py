"""Open the warehouse and bring its schema up to date.

The schema changes only through the numbered files in `migrations/`
(`NNN_name.sql`), each applied once, in order, in its own transaction, and
recorded in `schema_migrations`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import duckdb

from warehouse import lake
from warehouse.errors import BadWarehouse, WarehouseError, storage_problem
from warehouse.lake import Lake
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
# DuckDB's file header: an 8-byte checksum, then these four bytes. Checked before
# opening, so a file of another kind is refused by name, never handed to DuckDB.
DUCKDB_MAGIC = b"DUCK"
DUCKDB_MAGIC_OFFSET = 8
# A foreign DuckDB file is refused naming this many of its tables: enough to know it.
FOREIGN_TABLES_SHOWN = 5
# The kept copy of a WAL is named by this many hex digits of its SHA-256: a retry on
# the same log finds its copy there and adds none.
WAL_HASH_DIGITS = 16


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


def resolve_location(db: str | os.PathLike[str] | Lake | None = None) -> Path | Lake:
    """The warehouse `db` names (else $EVENTPIPE_DB, else the default file): a DuckDB
    file's path, or a DuckLake (`ducklake:<catalog kind>:<catalog>`, see warehouse/lake.py)."""
    chosen = db or os.environ.get(DB_ENV) or DEFAULT_DB
    if lake.is_lake(chosen):
        return lake.parse(cast(str | Lake, chosen))
    return resolve_db_path(cast(str | os.PathLike[str], chosen))


def describe(db: str | os.PathLike[str] | Lake | None = None) -> str:
    """The warehouse's location as text (a path, or a ducklake: location)."""
    return str(resolve_location(db))


def check_location(
    db: str | os.PathLike[str] | None = None, write: bool = True, inspect: bool = False
) -> Path:
    """The database path, or `BadWarehouse` saying in one line why it cannot be one.

    Cheap (a few stats, 12 bytes read, and for writers one temporary file), so
    the command line calls it before starting a flow. It refuses a folder, a path
    under a regular file, a folder it cannot write in, and a file that is not DuckDB's;
    with `inspect`, also another program's DuckDB file (see `migrate`), when the file
    can be opened at once (if not, `migrate` refuses it later, just the same).
    """
    if lake.is_lake(db or os.environ.get(DB_ENV)):
        found = resolve_location(db)
        assert isinstance(found, Lake)
        con = lake.open_lake(found, read_only=not write)
        con.close()  # reachable, and (for a writer) made if new; the path check is a file's
        return Path(found.location)
    path = resolve_db_path(db)
    if path.is_dir():
        raise BadWarehouse(f"{path} is a folder, not a DuckDB file (give a file path)")
    if path.exists():
        _check_header(path)
        if write and not os.access(path, os.W_OK):
            raise BadWarehouse(f"cannot write warehouse {path}: permission denied")
        if inspect:
            _inspect(path)
    elif not write:
        return path
    if write:
        _check_folder(path)
    return path


def _check_header(path: Path) -> None:
    if not path.is_file():
        raise BadWarehouse(f"{path} is not a regular file, so it cannot be a DuckDB file")
    try:
        with path.open("rb") as fh:
            head = fh.read(DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    except OSError as exc:
        raise BadWarehouse(f"cannot read warehouse {path}: {storage_problem(exc)}") from exc
    if not head:
        raise BadWarehouse(
            f"{path} is an empty file, not a DuckDB file (remove it or give another)"
        )
    if head[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC:
        raise BadWarehouse(
            f"{path} is not a DuckDB file (no DuckDB header); eventpipe will not overwrite it"
        )


def _inspect(path: Path) -> None:
    """Refuse a foreign DuckDB file now if it can be opened without waiting or replaying."""
    if path.with_name(path.name + ".wal").exists():
        return  # a log to replay: only a writer may, with the log kept first
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return  # held by another process, or unreadable: the open itself will say
    try:
        _refuse_foreign(con)
    finally:
        con.close()


def _check_folder(path: Path) -> None:
    """The nearest existing folder above `path` must be a folder we can create files in."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise BadWarehouse(f"cannot put a warehouse at {path}: {folder} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".eventpipe-check-"):
            pass
    except OSError as exc:
        raise BadWarehouse(
            f"cannot put a warehouse at {path}: cannot write in {folder} ({storage_problem(exc)})"
        ) from exc


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


def migrate(con: duckdb.DuckDBPyConnection, nested: bool = False) -> list[int]:
    """Apply the migrations this database has not recorded; return their versions.

    A DuckDB file with tables but no `schema_migrations` belongs to another
    program: it is refused, not filled with eventpipe's tables. On DuckLake each
    migration is first `lake.translate`d; with `nested`, all of them run in the
    caller's transaction (DuckLake's writers race to migrate a new lake: one wins whole).
    """
    _refuse_foreign(con)
    fit = lake.translate if lake.on_lake(con) else (lambda sql: sql)
    con.execute(
        fit(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
        )
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for mig in migrations():
        if mig.version in done:
            continue
        if not nested:
            con.execute("BEGIN TRANSACTION")
        try:
            con.execute(fit(mig.sql))
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mig.version, mig.name],
            )
            if not nested:
                con.execute("COMMIT")
        except duckdb.Error as exc:
            if nested:
                raise
            con.execute("ROLLBACK")
            raise WarehouseError(f"migration {mig.path.name} failed: {exc}") from exc
        applied.append(mig.version)
    return applied


def _refuse_foreign(con: duckdb.DuckDBPyConnection) -> None:
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_catalog = current_database() ORDER BY table_name"
        ).fetchall()
    ]
    if not names or "schema_migrations" in names or names == [lake.WRITES_TABLE]:
        return
    where = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    shown = ", ".join(names[:FOREIGN_TABLES_SHOWN]) + (
        ", ..." if len(names) > FOREIGN_TABLES_SHOWN else ""
    )
    raise BadWarehouse(
        f"{where[0] if where else 'this database'} is another program's DuckDB file"
        f" ({len(names)} tables: {shown}) with no eventpipe schema; refusing to add"
        " eventpipe's tables to it (give --db a new file)"
    )


def run_deadline() -> float:
    """How long a run (its writes and its own look-ups) waits for the file."""
    return deadline_from_env(DEFAULT_WRITE_DEADLINE_S)


def query_deadline() -> float:
    """How long `eventpipe query` and `explain` wait for the file: an analyst is waiting."""
    return deadline_from_env(DEFAULT_READ_DEADLINE_S)


def open_db(
    path: Path,
    read_only: bool = False,
    config: dict[str, Any] | None = None,
    deadline_s: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting out other processes' locks; DuckDB's errors as one line.

    The wait is the run's deadline (`run_deadline()`) unless `deadline_s` says
    otherwise: a run's own look-ups wait as long as its writes.
    """
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path} (run `eventpipe ingest` first)")
    check_location(path, write=False)  # `connect` checks a writer's folder too
    if deadline_s is None:
        deadline_s = run_deadline()
    kept: list[Path] = []

    def attempt() -> duckdb.DuckDBPyConnection:
        wal, made = keep_wal(path) if not read_only else (None, False)
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        except duckdb.IOException as exc:
            if wal is not None and is_lock_conflict(exc):
                if made:  # another process has the file open: its log is live, not left
                    wal.unlink(missing_ok=True)
                wal = None
            raise
        finally:
            if wal is not None:
                kept.append(wal)

    new_file = not read_only and not path.exists()
    try:
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            con = retry_on_conflict(attempt, path, deadline_s)
        except BaseException:
            if new_file:  # a file half-made by this failed open (a full disk) holds nothing
                path.unlink(missing_ok=True)
            raise
    except WarehouseError:
        raise
    except duckdb.Error as exc:
        first = storage_problem(exc)
        if kept and first != "no space left on device":
            raise WarehouseError(
                f"cannot open warehouse {path}: its write-ahead log could not be replayed"
                f" ({first}). Nothing was discarded: the log is kept at {kept[-1]}; restore the"
                f" snapshot beside the warehouse, or move the log aside to accept its loss."
            ) from exc
        raise WarehouseError(f"cannot open warehouse {path}: {first}") from exc
    except OSError as exc:
        raise WarehouseError(f"cannot open warehouse {path}: {storage_problem(exc)}") from exc
    if kept:
        log.warning(
            "warehouse %s had a write-ahead log left by a process that did not close it"
            " (killed or crashed); DuckDB replayed its committed transactions. The log as"
            " found is kept at %s.",
            path,
            kept[-1],
        )
    return con


def keep_wal(path: Path) -> tuple[Path | None, bool]:
    """Copy a leftover write-ahead log aside before DuckDB replays (and removes) it.

    Writers CHECKPOINT before closing, so a WAL on open means a process died
    with the file open. DuckDB replays a WAL cut short up to its last whole
    commit without a word, and refuses a corrupt one; either way the log as
    found is kept, so no write is ever silently discarded.

    Returns the copy and whether this call made it. The copy is named by the
    log's content hash, so retries (a corrupt log fails every open) keep one
    copy, not one each; it is written under a temporary name and renamed only
    when whole, so a full disk never leaves an empty or partial copy.
    """
    wal = path.with_name(path.name + ".wal")
    try:
        size = wal.stat().st_size
        if size == 0:
            return None, False
        with wal.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()[:WAL_HASH_DIGITS]
    except FileNotFoundError:
        return None, False
    except OSError as exc:
        raise WarehouseError(
            f"cannot read the write-ahead log {wal}: {storage_problem(exc)}"
        ) from exc
    kept = wal.with_name(f"{wal.name}.{digest}.kept")
    if kept.is_file() and kept.stat().st_size == size:
        return kept, False
    tmp = wal.with_name(f".{wal.name}.{digest}.{os.getpid()}.tmp")
    try:
        shutil.copy2(wal, tmp)
        os.replace(tmp, kept)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WarehouseError(
            f"cannot open warehouse {path}: its write-ahead log must be copied aside before"
            f" replay, and copying it to {kept} failed: {storage_problem(exc)}"
        ) from exc
    return kept, True


@contextmanager
def connect(
    db: str | os.PathLike[str] | None = None,
    read_only: bool = False,
    deadline_s: float | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection to an up-to-date warehouse, closed on exit.

    Writers hold the writer lock while connected, migrate on open and
    CHECKPOINT before closing, so what they committed is in the database file
    itself, not only in the WAL. Readers only open (and fail clearly if the
    file is missing), so a query never changes the schema. Both wait for the
    file up to the run's deadline unless `deadline_s` says otherwise.
    """
    found = resolve_location(db)
    if isinstance(found, Lake):
        with _lake_connection(found, read_only) as con:
            yield con
        return
    path = found
    if read_only:
        con = open_db(path, read_only=True, deadline_s=deadline_s)
        try:
            yield con
        finally:
            con.close()
        return
    check_location(path)  # before the lock: the lock file goes beside the database
    started = time.monotonic()
    deadline = run_deadline() if deadline_s is None else deadline_s
    with writer_lock(path, deadline):
        # One deadline for both waits: the file lock, then DuckDB's own.
        con = open_db(path, deadline_s=max(0.0, deadline - (time.monotonic() - started)))
        try:
            try:
                migrate(con)
            except duckdb.Error as exc:
                raise WarehouseError(
                    f"cannot migrate warehouse {path}: {storage_problem(exc)}"
                ) from exc
            yield con
            try:
                con.execute("CHECKPOINT")
            except duckdb.Error as exc:
                raise WarehouseError(
                    f"cannot checkpoint warehouse {path}: {storage_problem(exc)}"
                ) from exc
        finally:
            con.close()


@contextmanager
def _lake_connection(found: Lake, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckLake connection: no file lock (DuckLake's commits are optimistic), migrated
    on a writer's open (retried when another writer's first migration wins the race)."""
    con = lake.open_lake(found, read_only=read_only)
    try:
        if not read_only:
            try:
                lake.retry_conflicts(lambda: _migrate_lake(con), lake=True)
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot migrate warehouse {found}: {exc}") from exc
        yield con
    finally:
        con.close()


def _migrate_lake(con: duckdb.DuckDBPyConnection) -> list[int]:
    done = con.execute(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_catalog = current_database() AND table_name = 'schema_migrations'"
    ).fetchone()
    if done and done[0] and not _pending(con):
        return []
    con.execute("BEGIN TRANSACTION")
    try:
        lake.prepare(con)
        applied = migrate(con, nested=True)
        con.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    return applied


def _pending(con: duckdb.DuckDBPyConnection) -> bool:
    done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    return any(m.version not in done for m in migrations())
