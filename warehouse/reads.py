"""Everything eventpipe itself reads from the warehouse, as plain rows.

Look-ups before work (which inputs, articles and URLs are settled, feed
cursors), pages of stored articles to re-code, and what the command line
shows (a run's events, an article's events). Each opens a short read-only
connection; none changes the warehouse. A run's own look-ups (and the events
it shows at its end) wait for the file as long as its writes do, the run's
deadline; only what `eventpipe explain` reads waits the query deadline. Rows
come back as dicts keyed by column name, so callers build their own records
from them.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from warehouse.db import connect, resolve_location, run_deadline
from warehouse.query import run_query

Row = dict[str, Any]


def _keys(column: str, values: Collection[str]) -> pa.Table:
    return pa.table({column: pa.array(list(values), pa.string())})


def stored_article_ids(db: str | Path, article_ids: Sequence[str]) -> set[str]:
    """Which of these articles the warehouse holds already, or found to repeat a stored
    article's text (`near_duplicates`), to skip their work."""
    if not article_ids:
        return set()
    ids = _keys("article_id", article_ids)  # noqa: F841 (read by DuckDB by name)
    with connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT article_id FROM articles JOIN ids USING (article_id)"
            " UNION SELECT article_id FROM near_duplicates JOIN ids USING (article_id)"
        )
        return {r[0] for r in rows.fetchall()}


def settled_raw_hashes(
    db: str | Path, hashes: Sequence[str], settled_reasons: Collection[str]
) -> set[str]:
    """Inputs (by raw hash) settled already: stored, a stored text's duplicate (exact or
    near), or rejected for one of `settled_reasons`.

    `settled_inputs` holds them all; inputs settled before it existed (migration
    011) are found by the raw hash on their article or rejection.
    """
    if not hashes:
        return set()
    raw = _keys("raw_sha256", hashes)  # noqa: F841
    reasons = _keys("reason", settled_reasons)  # noqa: F841
    with connect(db, read_only=True) as con:
        found = con.execute(
            "SELECT raw_sha256 FROM settled_inputs JOIN raw USING (raw_sha256)"
            " WHERE outcome <> 'rejected' OR reason IN (SELECT reason FROM reasons)"
            " UNION SELECT raw_sha256 FROM articles JOIN raw USING (raw_sha256)"
            " UNION SELECT raw_sha256 FROM near_duplicates JOIN raw USING (raw_sha256)"
            " UNION SELECT raw_sha256 FROM rejections JOIN raw USING (raw_sha256)"
            " WHERE reason IN (SELECT reason FROM reasons)"
        )
        return {r[0] for r in found.fetchall()}


def feed_cursors(db: str | Path, feed_urls: Sequence[str]) -> dict[str, Row]:
    """Each of these feeds' stored cursor: etag, last_modified, last_polled_at, last_outcome."""
    if not feed_urls:
        return {}
    urls = _keys("feed_url", feed_urls)  # noqa: F841
    columns = ("etag", "last_modified", "last_polled_at", "last_outcome")
    with connect(db, read_only=True) as con:
        rows = con.execute(
            f"SELECT feed_url, {', '.join(columns)} FROM feeds JOIN urls USING (feed_url)"
        ).fetchall()
    return {r[0]: dict(zip(columns, r[1:], strict=True)) for r in rows}


def settled_urls(
    db: str | Path, canonical_urls: Sequence[str], settled_outcomes: Collection[str]
) -> set[str]:
    """Which of these canonical URLs need no fetch: stored, or settled by an earlier fetch."""
    if not canonical_urls:
        return set()
    settled = _keys("outcome", settled_outcomes)  # noqa: F841
    urls = _keys("canonical_url", canonical_urls)  # noqa: F841
    with connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT canonical_url FROM urls WHERE canonical_url IN"
            " (SELECT canonical_url FROM articles WHERE canonical_url IS NOT NULL)"
            " OR canonical_url IN (SELECT canonical_url FROM fetch_log"
            " WHERE kind = 'page' AND outcome IN (SELECT outcome FROM settled))"
        ).fetchall()
    return {r[0] for r in rows}


def stale_articles(
    db: str | Path, columns: Sequence[str], extractor_version: str, after: str, limit: int
) -> list[Row]:
    """Stored articles (these columns) whose latest coding is by another coder, in id order."""
    with connect(db, read_only=True) as con:
        cur = con.execute(
            f"SELECT {', '.join('a.' + c for c in columns)}"
            " FROM articles a JOIN latest_codings c USING (article_id)"
            " WHERE c.extractor_version <> ? AND a.article_id > ?"
            " ORDER BY a.article_id LIMIT ?",
            [extractor_version, after, limit],
        )
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def count_stale(db: str | Path, extractor_version: str) -> int:
    """How many stored articles' latest coding is by another coder (what re-coding does)."""
    with connect(db, read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM latest_codings WHERE extractor_version <> ?",
            [extractor_version],
        ).fetchone()
        return int(row[0]) if row else 0


