"""The warehouse's one writer: each batch is one transaction, all of it or none.

Stages hand over rows (column name to value, see `warehouse.schema`); the
writer stamps each with its batch's run id and the time, skips articles
stored already (articles are content-addressed, so a re-run adds nothing)
and writes everything as Arrow tables (`INSERT ... SELECT`), which DuckDB
ingests in bulk. The batch's own `runs` row is written `completed` in the
same transaction, so a row is visible only once its run is.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from warehouse import bands, lake, links, schema
from warehouse.db import connect
from warehouse.errors import WarehouseError
from warehouse.profile import settle

Row = dict[str, Any]
T = TypeVar("T")
# How to link a batch's new events to incidents: the linker and the reports it needs.
Linking = links.Linking
# Which new articles repeat a stored (or earlier new) article's text: (the batch's new
# articles' signatures in order, the signatures of stored articles sharing an LSH band
# with one of them), each as `article_id` and `minhash` -> rows of `article_id`,
# `duplicate_of`, `similarity` (see tasks/neardup.py).
NearDuplicateCheck = Callable[[list[Row], list[Row]], list[Row]]


@dataclass(slots=True)
class Batch:
    """One batch's rows by table, without the columns the writer stamps.

    Events and codings of an article that turns out to be stored already are
    dropped with it. Within a batch, each article id must appear once.
    `settled` holds one row per input the batch settled (its raw hash, outcome
    and article), so a re-run skips those inputs before parsing them.
    """

    articles: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    codings: list[Row] = field(default_factory=list)
    rejections: list[Row] = field(default_factory=list)
    fetch_log: list[Row] = field(default_factory=list)
    feeds: list[Row] = field(default_factory=list)
    settled: list[Row] = field(default_factory=list)
    # Each article's MinHash signature and LSH band keys (kept only for stored articles).
    article_minhash: list[Row] = field(default_factory=list)
    article_bands: list[Row] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (self.articles, self.rejections, self.fetch_log, self.feeds, self.events, self.settled)
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _table(name: str, rows: list[Row], stamp: dict[str, Any]) -> pa.Table:
    return pa.Table.from_pylist([{**r, **stamp} for r in rows], schema.TABLES[name])


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, keyed: bool = True) -> None:
    """Bulk insert an Arrow table; rows whose key is stored already are skipped."""
    if not rows.num_rows:
        return
    if not keyed:  # a replacement scan finds the local Arrow table by its Python name
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")
        return
    settle(con)
    con.register("batch_rows", rows)
    try:
        lake.insert_new(con, table, "batch_rows", lake.on_lake(con))
    finally:
        con.unregister("batch_rows")


def _upsert_feeds(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """Feed cursors: one row per feed, replaced by its latest poll."""
    if not rows.num_rows:
        return
    if lake.on_lake(con):  # no key to conflict on: the old cursors go, the new come
        con.execute("DELETE FROM feeds WHERE feed_url IN (SELECT feed_url FROM rows)")
        con.execute("INSERT INTO feeds BY NAME SELECT * FROM rows")
        return
    updates = ", ".join(f"{c} = excluded.{c}" for c in rows.schema.names if c != "feed_url")
    con.execute(
        "INSERT INTO feeds BY NAME SELECT * FROM rows"
        f" ON CONFLICT (feed_url) DO UPDATE SET {updates}"
    )


def stored_ids(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> set[str]:
    """Which of these article ids the warehouse holds (inside the caller's transaction)."""
    if not article_ids:
        return set()
    ids = pa.table({"article_id": pa.array(article_ids, pa.string())})  # noqa: F841
    rows = con.execute("SELECT article_id FROM articles JOIN ids USING (article_id)").fetchall()
    return {r[0] for r in rows}


def settled_rows(rows: list[Row], stored: set[str]) -> list[Row]:
    """The batch's settled inputs, one row per raw hash (the first), as they turned out.

    An input that was to become an article the warehouse turns out to hold
    already (another writer stored its text since it was looked up) is a duplicate.
    """
    out: dict[str, Row] = {}
    for row in rows:
        if row["outcome"] == "stored" and row["article_id"] in stored:
            row = {**row, "outcome": "duplicate"}
        out.setdefault(row["raw_sha256"], row)
    return list(out.values())


def write_batch(
    db: str | Path,
    run_id: str,
    batch: Batch,
    linking: Linking | None = None,
    near_duplicates: NearDuplicateCheck | None = None,
) -> dict[str, int]:
    """Write one batch in one transaction; return its counts (the `runs` count columns).

    `articles_seen` counts articles and rejections; an article stored already is
    a duplicate, and its events and coding are not written again. With
    `near_duplicates`, so is an article that check finds repeats another's text.
    With `linking`, the new events are linked to incidents in the same transaction.
    The batch's settled inputs are written with it (an input settled before keeps its row).
    """
    at = _now()
    fetch_log = list(batch.fetch_log)

    def attempt(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        batch.fetch_log = list(fetch_log)  # a retried attempt starts from the batch as given
        batch_id = next_batch_id(con, run_id)
        stored = stored_ids(con, [r["article_id"] for r in batch.articles])
        fresh = [r for r in batch.articles if r["article_id"] not in stored]
        fresh = settle_near_duplicates(con, batch, fresh, near_duplicates, batch_id, at)
        fresh_ids = {r["article_id"] for r in fresh}
        events = {
            r["event_id"]: r for r in batch.events if r["article_id"] in fresh_ids
        }  # one row per id, as the key demands
        codings = [r for r in batch.codings if r["article_id"] in fresh_ids]
        stamp = {"run_id": batch_id, "loaded_at": at}
        _insert(con, "articles", _table("articles", fresh, stamp))
        _insert(con, "events", _table("events", list(events.values()), stamp))
        _insert(con, "codings", _table("codings", codings, {"run_id": batch_id, "coded_at": at}))
        _insert(
            con,
            "rejections",
            _table("rejections", batch.rejections, {"run_id": batch_id, "rejected_at": at}),
            keyed=False,
        )
        log = _table("fetch_log", batch.fetch_log, {"run_id": batch_id, "fetched_at": at})
        _insert(con, "fetch_log", log, keyed=False)
        _upsert_feeds(con, _table("feeds", batch.feeds, {"run_id": batch_id}))
        settled = settled_rows(batch.settled, stored)
        stamp = {"run_id": batch_id, "settled_at": at}
        _insert(con, "settled_inputs", _table("settled_inputs", settled, stamp))
        if linking is not None:
            links.link_events(con, batch_id, at, list(events), linking)
        counts = {
            "articles_seen": len(batch.articles) + len(batch.rejections),
            "articles_new": len(fresh),
            "articles_duplicate": len(batch.articles) - len(fresh),
            "articles_rejected": len(batch.rejections),
            "events_stored": len(events),
        }
        record_batch(con, run_id, batch_id, at, counts)
        return counts

    return _transaction(db, attempt)


def _transaction(db: str | Path, body: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Run `body` in one write transaction, all of it or none. On DuckLake the
    transaction claims the lake's write row first (`lake.claim`: a writer that ran at
    once conflicts at commit) and is run again whole when its commit loses that race."""
    with connect(db) as con:
        on = lake.on_lake(con)

        def attempt() -> T:
            con.execute("BEGIN TRANSACTION")
            try:
                if on:
                    lake.claim(con)
                result = body(con)
                con.execute("COMMIT")
            except BaseException:
                _rollback(con)
                raise
            return result

        try:
            return lake.retry_conflicts(attempt, on)
        except Exception as exc:  # Arrow type errors as much as DuckDB's
            raise WarehouseError(f"batch not stored, warehouse unchanged: {exc}") from exc


def write_recoding(
    db: str | Path, run_id: str, batch: Batch, linking: Linking | None = None
) -> dict[str, int]:
    """Append a new coding of stored articles (events and coding rows), one transaction.

    A coding (article, coder version) stored already is skipped with its
    events, so re-running a re-coding adds nothing. With `linking`, the new
    events are linked to incidents (the old coding's events no longer count).
    """
    at = _now()

    def attempt(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        batch_id = next_batch_id(con, run_id)
        keys = pa.table(  # noqa: F841  (read by DuckDB's replacement scan)
            {
                "article_id": pa.array([r["article_id"] for r in batch.codings], pa.string()),
                "extractor_version": pa.array(
                    [r["extractor_version"] for r in batch.codings], pa.string()
                ),
            }
        )
        done = set(
            con.execute(
                "SELECT article_id, extractor_version FROM codings"
                " JOIN keys USING (article_id, extractor_version)"
            ).fetchall()
        )
        codings = [
            r for r in batch.codings if (r["article_id"], r["extractor_version"]) not in done
        ]
        todo = {(r["article_id"], r["extractor_version"]) for r in codings}
        events = {
            r["event_id"]: r
            for r in batch.events
            if (r["article_id"], r["extractor_version"]) in todo
        }
        _insert(
            con,
            "events",
            _table("events", list(events.values()), {"run_id": batch_id, "loaded_at": at}),
        )
        _insert(con, "codings", _table("codings", codings, {"run_id": batch_id, "coded_at": at}))
        if linking is not None:
            links.link_events(con, batch_id, at, list(events), linking, recoding=True)
        counts = dict.fromkeys(schema.RUN_COUNTS, 0)
        counts.update(articles_seen=len(batch.codings), events_stored=len(events))
        record_batch(con, run_id, batch_id, at, counts)
        return counts

    return _transaction(db, attempt)


def settle_near_duplicates(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    fresh: list[Row],
    check: NearDuplicateCheck | None,
    batch_id: str,
    at: datetime,
) -> list[Row]:
    """The fresh articles that are no near-duplicate; record the others and their originals.

    Candidates are the stored articles sharing a band key with a fresh one (each
    key looked up through the index on `article_bands(band)`, never a scan of band
    rows or signatures: `warehouse/bands.py`); `check` decides. The kept
    articles' signatures and band keys are written, each near-duplicate gets a
    `near_duplicates` row, and its page in the batch's fetch log (provisionally
    `stored`) becomes `duplicate_content`, naming the article it repeats.
    """
    fresh_ids = {r["article_id"] for r in fresh}
    signatures = [r for r in batch.article_minhash if r["article_id"] in fresh_ids]
    found = check(signatures, _band_candidates(con, batch, fresh_ids)) if check else []
    repeats = {f["article_id"]: f for f in found if f["article_id"] in fresh_ids}
    for article_id in _raised_tolls(con, batch, repeats):
        del repeats[article_id]  # a copy that revises the toll up is news: kept
    kept = [r for r in fresh if r["article_id"] not in repeats]
    kept_ids = fresh_ids - repeats.keys()
    stamp = {"run_id": batch_id}
    minhash = [r for r in signatures if r["article_id"] in kept_ids]
    _insert(con, "article_minhash", _table("article_minhash", minhash, stamp))
    bands = [r for r in batch.article_bands if r["article_id"] in kept_ids]
    _insert(con, "article_bands", _table("article_bands", bands, stamp))
    inputs = {r["article_id"]: r for r in fresh}
    rows = [
        {
            **{c: inputs[a].get(c) for c in ("source", "url", "title", "raw_sha256")},
            "article_id": a,
            "duplicate_of": f["duplicate_of"],
            "similarity": f["similarity"],
            "run_id": batch_id,
            "found_at": at,
        }
        for a, f in repeats.items()
    ]
    _insert(con, "near_duplicates", pa.Table.from_pylist(rows, schema.NEAR_DUPLICATES))
    batch.fetch_log = [
        {
            **r,
            "outcome": "duplicate_content",
            "detail": f"near-duplicate of article {f['duplicate_of']}"
            f" (similarity {f['similarity']:.2f})",
            "article_id": f["duplicate_of"],
        }
        if r["outcome"] == "stored" and (f := repeats.get(r["article_id"] or ""))
        else r
        for r in batch.fetch_log
    ]
    return kept


def _raised_tolls(
    con: duckdb.DuckDBPyConnection, batch: Batch, repeats: dict[str, Row]
) -> set[str]:
    """The near-duplicates whose coded toll is higher than their original's: an updated wire
    copy ("the toll rose to 15") keeps its events, which join the original's incident,
    where the later, higher toll wins; any other copy repeats the original."""
    if not repeats:
        return set()
    copy_toll: dict[str, int] = {}
    for e in batch.events:
        if e["article_id"] in repeats and e.get("fatalities") is not None:
            copy_toll[e["article_id"]] = max(copy_toll.get(e["article_id"], 0), e["fatalities"])
    if not copy_toll:
        return set()
    originals = sorted({repeats[a]["duplicate_of"] for a in copy_toll})
    stored = dict(
        con.execute(
            "SELECT article_id, max(fatalities) FROM events_view"
            " WHERE list_contains(?, article_id) GROUP BY article_id",
            [originals],
        ).fetchall()
    )
    for e in batch.events:  # an original earlier in this very batch
        if e["article_id"] in originals and e.get("fatalities") is not None:
            stored[e["article_id"]] = max(stored.get(e["article_id"]) or 0, e["fatalities"])
    raised = set()
    for article_id, toll in copy_toll.items():
        before = stored.get(repeats[article_id]["duplicate_of"])
        if toll > (before if before is not None else 0):
            raised.add(article_id)
    return raised


def _band_candidates(con: duckdb.DuckDBPyConnection, batch: Batch, ids: set[str]) -> list[Row]:
    """Stored articles sharing an LSH band key with one of `ids`, with their signatures."""
    keys = sorted({r["band"] for r in batch.article_bands if r["article_id"] in ids})
    return bands.band_candidates(con, keys)


def next_batch_id(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """`<run id>/bNNNNN`: the flow run's next batch (writers are serialised by the lock)."""
    row = con.execute("SELECT count(*) FROM runs WHERE parent_run_id = ?", [run_id]).fetchone()
    return f"{run_id}/b{(row[0] if row else 0) + 1:05d}"


def record_batch(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    batch_id: str,
    started_at: datetime,
    counts: dict[str, int],
) -> None:
    """The batch's own run row, 'completed' in the transaction that commits its rows."""
    con.execute(
        "INSERT INTO runs (run_id, parent_run_id, flow_name, started_at, finished_at, status,"
        f" {', '.join(schema.RUN_COUNTS)}, pid, host)"
        " SELECT ?, ?, coalesce((SELECT flow_name FROM runs WHERE run_id = ?), 'batch'),"
        " ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?",
        [
            batch_id,
            run_id,
            run_id,
            started_at,
            _now(),
            *(counts[c] for c in schema.RUN_COUNTS),
            os.getpid(),
            socket.gethostname(),
        ],
    )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the open transaction; a failed COMMIT may have closed it already."""
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("ROLLBACK")
