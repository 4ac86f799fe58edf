"""Store stage: the warehouse's one writer. Each batch is one transaction.

Rows go in as Arrow tables (`INSERT ... SELECT`), which DuckDB ingests in
bulk; articles are content-addressed, so a re-run finds them stored and
adds neither them nor their events again.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from tasks.errors import WarehouseError
from tasks.models import Article, Event, Rejection
from warehouse.db import connect

RunStatus = Literal["running", "completed", "failed"]

ARTICLE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("source_kind", pa.string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("published_at", pa.timestamp("us", "UTC")),
        ("text", pa.string()),
        ("content_sha256", pa.string()),
        ("language", pa.string()),
        ("run_id", pa.string()),
        ("loaded_at", pa.timestamp("us", "UTC")),
    ]
)

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("article_id", pa.string()),
        ("run_id", pa.string()),
        ("event_type", pa.string()),
        ("event_mode", pa.string()),
        ("cameo_code", pa.string()),
        ("acled_event_type", pa.string()),
        ("acled_sub_event_type", pa.string()),
        ("actor1", pa.string()),
        ("actor1_country", pa.string()),
        ("actor1_type", pa.string()),
        ("actor2", pa.string()),
        ("actor2_country", pa.string()),
        ("actor2_type", pa.string()),
        ("country", pa.string()),
        ("admin1", pa.string()),
        ("location", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("geo_precision", pa.string()),
        ("event_date", pa.date32()),
        ("date_text", pa.string()),
        ("date_precision", pa.string()),
        ("fatalities", pa.int32()),
        ("sentence", pa.string()),
        ("char_start", pa.int32()),
        ("char_end", pa.int32()),
        ("confidence", pa.float64()),
        ("extractor_version", pa.string()),
        ("loaded_at", pa.timestamp("us", "UTC")),
        ("evidence", pa.string()),  # JSON text; DuckDB casts it into the JSON column
    ]
)

REJECTION_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("rejected_at", pa.timestamp("us", "UTC")),
    ]
)


@dataclass(slots=True)
class BatchCounts:
    """What one batch (or a whole run, summed) did to the warehouse."""

    articles_seen: int = 0
    articles_new: int = 0
    articles_duplicate: int = 0
    articles_rejected: int = 0
    events_stored: int = 0

    def __add__(self, other: BatchCounts) -> BatchCounts:
        return BatchCounts(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, ...]:
        return tuple(asdict(self).values())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(slots=True)
class ExtractedArticle:
    """An article with the events coded from it, ready to store."""

    article: Article
    events: list[Event]
    extractor_version: str


def _now() -> datetime:
    return datetime.now(UTC)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, keyed: bool = True) -> None:
    """Bulk insert an Arrow table; rows whose key is stored already are skipped."""
    if not rows.num_rows:
        return
    # A replacement scan finds the local Arrow table by its Python name.
    conflict = " ON CONFLICT DO NOTHING" if keyed else ""
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows{conflict}")


def start_run(db: str | Path, run_id: str, flow_name: str, parameters: dict[str, Any]) -> None:
    """Record a run as 'running' before it writes anything."""
    with connect(db) as con:
        con.execute(
            "INSERT INTO runs (run_id, flow_name, parameters, started_at, status)"
            " VALUES (?, ?, ?, ?, 'running')",
            [run_id, flow_name, json.dumps(parameters, default=str), _now()],
        )


def finish_run(
    db: str | Path, run_id: str, status: RunStatus, counts: BatchCounts, error: str | None = None
) -> None:
    """Close a run with its status and totals."""
    with connect(db) as con:
        con.execute(
            "UPDATE runs SET status = ?, finished_at = ?, articles_seen = ?, articles_new = ?,"
            " articles_duplicate = ?, articles_rejected = ?, events_stored = ?, error = ?"
            " WHERE run_id = ?",
            [status, _now(), *counts.as_tuple(), error, run_id],
        )


def stored_article_ids(db: str | Path, article_ids: Sequence[str]) -> set[str]:
    """Which of these articles the warehouse holds already (to skip their work)."""
    if not article_ids:
        return set()
    with connect(db, read_only=True) as con:
        return _existing(con, article_ids)


def _existing(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> set[str]:
    ids = pa.table({"article_id": pa.array(list(article_ids), pa.string())})  # noqa: F841
    rows = con.execute("SELECT article_id FROM articles JOIN ids USING (article_id)").fetchall()
    return {r[0] for r in rows}


def store_batch(
    db: str | Path,
    run_id: str,
    extracted: Iterable[ExtractedArticle],
    rejections: Iterable[Rejection],
) -> BatchCounts:
    """Write one batch in one transaction: all of it, or (on any error) none of it."""
    items = list(extracted)
    rejected = list(rejections)
    loaded_at = _now()
    with connect(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            existing = _existing(con, [x.article.article_id for x in items])
            fresh: dict[str, ExtractedArticle] = {}
            for item in items:
                if item.article.article_id not in existing:
                    fresh.setdefault(item.article.article_id, item)
            article_rows = [_article_row(x.article, run_id, loaded_at) for x in fresh.values()]
            event_rows = {
                row["event_id"]: row
                for x in fresh.values()
                for row in (_event_row(e, x, run_id, loaded_at) for e in x.events)
            }
            _insert(con, "articles", pa.Table.from_pylist(article_rows, ARTICLE_SCHEMA))
            _insert(con, "events", pa.Table.from_pylist(list(event_rows.values()), EVENT_SCHEMA))
            _insert(
                con,
                "rejections",
                pa.Table.from_pylist(
                    [
                        {
                            "run_id": run_id,
                            "source": r.source,
                            "reason": r.reason,
                            "detail": r.detail,
                            "rejected_at": loaded_at,
                        }
                        for r in rejected
                    ],
                    REJECTION_SCHEMA,
                ),
                keyed=False,
            )
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con)
            if isinstance(exc, Exception):  # Arrow type errors as much as DuckDB's
                raise WarehouseError(f"batch not stored, warehouse unchanged: {exc}") from exc
            raise
    return BatchCounts(
        articles_seen=len(items) + len(rejected),
        articles_new=len(fresh),
        articles_duplicate=len(items) - len(fresh),
        articles_rejected=len(rejected),
        events_stored=len(event_rows),
    )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the open transaction; a failed COMMIT may have closed it already."""
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("ROLLBACK")


def _article_row(article: Article, run_id: str, loaded_at: datetime) -> dict[str, Any]:
    return {
        "article_id": article.article_id,
        "source_kind": article.source_kind,
        "source": article.source,
        "url": article.url,
        "title": article.title,
        "published_at": article.published_at,
        "text": article.text,
        "content_sha256": article.content_sha256,
        "language": article.language,
        "run_id": run_id,
        "loaded_at": loaded_at,
    }


def _event_row(
    event: Event, item: ExtractedArticle, run_id: str, loaded_at: datetime
) -> dict[str, Any]:
    row = event.as_dict()
    row.update(
        event_id=event.event_id(item.article.article_id),
        article_id=item.article.article_id,
        run_id=run_id,
        extractor_version=item.extractor_version,
        loaded_at=loaded_at,
        evidence=json.dumps(event.evidence, ensure_ascii=False) if event.evidence else None,
    )
    return row
