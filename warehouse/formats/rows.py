"""The one reader of what exporters need, per level, filtered by a `Selection`.

* incidents: the `incidents` view's fields, plus what it lacks that exporters need:
  the CAMEO code and PLOVER mode most of its reports give, the precision of its chosen
  place and day (the best precision among the reports that give that place or day), how
  many distinct days its reports give, the outlets of its reports, the first report's
  url and sentence, and when its latest report was loaded;
* events: `events_view` rows, with their outlet and incident.

Undated rows cannot be placed in a span of days: they pass only when the selection
gives neither `since` nor `until` (`Selection.where` compares the date, and NULL
compares false). Formats that need a day (ACLED) leave them out themselves and count
them. Rows come in batches of dicts, read on one short read-only connection.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from warehouse.db import connect
from warehouse.formats.selection import Level, Selection

Row = dict[str, Any]
# Rows fetched per batch: large enough that Python's per-call cost is nothing, small
# enough that a batch of wide rows (sentences, outlets) stays a few MB.
BATCH_ROWS = 5_000

# Best first: a precision's rank among the reports that give an incident's chosen value.
_DATE_RANK = "CASE date_precision WHEN 'day' THEN 4 WHEN 'relative' THEN 3 WHEN 'month' THEN 2"
_DATE_RANK += " WHEN 'year' THEN 1 ELSE 0 END"

INCIDENT_SQL = f"""
WITH extra AS (
    SELECT r.incident_id,
           arg_max(struct_pack(cameo_code := r.cameo_code, event_mode := r.event_mode),
                   row(r.event_type = i.event_type, r.cameo_code IS NOT NULL, r.reported_at))
               AS code,
           max(r.place_rank) FILTER (WHERE r.country IS NOT DISTINCT FROM i.country
               AND r.admin1 IS NOT DISTINCT FROM i.admin1
               AND r.location IS NOT DISTINCT FROM i.location) AS place_rank,
           max({_DATE_RANK.replace("date_precision", "r.date_precision")})
               FILTER (WHERE r.event_date = i.event_date) AS date_rank,
           count(DISTINCT r.event_date) AS num_days,
           list(DISTINCT r.outlet ORDER BY r.outlet) FILTER (WHERE r.outlet IS NOT NULL)
               AS outlets,
           arg_min(a.url, row(r.reported_at, r.event_id)) AS first_url,
           arg_min(r.sentence, row(r.reported_at, r.event_id)) AS first_sentence,
           max(r.loaded_at) AS loaded_at
    FROM incident_reports r
    JOIN incidents i USING (incident_id)
    JOIN articles a USING (article_id)
    GROUP BY r.incident_id
)
SELECT i.*,
       x.code.cameo_code AS cameo_code,
       x.code.event_mode AS event_mode,
       CASE x.place_rank WHEN 3 THEN 'point' WHEN 2 THEN 'admin1' WHEN 1 THEN 'country'
            ELSE 'unknown' END AS geo_precision,
       CASE x.date_rank WHEN 4 THEN 'day' WHEN 3 THEN 'relative' WHEN 2 THEN 'month'
            WHEN 1 THEN 'year' ELSE 'unknown' END AS date_precision,
       x.num_days,
       coalesce(x.outlets, []) AS outlets,
       x.first_url,
       x.first_sentence,
       x.loaded_at
FROM incidents i
JOIN extra x USING (incident_id)
"""

EVENT_SQL = """
SELECT e.*,
       i.incident_id,
       coalesce(a.site_name, a.source) AS outlet,
       a.loaded_at AS article_loaded_at
FROM events_view e
JOIN articles a USING (article_id)
LEFT JOIN incident_events i USING (event_id)
"""

_BASE = {"incidents": INCIDENT_SQL, "events": EVENT_SQL}
_ORDER = {"incidents": "incident_id", "events": "event_id"}


def selected_sql(selection: Selection, level: Level | None = None) -> str:
    """The SQL of a selection's rows at its level (or `level`), oldest day first."""
    chosen = level or selection.level
    return (
        f"SELECT * FROM ({_BASE[chosen]}) WHERE {selection.where()}"
        f" ORDER BY event_date NULLS LAST, {_ORDER[chosen]}"
    )


def count_rows(db: str | os.PathLike[str] | None, selection: Selection) -> int:
    """How many rows a selection holds at its level (for a progress bar's total)."""
    with connect(db, read_only=True) as con:
        found = con.execute(f"SELECT count(*) FROM ({selected_sql(selection)})").fetchone()
    return int(found[0]) if found else 0


def iter_rows(
    db: str | os.PathLike[str] | None,
    selection: Selection,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Row]]:
    """A selection's rows at its level, in batches of dicts keyed by column name.

    `progress` is told how many rows have been read after each batch.
    """
    done = 0
    with connect(db, read_only=True) as con:
        cur = con.execute(selected_sql(selection))
        columns = [d[0] for d in cur.description or []]
        while batch := cur.fetchmany(batch_rows):
            done += len(batch)
            yield [dict(zip(columns, row, strict=True)) for row in batch]
            if progress is not None:
                progress(done)
