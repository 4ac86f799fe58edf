"""The warehouse on DuckLake: a catalog (PostgreSQL, SQLite or DuckDB) and Parquet files.

`--db ducklake:postgres:<libpq conninfo>` (many writers on many machines),
`ducklake:sqlite:<path>` or `ducklake:duckdb:<path>` (one machine); the Parquet
files go under `--data-path` / $EVENTPIPE_DATA_PATH, needed only to create the lake
(DuckLake keeps it in the catalog).

No extension is ever downloaded: DuckDB is pinned to the release whose extensions
the registry ships as wheels (pyproject.toml), and each is loaded from the file its
wheel installed, with DuckDB's automatic install and load turned off.

What DuckLake lacks, and how the rule is kept instead:
- PRIMARY KEY / UNIQUE: `translate` drops them from the migrations; every keyed
  insert is an anti-join on the table's key (`KEYS`, `insert_new`), and every write
  transaction also updates the one row of `lake_writes`, so two writers that ran
  at once conflict at commit (DuckLake refuses the second: without that row, two
  appends never conflict and both would store the same article); the loser is
  retried whole (`retry_conflicts`) and then sees the winner's rows.
- CHECK: dropped; the closed vocabularies are Literal types checked in the stages'
  models (tasks/models.py) before any row reaches the writer.
- Indexes (the ART index of migration 014): dropped; DuckLake reads by its files'
  min/max statistics instead.
- No file lock: DuckLake's commits are optimistic and readers never block writers.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar, cast, get_args

import duckdb

from warehouse.errors import BadWarehouse, WarehouseError

PREFIX = "ducklake:"
DATA_PATH_ENV = "EVENTPIPE_DATA_PATH"
CatalogKind = Literal["postgres", "sqlite", "duckdb"]
CATALOG_KINDS: tuple[CatalogKind, ...] = get_args(CatalogKind)
# The name the lake is attached under (and `USE`d), on every connection.
ALIAS = "lake"
# Each extension: (the Python package its wheel installs, the extension's own name;
# the wheel's file is extensions/v<duckdb>/<name>.duckdb_extension).
EXTENSIONS: dict[str, tuple[str, str]] = {
    "ducklake": ("duckdb_extension_ducklake", "ducklake"),
    "postgres": ("duckdb_extension_postgres_scanner", "postgres_scanner"),
    "sqlite": ("duckdb_extension_sqlite_scanner", "sqlite_scanner"),
}
NO_DOWNLOADS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
# Each table's key: what its PRIMARY KEY holds on a DuckDB file, enforced on DuckLake
# by anti-joins (tests/test_ducklake.py checks this against the migrations).
KEYS: dict[str, tuple[str, ...]] = {
    "schema_migrations": ("version",),
    "runs": ("run_id",),
    "articles": ("article_id",),
    "events": ("event_id",),
    "feeds": ("feed_url",),
    "codings": ("article_id", "extractor_version"),
    "incident_links": ("event_id",),
    "incident_merges": ("incident_id",),
    "settled_inputs": ("raw_sha256",),
    "article_minhash": ("article_id",),
    "article_bands": ("band", "article_id"),
    "near_duplicates": ("article_id",),
}
# The one-row table each write transaction updates, so concurrent writers conflict.
WRITES_TABLE = "lake_writes"
# A write transaction that lost a commit race is run again this many times at most:
# each retry sees the winner's rows, and a batch commits in seconds, so 30 retries
# with the backoff below (about a minute in all) outlast any honest crowd of writers.
MAX_COMMIT_RETRIES = 30
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 3.0
# DuckDB's words for a DuckLake commit that lost a race (a TransactionException), and
# for a SQLite catalog busy with another writer's commit.
_CONFLICT_WORDS = ("Failed to commit DuckLake transaction", "conflict", "database is locked")
log = logging.getLogger("eventpipe.warehouse")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Lake:
    """A DuckLake warehouse: its catalog and, when given, where its Parquet files go."""

    kind: CatalogKind
    target: str  # a libpq conninfo, or a catalog file's path
    data_path: str | None = None

    @property
    def location(self) -> str:
        return f"{PREFIX}{self.kind}:{self.target}"

    def __str__(self) -> str:
        return self.location


def is_lake(db: object) -> bool:
    """Whether `db` names a DuckLake catalog rather than a DuckDB file."""
    return isinstance(db, Lake) or (isinstance(db, str) and db.startswith(PREFIX))


def parse(db: str | Lake, data_path: str | None = None) -> Lake:
    """The lake a `ducklake:<kind>:<rest>` location names, or BadWarehouse in one line."""
    if isinstance(db, Lake):
        return db
    kind, sep, rest = db[len(PREFIX) :].partition(":")
    if not sep or kind not in CATALOG_KINDS:
        raise BadWarehouse(
            f"{db!r} is not a DuckLake location: give ducklake:postgres:<conninfo>,"
            " ducklake:sqlite:<path> or ducklake:duckdb:<path>"
        )
    if not rest.strip():
        raise BadWarehouse(f"{db!r} names no catalog after ducklake:{kind}:")
    chosen = data_path or os.environ.get(DATA_PATH_ENV) or None
    if kind != "postgres":
        rest = str(Path(rest).expanduser().resolve())
    if chosen and "://" not in chosen:
        chosen = str(Path(chosen).expanduser().resolve()) + "/"
    return Lake(cast(CatalogKind, kind), rest, chosen)


def extension_file(name: str) -> Path:
    """The `.duckdb_extension` file an extension's wheel installed."""
    package, ext = EXTENSIONS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise WarehouseError(
            f"the DuckDB extension {ext} is not installed (pip package"
            f" {package.replace('_', '-')}); reinstall eventpipe"
        )
    version = duckdb.__version__
    found = Path(spec.origin).parent / "extensions" / f"v{version}" / f"{ext}.duckdb_extension"
    if not found.is_file():
        raise WarehouseError(
            f"the DuckDB extension {ext} installed is not built for DuckDB {version}"
            f" (no {found}); install the versions pinned in pyproject.toml"
        )
    return found


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_lake(lake: Lake, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A new connection with the lake attached and in use; errors as one line."""
    con = duckdb.connect(config=dict(NO_DOWNLOADS))
    try:
        needed = ["ducklake"] + ([lake.kind] if lake.kind != "duckdb" else [])
        for name in needed:
            con.execute(f"LOAD {_quote(str(extension_file(name)))}")
        options = []
        if read_only:
            options.append("READ_ONLY")
        elif lake.data_path:
            options.append(f"DATA_PATH {_quote(lake.data_path)}")
        _check_catalog_file(lake, read_only)
        with_options = f" ({', '.join(options)})" if options else ""
        con.execute(f"ATTACH {_quote(lake.location)} AS {ALIAS}{with_options}")
        con.execute(f"USE {ALIAS}")
    except duckdb.Error as exc:
        con.close()
        raise _attach_error(lake, exc, read_only) from exc
    except BaseException:
        con.close()
        raise
    return con


_NO_DATA_PATH = (
    "{lake} is a new DuckLake: give --data-path (or ${env}) for its Parquet files".replace(
        "{env}", DATA_PATH_ENV
    )
)


# The file kinds of catalog, as a user names them.
_CATALOG_FILE = {"sqlite": "SQLite", "duckdb": "DuckDB"}
# What DuckDB says when a catalog's file is some other kind of file.
_NOT_A_CATALOG_WORDS = ("file is not a database", "not a valid DuckDB database file")
# libpq's reason a PostgreSQL catalog could not be reached, after DuckDB's preamble.
_PG_REASON = re.compile(r'Unable to connect to Postgres at ".*?": ([^\n]+)', re.DOTALL)


def _check_catalog_file(lake: Lake, read_only: bool) -> None:
    """A file catalog's path, checked before DuckDB opens it (so that no error of
    DuckDB's, and no new file, comes of a mistyped path): its folder must exist (a
    configuration error if not, for readers and writers alike); a reader needs the file;
    a writer making a new lake needs a data path."""
    if lake.kind not in _CATALOG_FILE:
        return
    path = Path(lake.target)
    if path.is_dir():
        raise BadWarehouse(f"{lake}: {path} is a folder, not a {_CATALOG_FILE[lake.kind]} file")
    if not path.parent.is_dir():
        raise BadWarehouse(
            f"{lake}: no folder {path.parent} for its catalog (check the path, or create it)"
        )
    if path.exists():
        return
    if read_only:
        raise WarehouseError(f"no warehouse at {lake} (run `eventpipe ingest` first)")
    if not lake.data_path:
        raise BadWarehouse(_NO_DATA_PATH.format(lake=lake))


def _attach_error(lake: Lake, exc: duckdb.Error, read_only: bool) -> WarehouseError:
    text = str(exc)
    if lake.kind in _CATALOG_FILE and any(w in text for w in _NOT_A_CATALOG_WORDS):
        return BadWarehouse(
            f"{lake}: {lake.target} is not a {_CATALOG_FILE[lake.kind]} file, so it cannot be"
            " a DuckLake catalog"
        )
    if "data_path is not set" in text:
        if read_only:
            return WarehouseError(f"no warehouse at {lake} (run `eventpipe ingest` first)")
        return BadWarehouse(_NO_DATA_PATH.format(lake=lake))
    if "does not match existing data path" in text:
        return BadWarehouse(
            f"{lake} keeps its files elsewhere than --data-path {lake.data_path}"
            " (leave --data-path out: the catalog knows where its files are)"
        )
    first = " ".join(text.split())[:300]
    if "Unable to connect to Postgres" in text or "connection to server" in text:
        found = _PG_REASON.search(text)
        reason = " ".join(found.group(1).split()) if found else first
        return BadWarehouse(f"cannot reach the DuckLake catalog of {lake}: {reason}")
    return WarehouseError(f"cannot open DuckLake {lake}: {first}")


def on_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's current database is a DuckLake."""
    row = con.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return bool(row and row[0] == "ducklake")


