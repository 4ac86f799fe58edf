"""Near-duplicate candidates: the stored articles sharing an LSH band key with new ones.

Each stored article keeps 20 band keys (`tasks/neardup.py`) in `article_bands`, so
the table holds 20 rows an article; a batch of 200 new articles asks for 4,000 keys.
Joining them with the whole table read every band row, a cost growing with the
warehouse; here each key is a point look-up through the ART index on
`article_bands(band)` (migration 014).

What that buys depends on whether the index's nodes are in memory. A batch opens
the file anew, so DuckDB reads the nodes each look-up passes through from the file
(in blocks of 256 KiB): measured with a new connection per look-up (2 cores, shared,
4,000 keys), 0.20-0.34 s through the index against 0.19-0.33 s scanning at 100,000
stored articles, 0.56-0.76 s against 0.85-1.13 s at 300,000; on a connection that
has read them, 0.06 s against 0.88 s at 300,000. So the look-up still grows with the
warehouse, but more slowly than the scan did, and not at all once the index is read.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from warehouse.profile import Scans, fetch, settle

Row = dict[str, Any]

# A join hands DuckDB's scan of its other side an IN filter of its keys (a "dynamic
# filter") only for up to `dynamic_or_filter_threshold` distinct keys (50 by default);
# with one, the scan of `article_bands` becomes a point look-up per key through the
# ART index on `band` (migration 014) instead of a read of every band row. The band
# look-up raises the threshold to its number of keys, up to this many: measured on
# 200,000 stored articles (4M band rows) on a connection that had read the index,
# 4,000 keys (a batch of 200 articles) took 0.03 s through it against 0.18 s scanning,
# 20,000 keys 0.21 s against 0.18 s. More keys than this are joined by a scan.
BAND_INDEX_MAX_KEYS = 20_000


def band_candidates(
    con: duckdb.DuckDBPyConnection, keys: list[str], scans: Scans | None = None
) -> list[Row]:
    """The stored articles holding one of these band keys, with their signatures, in id
    order: a point look-up per key (BAND_INDEX_MAX_KEYS), not a scan of the band rows,
    then one per article found, through `article_minhash`'s key. With `scans`, what
    the look-ups read is counted."""
    bands = pa.table({"band": pa.array(sorted(set(keys)), pa.string())})
    found = _semi_join(con, "SELECT DISTINCT article_id FROM article_bands", "band", bands, scans)
    if not found.num_rows:
        return []
    ids = pa.table({"article_id": found["article_id"]})
    rows = _semi_join(
        con, "SELECT article_id, minhash FROM article_minhash", "article_id", ids, scans
    )
    return sorted(rows.to_pylist(), key=lambda r: str(r["article_id"]))


def _semi_join(
    con: duckdb.DuckDBPyConnection, select: str, key: str, keys: pa.Table, scans: Scans | None
) -> pa.Table:
    """`select`'s rows whose `key` is one of `keys`, each looked up through the index on
    `key` when they are at most BAND_INDEX_MAX_KEYS (a dynamic IN filter, see there)."""
    indexed = 0 < keys.num_rows <= BAND_INDEX_MAX_KEYS
    settle(con)
    if indexed:
        con.execute(f"SET dynamic_or_filter_threshold = {keys.num_rows + 1}")
    con.register("lookup_keys", keys)
    try:
        return fetch(con, f"{select} WHERE {key} IN (SELECT {key} FROM lookup_keys)", [], scans)
    finally:
        con.unregister("lookup_keys")
        if indexed:
            con.execute("RESET dynamic_or_filter_threshold")
