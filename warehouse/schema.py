"""The columns of every table eventpipe writes, declared once.

The migrations create the tables; these Arrow schemas are what batches are
written as (`INSERT ... BY NAME SELECT * FROM <arrow table>`). A test checks
each schema against the migrated tables, and that the stages' row builders
fill exactly these columns, so the three can never drift apart.
"""

from __future__ import annotations

import pyarrow as pa

_TS = pa.timestamp("us", "UTC")

ARTICLES = pa.schema(
    [
        ("article_id", pa.string()),
        ("source_kind", pa.string()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("published_at", _TS),
        ("text", pa.string()),
        ("content_sha256", pa.string()),
        ("language", pa.string()),
        ("author", pa.string()),
        ("site_name", pa.string()),
        ("canonical_url", pa.string()),
        ("raw_sha256", pa.string()),
        ("run_id", pa.string()),
        ("loaded_at", _TS),
    ]
)

EVENTS = pa.schema(
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
        ("loaded_at", _TS),
        ("evidence", pa.string()),  # JSON text; DuckDB casts it into the JSON column
        ("actor1_canonical", pa.string()),  # migration 013
        ("actor2_canonical", pa.string()),
    ]
)

CODINGS = pa.schema(
    [
        ("article_id", pa.string()),
        ("extractor_version", pa.string()),
        ("run_id", pa.string()),
        ("events", pa.int32()),
        ("coded_at", _TS),
        ("coded_chars", pa.int32()),
        ("flag", pa.string()),
    ]
)

REJECTIONS = pa.schema(
    [
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("raw_sha256", pa.string()),
        ("rejected_at", _TS),
    ]
)

FETCH_LOG = pa.schema(
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
        ("fetched_at", _TS),
    ]
)

FEEDS = pa.schema(
    [
        ("feed_url", pa.string()),
        ("name", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("last_polled_at", _TS),
        ("last_outcome", pa.string()),
        ("last_status", pa.int32()),
        ("bozo", pa.bool_()),
        ("bozo_reason", pa.string()),
        ("entries", pa.int32()),
        ("run_id", pa.string()),
    ]
)

INCIDENT_LINKS = pa.schema(
    [
        ("event_id", pa.string()),
        ("incident_id", pa.string()),
        ("run_id", pa.string()),
        ("linked_at", _TS),
        ("reason", pa.string()),
    ]
)

ARTICLE_MINHASH = pa.schema(
    [
        ("article_id", pa.string()),
        ("minhash", pa.list_(pa.uint32())),
        ("run_id", pa.string()),
    ]
)

ARTICLE_BANDS = pa.schema(
    [
        ("band", pa.string()),
        ("article_id", pa.string()),
        ("run_id", pa.string()),
    ]
)

NEAR_DUPLICATES = pa.schema(
    [
        ("article_id", pa.string()),
        ("duplicate_of", pa.string()),
        ("similarity", pa.float64()),
        ("source", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("raw_sha256", pa.string()),
        ("run_id", pa.string()),
        ("found_at", _TS),
    ]
)

# Tables the writer fills from a near-duplicate check's findings (see writer.py).
NEAR_DUPLICATE_TABLES: dict[str, pa.Schema] = {"near_duplicates": NEAR_DUPLICATES}

# Tables the writer fills from a linker's plan (see warehouse/links.py), not from rows.
LINK_TABLES: dict[str, pa.Schema] = {"incident_links": INCIDENT_LINKS}

SETTLED_INPUTS = pa.schema(
    [
        ("raw_sha256", pa.string()),
        ("outcome", pa.string()),
        ("article_id", pa.string()),
        ("reason", pa.string()),
        ("source", pa.string()),
        ("run_id", pa.string()),
        ("settled_at", _TS),
    ]
)

# Every table a batch writes from the stages' rows, by name.
TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "events": EVENTS,
    "codings": CODINGS,
    "rejections": REJECTIONS,
    "fetch_log": FETCH_LOG,
    "feeds": FEEDS,
    "settled_inputs": SETTLED_INPUTS,
    "article_minhash": ARTICLE_MINHASH,
    "article_bands": ARTICLE_BANDS,
}

# Columns the writer stamps on each row itself (the batch's run id, the time of
# the write); the stages' rows carry every other column of their table.
STAMPED: dict[str, tuple[str, ...]] = {
    "articles": ("run_id", "loaded_at"),
    "events": ("run_id", "loaded_at"),
    "codings": ("run_id", "coded_at"),
    "rejections": ("run_id", "rejected_at"),
    "fetch_log": ("run_id", "fetched_at"),
    "feeds": ("run_id",),
    "settled_inputs": ("run_id", "settled_at"),
    "article_minhash": ("run_id",),
    "article_bands": ("run_id",),
}

# A run's (and a batch's) totals: the count columns of the `runs` table, in order.
RUN_COUNTS = (
    "articles_seen",
    "articles_new",
    "articles_duplicate",
    "articles_rejected",
    "events_stored",
)


def row_columns(table: str) -> frozenset[str]:
    """The columns a stage's row for `table` must carry (all but the stamped ones)."""
    return frozenset(TABLES[table].names) - frozenset(STAMPED[table])