# --- migrations -------------------------------------------------------------------------

_COMMENT = re.compile(r"--[^\n]*")
_CREATE_INDEX = re.compile(r"CREATE\s+(UNIQUE\s+)?INDEX\b[^;]*;", re.IGNORECASE)
_INLINE_KEY = re.compile(r"\s+(PRIMARY\s+KEY|UNIQUE)\b(?!\s*\()", re.IGNORECASE)
_TABLE_KEY = re.compile(r",\s*(PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)", re.IGNORECASE)
_CHECK = re.compile(r"(,\s*)?\bCHECK\s*\(", re.IGNORECASE)


def translate(sql: str) -> str:
    """A migration as DuckLake can hold it: without PRIMARY KEY, UNIQUE and CHECK
    constraints and without indexes (see the module's text for what keeps each rule).
    NOT NULL, defaults, views, ALTER and DROP are kept as written."""
    sql = _COMMENT.sub("", sql)
    sql = _CREATE_INDEX.sub("", sql)
    sql = _TABLE_KEY.sub("", sql)
    sql = _INLINE_KEY.sub("", sql)
    out, pos = [], 0
    while m := _CHECK.search(sql, pos):
        out.append(sql[pos : m.start()])
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        pos = i
    out.append(sql[pos:])
    return "".join(out)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The lake's own table beside the migrations: one row each writer updates."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {WRITES_TABLE} (writes BIGINT NOT NULL)")
    if not con.execute(f"SELECT count(*) FROM {WRITES_TABLE}").fetchone()[0]:  # type: ignore[index]
        con.execute(f"INSERT INTO {WRITES_TABLE} VALUES (0)")


