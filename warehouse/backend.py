"""The seam between eventpipe and its storage: one small interface, DuckDB behind it.

Flows and their steps reach the warehouse only through `open_warehouse(db)`,
so a second backend (a DuckLake catalog, say) plugs in here without a change
above: open for writing or reading, write a batch, read what is known
(input hashes, article ids, URLs, feed cursors), record a run.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb

from warehouse import lake, reads, runs, writer
from warehouse.db import connect, resolve_location
from warehouse.lake import Lake
from warehouse.runs import RunCounts, RunStatus
from warehouse.writer import Batch, Linking, NearDuplicateCheck


class Warehouse(Protocol):
    """What the flows need of a warehouse."""

    @property
    def location(self) -> str: ...

    def open_write(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def open_read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def write_batch(
        self,
        run_id: str,
        batch: Batch,
        linking: Linking | None = None,
        near_duplicates: NearDuplicateCheck | None = None,
    ) -> dict[str, int]: ...

    def write_recoding(
        self, run_id: str, batch: Batch, linking: Linking | None = None
    ) -> dict[str, int]: ...

    def start_run(self, run_id: str, flow_name: str, parameters: dict[str, Any]) -> None: ...

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        counts: RunCounts,
        error: str | None = None,
        snapshot: bool = False,
    ) -> None: ...

    def settled_raw_hashes(
        self, hashes: Sequence[str], settled_reasons: Collection[str]
    ) -> set[str]: ...

    def stored_article_ids(self, article_ids: Sequence[str]) -> set[str]: ...

    def settled_urls(self, urls: Sequence[str], settled_outcomes: Collection[str]) -> set[str]: ...

    def feed_cursors(self, feed_urls: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def stale_articles(
        self, columns: Sequence[str], extractor_version: str, after: str, limit: int
    ) -> list[dict[str, Any]]: ...

    def count_stale(self, extractor_version: str) -> int: ...

    def export_parquet(self, target: Path) -> int: ...

    def delete_orphaned_files(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class DuckDBWarehouse:
    """The warehouse as one DuckDB file (one writer at a time, behind a file lock)."""

    path: Path | str  # a file's path; a DuckLake's `ducklake:` location (the subclass)

    @property
    def location(self) -> str:
        return str(self.path)

    def open_write(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return connect(self.path)

    def open_read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        return connect(self.path, read_only=True)

    def write_batch(
        self,
        run_id: str,
        batch: Batch,
        linking: Linking | None = None,
        near_duplicates: NearDuplicateCheck | None = None,
    ) -> dict[str, int]:
        return writer.write_batch(self.path, run_id, batch, linking, near_duplicates)

    def write_recoding(
        self, run_id: str, batch: Batch, linking: Linking | None = None
    ) -> dict[str, int]:
        return writer.write_recoding(self.path, run_id, batch, linking)

    def start_run(self, run_id: str, flow_name: str, parameters: dict[str, Any]) -> None:
        runs.start_run(self.path, run_id, flow_name, parameters)

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        counts: RunCounts,
        error: str | None = None,
        snapshot: bool = False,
    ) -> None:
        runs.finish_run(self.path, run_id, status, counts, error, snapshot)

    def settled_raw_hashes(
        self, hashes: Sequence[str], settled_reasons: Collection[str]
    ) -> set[str]:
        return reads.settled_raw_hashes(self.path, hashes, settled_reasons)

    def stored_article_ids(self, article_ids: Sequence[str]) -> set[str]:
        return reads.stored_article_ids(self.path, article_ids)

    def settled_urls(self, urls: Sequence[str], settled_outcomes: Collection[str]) -> set[str]:
        return reads.settled_urls(self.path, urls, settled_outcomes)

    def feed_cursors(self, feed_urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        return reads.feed_cursors(self.path, feed_urls)

    def stale_articles(
        self, columns: Sequence[str], extractor_version: str, after: str, limit: int
    ) -> list[dict[str, Any]]:
        return reads.stale_articles(self.path, columns, extractor_version, after, limit)

    def count_stale(self, extractor_version: str) -> int:
        return reads.count_stale(self.path, extractor_version)

    def export_parquet(self, target: Path) -> int:
        return reads.export_parquet(self.path, target)

    def delete_orphaned_files(self) -> list[str]:
        """A DuckDB file has no data files beside it to lose track of: none."""
        return []


@dataclass(frozen=True, slots=True)
class DuckLakeWarehouse(DuckDBWarehouse):
    """The warehouse as a DuckLake: a catalog and Parquet files (warehouse/lake.py).

    The same calls as the file's: `warehouse.db.connect` opens the lake for them. No
    file lock: any number of writers commit optimistically, each batch retried whole
    when it loses a commit race; readers never block writers."""

    def delete_orphaned_files(self) -> list[str]:
        """Parquet files a killed writer left unreferenced, older than a day: deleted."""
        with connect(self.path) as con:
            return lake.delete_orphaned_files(con)


def open_warehouse(db: str | os.PathLike[str] | None = None) -> Warehouse:
    """The warehouse at `db` (else $EVENTPIPE_DB, else the default file); a
    `ducklake:<catalog kind>:<catalog>` location is a DuckLake."""
    found = resolve_location(db)
    if isinstance(found, Lake):
        return DuckLakeWarehouse(found.location)
    return DuckDBWarehouse(found)