def articles_by_prefix(db: str | os.PathLike[str] | None, prefix: str, limit: int = 2) -> list[Row]:
    """Stored articles whose id starts with `prefix` (id, source), at most `limit`."""
    return run_query(
        "SELECT article_id, source FROM articles WHERE starts_with(article_id, ?)"
        " ORDER BY article_id LIMIT ?",
        db,
        [prefix.lower(), limit],
    ).records()


def article_events(db: str | os.PathLike[str] | None, article_id: str) -> list[Row]:
    """Every stored event of one article (all codings), in reading order."""
    return run_query(
        "SELECT * FROM events WHERE article_id = ? ORDER BY char_start, event_type, event_id",
        db,
        [article_id],
    ).records()


def event_incidents(db: str | os.PathLike[str] | None, article_id: str) -> dict[str, Row]:
    """Each current event of an article: its incident, why it joined, how many reports."""
    rows = run_query(
        "SELECT i.event_id, i.incident_id, i.link_reason,"
        " (SELECT count(*) FROM incident_events j WHERE j.incident_id = i.incident_id) AS reports"
        " FROM incident_events i JOIN current_events e USING (event_id) WHERE e.article_id = ?",
        db,
        [article_id],
    ).records()
    return {r["event_id"]: r for r in rows}


# What `eventpipe incident` shows of each report, side by side.
INCIDENT_REPORT_COLUMNS = (
    "outlet",
    "reported_at",
    "event_date",
    "fatalities",
    "location",
    "admin1",
    "acled_sub_event_type",
    "actor1",
    "link_reason",
    "sentence",
)


def incident(db: str | os.PathLike[str] | None, incident_id: str) -> tuple[Row | None, list[Row]]:
    """An incident's best fields and its reports, oldest first (an id prefix will do)."""
    found = run_query(
        "SELECT * FROM incidents WHERE starts_with(incident_id, ?) ORDER BY incident_id LIMIT 2",
        db,
        [incident_id],
    ).records()
    if len(found) != 1:
        return None, found
    reports = run_query(
        f"SELECT {', '.join(INCIDENT_REPORT_COLUMNS)} FROM incident_reports"
        " WHERE incident_id = ? ORDER BY reported_at, event_id",
        db,
        [found[0]["incident_id"]],
    ).records()
    return found[0], reports


def article_codings(db: str | os.PathLike[str] | None, article_id: str) -> list[str]:
    """The coder versions that coded an article, latest first."""
    rows = run_query(
        "SELECT extractor_version FROM codings WHERE article_id = ? ORDER BY coded_at DESC",
        db,
        [article_id],
    ).rows
    return list(dict.fromkeys(r[0] for r in rows))


# The columns of a run's events that the command line shows after a run.
RUN_EVENT_COLUMNS = (
    "event_type",
    "acled_sub_event_type",
    "actor1",
    "actor1_country",
    "actor2",
    "actor2_country",
    "location",
    "admin1",
    "country",
    "event_date",
    "fatalities",
)


def run_events(db: str | os.PathLike[str] | None, run_id: str, limit: int) -> list[Row]:
    """The first `limit` events stored by a flow run's batches, in reading order."""
    return run_query(
        f"SELECT {', '.join(RUN_EVENT_COLUMNS)} FROM events"
        " WHERE run_id IN (SELECT run_id FROM runs WHERE parent_run_id = ?)"
        " ORDER BY article_id, char_start, event_type LIMIT ?",
        db,
        [run_id, limit],
        deadline_s=run_deadline(),
    ).records()


def failed_fetches_query(run_id: str) -> str:
    """The SQL an analyst runs to see a run's failed fetches (shown by the command line)."""
    quoted = run_id.replace("'", "''")
    return (
        "SELECT outcome, url, detail FROM fetch_log"
        f" WHERE run_id LIKE '{quoted}%' AND outcome NOT IN"
        " ('fetched', 'fetched_bozo', 'not_modified', 'stored', 'duplicate_url',"
        " 'duplicate_content')"
    )


def export_parquet(db: str | Path, target: Path) -> int:
    """Write the analysts' view of events to a Parquet file, atomically; return its rows."""
    path = resolve_location(db)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        quoted = "'" + str(tmp).replace("'", "''") + "'"
        with connect(str(path), read_only=True) as con:
            con.execute(f"COPY (SELECT * FROM events_view) TO {quoted} (FORMAT parquet)")
            row = con.execute(f"SELECT count(*) FROM read_parquet({quoted})").fetchone()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return int(row[0]) if row else 0
