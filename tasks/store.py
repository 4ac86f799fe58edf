"""Store stage: the warehouse's one writer. Each batch is one transaction.

Rows go in as Arrow tables (`INSERT ... SELECT`), which DuckDB ingests in
bulk; articles are content-addressed, so a re-run finds them stored and
adds neither them nor their events again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from tasks.errors import WarehouseError
from tasks.models import Article, Event, Rejection, RejectReason
from warehouse.db import connect
from warehouse.snapshot import refresh_snapshot, snapshot_path, snapshots_enabled

log = logging.getLogger("eventpipe.store")

RunStatus = Literal["running", "completed", "failed", "crashed"]

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
        ("author", pa.string()),
        ("site_name", pa.string()),
        ("canonical_url", pa.string()),
        ("raw_sha256", pa.string()),
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

CODING_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("extractor_version", pa.string()),
        ("run_id", pa.string()),
        ("events", pa.int32()),
        ("coded_at", pa.timestamp("us", "UTC")),
    ]
)

REJECTION_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("raw_sha256", pa.string()),
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
    """Record a run as 'running' before it writes anything (and close dead runs as crashed)."""
    with connect(db) as con:
        mark_crashed_runs(con)
        # A Prefect retry of a flow run reuses its id: the run starts again, and its
        # batches number on from those it committed before.
        con.execute(
            "INSERT INTO runs (run_id, flow_name, parameters, started_at, status, pid, host)"
            " VALUES (?, ?, ?, ?, 'running', ?, ?)"
            " ON CONFLICT (run_id) DO UPDATE SET status = 'running',"
            " started_at = excluded.started_at, finished_at = NULL, error = NULL,"
            " pid = excluded.pid, host = excluded.host",
            [
                run_id,
                flow_name,
                json.dumps(parameters, default=str),
                _now(),
                os.getpid(),
                socket.gethostname(),
            ],
        )


def mark_crashed_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Flow runs still 'running' whose process on this host is gone become 'crashed'.

    A SIGKILL or a power cut leaves its run 'running'; its committed batches
    stand (each is a completed run of its own) and its open batch left nothing.
    Runs of other hosts are left alone: their processes cannot be seen from here.
    """
    host = socket.gethostname()
    running = con.execute(
        "SELECT run_id, pid FROM runs WHERE status = 'running' AND parent_run_id IS NULL"
        " AND host = ? AND pid IS NOT NULL",
        [host],
    ).fetchall()
    dead = [run_id for run_id, pid in running if not _alive(pid)]
    for run_id in dead:
        con.execute(
            "UPDATE runs SET status = 'crashed', finished_at = ?,"
            " error = 'its process ended without closing the run (killed or crashed)'"
            " WHERE run_id = ?",
            [_now(), run_id],
        )
    return dead


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def finish_run(
    db: str | Path,
    run_id: str,
    status: RunStatus,
    counts: BatchCounts,
    error: str | None = None,
    snapshot: bool = False,
) -> None:
    """Close a run with its status and totals; after a completed one, refresh the snapshot."""
    with connect(db) as con:
        con.execute(
            "UPDATE runs SET status = ?, finished_at = ?, articles_seen = ?, articles_new = ?,"
            " articles_duplicate = ?, articles_rejected = ?, events_stored = ?, error = ?"
            " WHERE run_id = ?",
            [status, _now(), *counts.as_tuple(), error, run_id],
        )
    # A run that stored nothing leaves an existing snapshot as current as it was;
    # a failed run's committed batches are stored rows all the same.
    stored = counts.articles_new + counts.events_stored + counts.articles_rejected
    missing = not snapshot_path(db).exists()
    wanted = snapshot or stored or missing
    if status in ("completed", "failed") and wanted and snapshots_enabled():
        try:
            refresh_snapshot(db)
        except (OSError, WarehouseError) as exc:  # the run's rows are stored either way
            log.warning("snapshot of %s not refreshed: %s", db, exc)


def stored_article_ids(db: str | Path, article_ids: Sequence[str]) -> set[str]:
    """Which of these articles the warehouse holds already (to skip their work)."""
    if not article_ids:
        return set()
    with connect(db, read_only=True) as con:
        return _existing(con, article_ids)


