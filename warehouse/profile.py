"""What a query read: its table scans' rows and kinds, from DuckDB's profiler.

Used to check (tests, `eventpipe bench`) that a look-up reads a window or a few keys,
not a whole table: a query run through `fetch` with a `Scans` counts the rows each
table scan read (after the zonemaps skipped what they could) and whether it went
through an ART index ("Index Scan") or the table ("Sequential Scan").
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

# Whether `con.sql(sql, params=...)` is a lazy, profiled relation (DuckDB 2.x) rather
# than a query run at once (1.5, pinned for its DuckLake wheels: see pyproject.toml).
_PROFILES_RELATIONS_WITH_PARAMS = int(duckdb.__version__.split(".")[0]) >= 2


@dataclass(slots=True)
class Scans:
    """Rows read per table, and each table's kinds of scan, over the queries profiled."""

    rows: Counter[str] = field(default_factory=Counter)
    kinds: set[tuple[str, str]] = field(default_factory=set)

    def add(self, profile: dict[str, Any]) -> None:
        # The plan's root operators: under "operator" in DuckDB 2.x, "children" in 1.5.
        stack = list(profile.get("operator") or profile.get("children") or [])
        while stack:
            node = stack.pop()
            info = node.get("extra_info", {})
            if info.get("Table"):
                table = str(info["Table"]).rsplit(".", 1)[-1]
                # "rows_scanned" in DuckDB 2.x, "operator_rows_scanned" in 1.5.
                scanned = node.get("rows_scanned", node.get("operator_rows_scanned"))
                self.rows[table] += int(scanned or 0)
                self.kinds.add((table, str(info.get("Type", ""))))
            stack.extend(node.get("children", []))


def settle(con: duckdb.DuckDBPyConnection) -> None:
    """Run the connection's last `execute()` result to its end: DuckDB refuses a relation
    query or a registration while one is unread (a `fetchone()` leaves it so).

    DuckDB 2.x has `complete()` for this; 1.5 (pinned for its DuckLake wheels, see
    pyproject.toml) has no such call and needs none: a new query discards the old result."""
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()


def fetch(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any] | None = None,
    scans: Scans | None = None,
) -> pa.Table:
    """The query's rows as Arrow; with `scans`, what its table scans read is added."""
    settle(con)
    if scans is None:
        return _arrow(con, sql, params)
    con.execute("PRAGMA enable_profiling = 'no_output'")
    try:
        result = _arrow(con, sql, params)
        scans.add(json.loads(con.get_profiling_information(format="json")))
    finally:
        con.execute("PRAGMA disable_profiling")
    return result


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None) -> pa.Table:
    # A relation, not a cursor: DuckDB 2.x's profiler sees only queries run this way, and
    # Arrow is read without the extra copy a cursor makes. DuckDB 1.5 runs a relation with
    # parameters at once, unprofiled, so there a query with parameters goes by `execute`.
    if params and not _PROFILES_RELATIONS_WITH_PARAMS:
        return con.execute(sql, params).to_arrow_table()
    relation = con.sql(sql, params=params or None)
    if relation is None:
        raise duckdb.InvalidInputException(f"not a query: {sql[:60]}")
    return relation.to_arrow_table()