def claim(con: duckdb.DuckDBPyConnection) -> None:
    """Mark this transaction as a writer's: a concurrent writer's commit now conflicts."""
    con.execute(f"UPDATE {WRITES_TABLE} SET writes = writes + 1")


# --- writes -----------------------------------------------------------------------------


def insert_new(con: duckdb.DuckDBPyConnection, table: str, source: str, lake: bool) -> None:
    """Insert `source`'s rows (a registered table, same columns) whose key `table` lacks.

    On a DuckDB file the key's index does it (ON CONFLICT DO NOTHING); on DuckLake an
    anti-join on the key, one row per key from the source."""
    if not lake:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {source} ON CONFLICT DO NOTHING")
        return
    key = KEYS[table]
    match = " AND ".join(f"t.{c} = s.{c}" for c in key)
    con.execute(
        f"INSERT INTO {table} BY NAME SELECT * FROM {source} s"
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
        f" QUALIFY row_number() OVER (PARTITION BY {', '.join(f's.{c}' for c in key)}) = 1"
    )


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException | duckdb.IOException) and any(
        w in str(exc) for w in _CONFLICT_WORDS
    )


def retry_conflicts(attempt: Callable[[], T], lake: bool) -> T:
    """Run a whole write transaction again while its commit loses a race to another
    writer's (DuckLake only; MAX_COMMIT_RETRIES, backoff with jitter)."""
    pause = RETRY_FIRST_S
    for tries in range(MAX_COMMIT_RETRIES + 1):
        try:
            return attempt()
        except duckdb.Error as exc:
            if not lake or not is_conflict(exc) or tries == MAX_COMMIT_RETRIES:
                raise
            log.info("DuckLake commit conflict, retrying the transaction (%d)", tries + 1)
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, RETRY_MAX_S)
    raise AssertionError("unreachable")


# --- upkeep -----------------------------------------------------------------------------

# Unreferenced Parquet files younger than this are left alone: a writer's open
# transaction has written its files but not yet committed them (a batch commits within
# minutes), and only files older than any write are left by a killed writer for sure.
ORPHAN_MIN_AGE_S = 24 * 3600


def delete_orphaned_files(
    con: duckdb.DuckDBPyConnection, min_age_s: float = ORPHAN_MIN_AGE_S, dry_run: bool = False
) -> list[str]:
    """Delete the Parquet files under the lake's data path that its catalog does not know
    (a writer killed before its commit leaves them) and that were last written more than
    `min_age_s` ago; their paths. DuckLake's `ducklake_delete_orphaned_files` does it."""
    rows = con.execute(
        f"SELECT path FROM ducklake_delete_orphaned_files({_quote(ALIAS)}, dry_run => ?,"
        " older_than => now() - to_microseconds(?::BIGINT))",
        [dry_run, int(min_age_s * 1_000_000)],
    ).fetchall()
    return sorted(str(r[0]) for r in rows)
