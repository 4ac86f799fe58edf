"""Read-only SQL for analysts: refuse anything but reading, hold the file briefly."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.db import open_db, resolve_db_path
from warehouse.errors import QueryFailed, QueryRefused

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


def run_query(
    sql: str, db: str | os.PathLike[str] | None = None, params: Sequence[object] = ()
) -> QueryResult:
    """Run read-only SQL on a sandboxed, read-only connection opened for this query alone."""
    check_read_only(sql)
    con = open_db(resolve_db_path(db), read_only=True, config=dict(SANDBOX))
    try:
        cur = con.execute(sql, list(params) or None)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    except duckdb.Error as exc:
        raise QueryFailed(f"query failed: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()
    return QueryResult(columns, rows)
