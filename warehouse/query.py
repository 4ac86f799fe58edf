"""Read-only SQL for analysts: refuse anything but reading, hold the file briefly."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse import lake
from warehouse.db import open_db, query_deadline, resolve_location
from warehouse.errors import QueryFailed, QueryRefused, QueryStopped
from warehouse.lake import Lake

# Statement kinds that only read. Everything else (DELETE, INSERT, UPDATE, COPY,
# ATTACH, CREATE, SET, CALL, LOAD, EXPORT...) is refused before it reaches DuckDB;
# the connection is read-only as well, so a refusal missed here still fails.
READ_STATEMENTS = {
    duckdb.StatementType.SELECT,
    duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.PRAGMA,
}
# EXPLAIN ANALYZE runs the statement it explains, so it is refused like that statement.
_ANALYZE = re.compile(r"\bANALY[SZ]E\b", re.IGNORECASE)
# Analysts' SQL reads the warehouse and nothing else: no files, no network, no
# extension installs (COPY ... TO, read_csv('http...'), INSTALL are all refused).
SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# A query runs at most this long, then DuckDB is interrupted: while it runs it holds
# the file, and a writer waiting for it (600 s at most) must not wait on a runaway.
QUERY_TIMEOUT_S = 60.0
# DuckDB's default is 80% of the machine's memory; an analyst's query shares the
# machine with ingestion, so it gets a modest share and fails clearly past it.
QUERY_MEMORY_LIMIT = "2GB"
# Half the cores (at least one): the other half stays free for a run beside it
# (parsing and coding use a process pool), at the cost of slower big scans.
QUERY_THREADS = max(1, (os.cpu_count() or 2) // 2)
# Limits of an analyst's query. No spilling to disk either: a query past its memory
# fails rather than filling the disk the warehouse's writers need.
LIMITS: dict[str, str | int] = {
    "memory_limit": QUERY_MEMORY_LIMIT,
    "threads": QUERY_THREADS,
    "temp_directory": "",
}


@dataclass(slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        """Rows as objects; refused when two columns share a name (one would be lost)."""
        dupes = sorted({c for c in self.columns if self.columns.count(c) > 1})
        if dupes:
            raise QueryRefused(
                f"columns {', '.join(dupes)} appear twice; give them distinct names with AS"
            )
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def check_read_only(sql: str) -> None:
    """Raise QueryRefused unless every statement in `sql` only reads."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"not valid SQL: {str(exc).splitlines()[0]}") from exc
    if not statements:
        raise QueryRefused("no SQL statement given")
    for stmt in statements:
        explain_analyze = stmt.type == duckdb.StatementType.EXPLAIN and _ANALYZE.search(stmt.query)
        if stmt.type not in READ_STATEMENTS or explain_analyze:
            kind = "EXPLAIN ANALYZE" if explain_analyze else stmt.type.name
            raise QueryRefused(
                f"refused: `eventpipe query` only reads; {kind} statements can change "
                "the warehouse or the machine. Nothing was run."
            )


def error_text(exc: BaseException) -> str:
    """DuckDB's message as one line, hints included ("Did you mean ...?",
    "Candidate bindings: ..."), without the quoted SQL and caret after them."""
    head = str(exc).split("\n\n", 1)[0]
    return (
        " ".join(line.strip() for line in head.splitlines() if line.strip()) or type(exc).__name__
    )


def run_query(
    sql: str,
    db: str | os.PathLike[str] | None = None,
    params: Sequence[object] = (),
    timeout_s: float | None = None,
    deadline_s: float | None = None,
) -> QueryResult:
    """Run read-only SQL on a sandboxed, read-only connection opened for this query alone.

    The query is interrupted after `timeout_s` (default QUERY_TIMEOUT_S); opening
    waits up to `deadline_s` for a writer to let go (default: the query deadline).
    """
    check_read_only(sql)
    limit_s = QUERY_TIMEOUT_S if timeout_s is None else timeout_s
    deadline = query_deadline() if deadline_s is None else deadline_s
    found = resolve_location(db)
    if isinstance(found, Lake):
        con = _open_lake_sandboxed(found)
    else:
        con = open_db(found, read_only=True, config={**SANDBOX, **LIMITS}, deadline_s=deadline)
    guard = threading.Lock()  # the timer never interrupts a connection being closed
    state = {"stopped": False, "closed": False}

    def stop() -> None:
        with guard:
            if not state["closed"]:
                state["stopped"] = True
                con.interrupt()

    timer = threading.Timer(limit_s, stop)
    timer.daemon = True
    timer.start()
    try:
        cur = con.execute(sql, list(params) or None)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    except duckdb.Error as exc:
        if state["stopped"]:
            raise QueryStopped(
                f"query stopped after {limit_s:g} s: it ran past its time limit"
                " (--timeout SECONDS to allow longer; the warehouse was only read)"
            ) from exc
        raise QueryFailed(f"query failed: {error_text(exc)}") from exc
    finally:
        timer.cancel()
        with guard:
            state["closed"] = True
            con.close()
    return QueryResult(columns, rows)


def _open_lake_sandboxed(found: Lake) -> duckdb.DuckDBPyConnection:
    """A DuckLake opened read-only under the same limits; its own extensions are loaded
    first, then outside access is turned off but for the lake's data files (DuckDB
    cannot turn it back on for the analyst's SQL)."""
    con = lake.open_lake(found, read_only=True)
    try:
        for name, value in LIMITS.items():
            con.execute(f"SET {name} = {value!r}")
        row = con.execute(f"SELECT data_path FROM ducklake_settings('{lake.ALIAS}')").fetchone()
        if row and row[0]:
            con.execute("SET allowed_directories = ?", [[row[0]]])
        con.execute("SET enable_external_access = false")
    except duckdb.Error:
        con.close()
        raise
    return con