# Rejections that the input's bytes alone decide (a page with no article text):
# the same input is not parsed again. Not parser crashes (`bad_html`: a fixed
# trafilatura may read it) nor coder failures, which a new coder may fix.
SETTLED_REJECTIONS: tuple[RejectReason, ...] = ("no_text", "empty", "bad_metadata")


def stored_raw_hashes(db: str | Path, hashes: Sequence[str]) -> set[str]:
    """Inputs (by raw hash) stored, or rejected for their content, already: skip them
    before parsing."""
    if not hashes:
        return set()
    with connect(db, read_only=True) as con:
        raw = pa.table({"raw_sha256": pa.array(list(hashes), pa.string())})  # noqa: F841
        found = con.execute(
            "SELECT raw_sha256 FROM articles JOIN raw USING (raw_sha256)"
            " UNION SELECT raw_sha256 FROM rejections JOIN raw USING (raw_sha256)"
            f" WHERE reason IN ({', '.join(repr(r) for r in SETTLED_REJECTIONS)})"
        )
        return {r[0] for r in found.fetchall()}


def _existing(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> set[str]:
    ids = pa.table({"article_id": pa.array(list(article_ids), pa.string())})  # noqa: F841
    rows = con.execute("SELECT article_id FROM articles JOIN ids USING (article_id)").fetchall()
    return {r[0] for r in rows}


def store_batch(
    db: str | Path,
    run_id: str,
    extracted: Iterable[ExtractedArticle],
    rejections: Iterable[Rejection],
    also: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None,
) -> BatchCounts:
    """Write one batch in one transaction: all of it, or (on any error) none of it.

    `also(con, batch_id)` writes more rows in the same transaction (live sources:
    the fetch log and the feeds' conditional-GET cursors, which move with their rows).
    """
    items = list(extracted)
    rejected = list(rejections)
    loaded_at = _now()
    with connect(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            batch_id = _next_batch_id(con, run_id)
            existing = _existing(con, [x.article.article_id for x in items])
            fresh: dict[str, ExtractedArticle] = {}
            for item in items:
                if item.article.article_id not in existing:
                    fresh.setdefault(item.article.article_id, item)
            article_rows = [_article_row(x.article, batch_id, loaded_at) for x in fresh.values()]
            event_rows = {
                row["event_id"]: row
                for x in fresh.values()
                for row in (_event_row(e, x, batch_id, loaded_at) for e in x.events)
            }
            _insert(con, "articles", pa.Table.from_pylist(article_rows, ARTICLE_SCHEMA))
            _insert(con, "events", pa.Table.from_pylist(list(event_rows.values()), EVENT_SCHEMA))
            _insert(con, "codings", _coding_rows(fresh.values(), batch_id, loaded_at))
            _insert(
                con,
                "rejections",
                pa.Table.from_pylist(
                    [
                        {
                            "run_id": batch_id,
                            "source": r.source,
                            "reason": r.reason,
                            "detail": r.detail,
                            "raw_sha256": r.raw_sha256,
                            "rejected_at": loaded_at,
                        }
                        for r in rejected
                    ],
                    REJECTION_SCHEMA,
                ),
                keyed=False,
            )
            if also is not None:
                also(con, batch_id)
            counts = BatchCounts(
                articles_seen=len(items) + len(rejected),
                articles_new=len(fresh),
                articles_duplicate=len(items) - len(fresh),
                articles_rejected=len(rejected),
                events_stored=len(event_rows),
            )
            _record_batch(con, run_id, batch_id, loaded_at, counts)
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con)
            if isinstance(exc, Exception):  # Arrow type errors as much as DuckDB's
                raise WarehouseError(f"batch not stored, warehouse unchanged: {exc}") from exc
            raise
    return counts


def store_recoded(db: str | Path, run_id: str, recoded: Iterable[ExtractedArticle]) -> BatchCounts:
    """Append a new coding of stored articles (their events and coding rows), one transaction.

    An article whose coding by this coder version is stored already is skipped,
    so re-running the re-coding adds nothing.
    """
    items = list(recoded)
    loaded_at = _now()
    with connect(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            batch_id = _next_batch_id(con, run_id)
            keys = pa.table(  # noqa: F841  (read by DuckDB's replacement scan)
                {
                    "article_id": [x.article.article_id for x in items],
                    "extractor_version": [x.extractor_version for x in items],
                }
            )
            done = set(
                con.execute(
                    "SELECT article_id, extractor_version FROM codings"
                    " JOIN keys USING (article_id, extractor_version)"
                ).fetchall()
            )
            todo = {
                x.article.article_id: x
                for x in items
                if (x.article.article_id, x.extractor_version) not in done
            }
            event_rows = {
                row["event_id"]: row
                for x in todo.values()
                for row in (_event_row(e, x, batch_id, loaded_at) for e in x.events)
            }
            _insert(con, "events", pa.Table.from_pylist(list(event_rows.values()), EVENT_SCHEMA))
            _insert(con, "codings", _coding_rows(todo.values(), batch_id, loaded_at))
            counts = BatchCounts(articles_seen=len(items), events_stored=len(event_rows))
            _record_batch(con, run_id, batch_id, loaded_at, counts)
            con.execute("COMMIT")
        except BaseException as exc:
            _rollback(con)
            if isinstance(exc, Exception):
                raise WarehouseError(f"batch not stored, warehouse unchanged: {exc}") from exc
            raise
    return counts


def _coding_rows(items: Iterable[ExtractedArticle], batch_id: str, at: datetime) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "article_id": x.article.article_id,
                "extractor_version": x.extractor_version,
                "run_id": batch_id,
                "events": len(x.events),
                "coded_at": at,
            }
            for x in items
        ],
        CODING_SCHEMA,
    )


