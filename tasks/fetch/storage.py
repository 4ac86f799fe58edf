"""Warehouse side of live sources: read-only look-ups before fetching, writes with a batch.

The writes (fetch log rows, feed cursors) go through `store.store_batch`'s
`also` hook, so a feed's cursor moves in the same transaction as the
articles and events it covers: all of the batch is stored, or none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from tasks import store
from tasks.fetch.records import SETTLED_OUTCOMES, FeedUpdate, FetchRecord
from tasks.store import BatchCounts, ExtractedArticle
from warehouse.db import connect

FETCH_LOG_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("kind", pa.string()),
        ("url", pa.string()),
        ("canonical_url", pa.string()),
        ("feed_url", pa.string()),
        ("final_url", pa.string()),
        ("outcome", pa.string()),
        ("http_status", pa.int32()),
        ("detail", pa.string()),
        ("attempts", pa.int32()),
        ("bytes", pa.int64()),
        ("article_id", pa.string()),
        ("fetched_at", pa.timestamp("us", "UTC")),
    ]
)

FEEDS_SCHEMA = pa.schema(
    [
        ("feed_url", pa.string()),
        ("name", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("last_polled_at", pa.timestamp("us", "UTC")),
        ("last_outcome", pa.string()),
        ("last_status", pa.int32()),
        ("bozo", pa.bool_()),
        ("bozo_reason", pa.string()),
        ("entries", pa.int32()),
        ("run_id", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the warehouse remembers of a feed: its cursor and when it was last polled."""

    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None


def feed_states(db: str | Path, feed_urls: Sequence[str]) -> dict[str, FeedState]:
    """The stored cursor of each of these feeds that has one."""
    if not feed_urls:
        return {}
    with connect(db, read_only=True) as con:
        urls = pa.table({"feed_url": pa.array(list(feed_urls), pa.string())})  # noqa: F841
        rows = con.execute(
            "SELECT feed_url, etag, last_modified, last_polled_at"
            " FROM feeds JOIN urls USING (feed_url)"
        ).fetchall()
    return {r[0]: FeedState(r[1], r[2], r[3]) for r in rows}


def known_urls(db: str | Path, canonical_urls: Sequence[str]) -> set[str]:
    """Which of these canonical URLs need no fetch: stored, or settled by an earlier fetch."""
    if not canonical_urls:
        return set()
    settled = pa.table({"outcome": pa.array(sorted(SETTLED_OUTCOMES), pa.string())})  # noqa: F841
    urls = pa.table({"canonical_url": pa.array(list(canonical_urls), pa.string())})  # noqa: F841
    with connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT canonical_url FROM urls WHERE canonical_url IN"
            " (SELECT canonical_url FROM articles WHERE canonical_url IS NOT NULL)"
            " OR canonical_url IN (SELECT canonical_url FROM fetch_log"
            " WHERE kind = 'page' AND outcome IN (SELECT outcome FROM settled))"
        ).fetchall()
    return {r[0] for r in rows}


def store_live_batch(
    db: str | Path,
    run_id: str,
    extracted: list[ExtractedArticle],
    records: list[FetchRecord],
    feeds: list[FeedUpdate],
) -> BatchCounts:
    """Articles, events, fetch log rows and feed cursors of one batch, in one transaction."""
    now = datetime.now(UTC)

    def also(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
        """Rows carry the batch's run id, like the articles and events they go with."""
        log_rows = pa.Table.from_pylist(  # noqa: F841 (read by DuckDB by name)
            [_log_row(r, batch_id, now) for r in records], FETCH_LOG_SCHEMA
        )
        feed_rows = pa.Table.from_pylist([_feed_row(f, batch_id) for f in feeds], FEEDS_SCHEMA)
        if records:
            con.execute("INSERT INTO fetch_log BY NAME SELECT * FROM log_rows")
        if feed_rows.num_rows:
            con.execute(
                "INSERT INTO feeds BY NAME SELECT * FROM feed_rows ON CONFLICT (feed_url) DO UPDATE"
                " SET name = excluded.name, etag = excluded.etag,"
                " last_modified = excluded.last_modified, last_polled_at = excluded.last_polled_at,"
                " last_outcome = excluded.last_outcome, last_status = excluded.last_status,"
                " bozo = excluded.bozo, bozo_reason = excluded.bozo_reason,"
                " entries = excluded.entries, run_id = excluded.run_id"
            )

    return store.store_batch(db, run_id, extracted, [], also=also)


def _log_row(record: FetchRecord, run_id: str, now: datetime) -> dict[str, object]:
    return {
        "run_id": run_id,
        "kind": record.kind,
        "url": record.url,
        "canonical_url": record.canonical_url,
        "feed_url": record.feed_url,
        "final_url": record.final_url,
        "outcome": record.outcome,
        "http_status": record.http_status,
        "detail": record.detail,
        "attempts": record.attempts,
        "bytes": record.bytes,
        "article_id": record.article_id,
        "fetched_at": now,
    }


def _feed_row(update: FeedUpdate, run_id: str) -> dict[str, object]:
    return {
        "feed_url": update.feed_url,
        "name": update.name,
        # A held cursor is written back as it was, so the next poll asks for it all again.
        "etag": update.etag if update.move_cursor else update.held_etag,
        "last_modified": update.last_modified if update.move_cursor else update.held_last_modified,
        "last_polled_at": update.polled_at,
        "last_outcome": update.status,
        "last_status": update.http_status,
        "bozo": update.bozo,
        "bozo_reason": update.bozo_reason,
        "entries": update.entries,
        "run_id": run_id,
    }
