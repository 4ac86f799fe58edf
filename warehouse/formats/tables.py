"""Our own tables, as Parquet or CSV, with our own column names.

* events: `events_view` rows with their incident and outlet (`warehouse.formats.rows`);
* incidents: the `incidents` view with what exporters add (precisions, outlets...);
* articles: the stored articles (text and all); with a day or country filter, only
  those that reported an event of the selection.

Parquet goes to a folder: `events/`, `incidents/`, `articles/`, each hive-partitioned
by month (`month=2025-10/`) of the event's day (articles: of publication, else of
loading); undated rows are in the null partition (`month=__HIVE_DEFAULT_PARTITION__`,
which pyarrow and DuckDB read back as a null month). CSV goes to a
folder (three files with headers) or, for the `--level` table alone, to a file or `-`.
DuckDB writes both (`COPY ... TO`), on one read-only connection.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import duckdb

from warehouse.db import connect
from warehouse.formats.output import STDOUT, folder_target, text_target
from warehouse.formats.rows import articles_sql, selected_sql
from warehouse.formats.selection import Selection, Written

Table = Literal["events", "incidents", "articles"]
TABLES: tuple[Table, ...] = ("events", "incidents", "articles")
TableFormat = Literal["parquet", "csv"]
# The partition column of every Parquet table: the month of its day, as YYYY-MM.
MONTH = "month"


def _quoted(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def table_sql(table: Table, selection: Selection) -> str:
    """A table's rows for a selection (the selection's level is ignored: each table is its
    own level)."""
    return articles_sql(selection) if table == "articles" else selected_sql(selection, table)


def _month_of(table: Table) -> str:
    day = "coalesce(published_at, loaded_at)" if table == "articles" else "event_date"
    return f"strftime({day}, '%Y-%m') AS {MONTH}"


def write_parquet(
    db: str | os.PathLike[str] | None,
    selection: Selection,
    path: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict[Table, int]:
    """Write the three tables under `path` as month-partitioned Parquet; rows per table."""
    counts: dict[Table, int] = {}
    with folder_target(path) as fresh, connect(db, read_only=True) as con:
        for done, table in enumerate(TABLES):
            if progress is not None:
                progress(done, len(TABLES))
            sql = f"SELECT *, {_month_of(table)} FROM ({table_sql(table, selection)})"
            con.execute(
                f"COPY ({sql}) TO {_quoted(fresh / table)}"
                f" (FORMAT parquet, PARTITION_BY ({MONTH}), COMPRESSION zstd)"
            )
            found = con.execute(
                f"SELECT count(*) FROM read_parquet({_quoted(fresh / table / '**' / '*.parquet')})"
            ).fetchone()
            counts[table] = int(found[0]) if found else 0
    if progress is not None:
        progress(len(TABLES), len(TABLES))
    return counts


def _copy_csv(con: duckdb.DuckDBPyConnection, sql: str, target: Path) -> int:
    con.execute(f"COPY ({sql}) TO {_quoted(target)} (FORMAT csv, HEADER)")
    found = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()
    return int(found[0]) if found else 0


def write_csv(
    db: str | os.PathLike[str] | None,
    selection: Selection,
    path: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict[Table, int]:
    """CSV with headers: to a folder, one file per table; to a file or `-`, the table of
    the selection's level. Rows per table written."""
    if path != STDOUT and is_folder_target(path):
        counts: dict[Table, int] = {}
        with folder_target(path) as fresh, connect(db, read_only=True) as con:
            for done, table in enumerate(TABLES):
                if progress is not None:
                    progress(done, len(TABLES))
                counts[table] = _copy_csv(con, table_sql(table, selection), fresh / f"{table}.csv")
        return counts
    level: Table = selection.level
    with tempfile.TemporaryDirectory(prefix="eventpipe-csv-") as tmp:
        staged = Path(tmp) / f"{level}.csv"
        with connect(db, read_only=True) as con:
            n = _copy_csv(con, table_sql(level, selection), staged)
        with text_target(path) as out, staged.open(encoding="utf-8", newline="") as src:
            shutil.copyfileobj(src, out)
    return {level: n}


def is_folder_target(path: str) -> bool:
    """CSV to a folder: an existing folder, or a new path with no extension."""
    target = Path(path)
    return target.is_dir() or (not target.exists() and target.suffix == "")


def export_tables(
    db: str | os.PathLike[str] | None,
    selection: Selection,
    path: str,
    progress: Callable[[int, int], None] | None = None,
    *,
    fmt: TableFormat,
) -> Written:
    """Export our tables; `Written.rows` counts the rows of the selection's level."""
    write = write_parquet if fmt == "parquet" else write_csv
    counts = write(db, selection, path, progress)
    return Written(counts.get(selection.level, 0))
