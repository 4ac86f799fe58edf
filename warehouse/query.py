"""Read-only SQL for analysts: refuse anything but reading, hold the file briefly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import duckdb

from tasks.errors import QueryRefused
from warehouse.db import open_db, resolve_db_path

# Statement kinds that only read. Everything else (DELETE, INSERT, UPDATE, COPY,
# ATTACH, CREATE, SET, CALL, LOAD, EXPORT...) is refused before it reaches DuckDB;
# the connection is read-only as well, so a refusal missed here still fails.
READ_STATEMENTS = {
    duckdb.StatementType.SELECT,
    duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.PRAGMA,
}


@dataclass(slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def check_read_only(sql: str) -> None:
    """Raise QueryRefused unless every statement in `sql` only reads."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"not valid SQL: {exc}") from exc
    if not statements:
        raise QueryRefused("no SQL statement given")
    for stmt in statements:
        if stmt.type not in READ_STATEMENTS:
            kind = stmt.type.name
            raise QueryRefused(
                f"refused: `eventpipe query` only reads; a {kind} statement would change "
                "the warehouse or the machine. Nothing was run."
            )


def run_query(sql: str, db: str | os.PathLike[str] | None = None) -> QueryResult:
    """Run read-only SQL on a read-only connection opened for this query alone."""
    check_read_only(sql)
    con = open_db(resolve_db_path(db), read_only=True)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    except duckdb.Error as exc:
        raise QueryRefused(f"query failed: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()
    return QueryResult(columns, rows)