def _next_batch_id(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """`<run id>/bNNNNN`: the flow run's next batch (writers are serialised by the lock)."""
    row = con.execute("SELECT count(*) FROM runs WHERE parent_run_id = ?", [run_id]).fetchone()
    return f"{run_id}/b{(row[0] if row else 0) + 1:05d}"


def _record_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    batch_id: str,
    started_at: datetime,
    counts: BatchCounts,
) -> None:
    """The batch's own run row, 'completed' in the transaction that commits its rows."""
    con.execute(
        "INSERT INTO runs (run_id, parent_run_id, flow_name, started_at, finished_at, status,"
        " articles_seen, articles_new, articles_duplicate, articles_rejected, events_stored,"
        " pid, host)"
        " SELECT ?, ?, coalesce((SELECT flow_name FROM runs WHERE run_id = ?), 'batch'),"
        " ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?",
        [
            batch_id,
            run_id,
            run_id,
            started_at,
            _now(),
            *counts.as_tuple(),
            os.getpid(),
            socket.gethostname(),
        ],
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
        "author": article.author,
        "site_name": article.site_name,
        "canonical_url": article.canonical_url,
        "raw_sha256": article.raw_sha256,
        "run_id": run_id,
        "loaded_at": loaded_at,
    }


def _event_row(
    event: Event, item: ExtractedArticle, run_id: str, loaded_at: datetime
) -> dict[str, Any]:
    row = event.as_dict()
    row.update(
        event_id=event.event_id(item.article.article_id, item.extractor_version),
        article_id=item.article.article_id,
        run_id=run_id,
        extractor_version=item.extractor_version,
        loaded_at=loaded_at,
        evidence=json.dumps(event.evidence, ensure_ascii=False) if event.evidence else None,
    )
    return row


def stale_articles(
    db: str | Path, extractor_version: str, after: str = "", limit: int = 200
) -> list[Article]:
    """Stored articles whose latest coding is by another coder version, in id order."""
    fields = [f for f in Article.__dataclass_fields__]
    with connect(db, read_only=True) as con:
        cur = con.execute(
            f"SELECT {', '.join('a.' + f for f in fields)}"
            " FROM articles a JOIN latest_codings c USING (article_id)"
            " WHERE c.extractor_version <> ? AND a.article_id > ?"
            " ORDER BY a.article_id LIMIT ?",
            [extractor_version, after, limit],
        )
        return [Article(**dict(zip(fields, row, strict=True))) for row in cur.fetchall()]


def export_parquet(db: str | Path, target: Path) -> int:
    """Write the analysts' view of events to a Parquet file, atomically; return its rows."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        quoted = "'" + str(tmp).replace("'", "''") + "'"
        with connect(db, read_only=True) as con:
            con.execute(f"COPY (SELECT * FROM events_view) TO {quoted} (FORMAT parquet)")
            row = con.execute(f"SELECT count(*) FROM read_parquet({quoted})").fetchone()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return int(row[0]) if row else 0
