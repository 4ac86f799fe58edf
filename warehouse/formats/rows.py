"""The one reader of what exporters need, filtered by a `Selection`.

Three reads, each one SQL text:

* incidents (`INCIDENT_SQL`): the `incidents` view's fields, plus what it lacks that
  exporters need: the CAMEO code and PLOVER mode of its latest report of its type that
  gives a code, the precision of its chosen place and day (the best precision among the
  reports that give that place or day), how many distinct days its reports give, the
  outlets of its reports, the first report's url and sentence, and when its latest
  report was loaded;
* events (`EVENT_SQL`): `events_view` rows, with their outlet and incident;
* reports (`REPORT_SQL`): every report of the selected incidents (events level: of the
  incidents holding a selected event), with its article, in incident order, each
  flagged `selected` when it is itself in the selection.

ACLED and our tables read rows (`iter_rows`, `selected_sql`); GDELT and PLOVER read
units (`read_units`): each selected incident, or event, with its reports.

Undated rows cannot be placed in a span of days: they pass only when the selection
gives neither `since` nor `until` (`Selection.where` compares the date, and NULL
compares false). Formats that need a day leave them out themselves and count them.
Each read is one short read-only connection, streamed in batches. Times come back as
naive UTC datetimes (`naive_times`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import duckdb

from warehouse.db import connect
from warehouse.formats.selection import Level, Selection

Row = dict[str, Any]
# Rows fetched per round trip: large enough that Python's per-call cost is nothing, small
# enough that a batch of reports (each with its article's text) stays a few MB.
BATCH_ROWS = 2_000

# Best first: a precision's rank among the reports that give an incident's chosen value.
_DATE_RANK = "CASE date_precision WHEN 'day' THEN 4 WHEN 'relative' THEN 3 WHEN 'month' THEN 2"
_DATE_RANK += " WHEN 'year' THEN 1 ELSE 0 END"

# The `incidents` view is computed once (MATERIALIZED), not once per reference: 9-17%
# less CPU for the incident rows of 100,000 events (three runs each).
INCIDENT_SQL = f"""
WITH i AS MATERIALIZED (SELECT * FROM incidents),
extra AS (
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
    JOIN i USING (incident_id)
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
FROM i
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

# A report's columns: its event, its article; times as naive UTC datetimes.
_REPORT_COLUMNS = (
    "r.incident_id, r.event_id, r.article_id, r.event_type, r.event_mode, r.cameo_code,"
    " r.actor1, r.actor1_country, r.actor1_type, r.actor1_canonical,"
    " r.actor2, r.actor2_country, r.actor2_type, r.actor2_canonical,"
    " r.country, r.admin1, r.location, r.latitude, r.longitude, r.geo_precision,"
    " r.event_date, r.fatalities, r.sentence, r.char_start, r.char_end, r.confidence,"
    " r.extractor_version, timezone('UTC', r.loaded_at) AS loaded_at, r.evidence, r.outlet,"
    " timezone('UTC', r.reported_at) AS reported_at,"
    " a.url, a.source, a.source_kind, a.title, a.language, a.site_name,"
    " timezone('UTC', a.published_at) AS published_at, a.text"
)
# {selected}: the selection's condition on a report; {chosen}: which incidents.
REPORT_SQL = (
    f"SELECT {_REPORT_COLUMNS}, ({{selected}}) AS selected"
    " FROM incident_reports r JOIN articles a USING (article_id){chosen}"
    " ORDER BY r.incident_id, reported_at, r.article_id, r.char_start NULLS FIRST, r.event_id"
)

_BASE = {"incidents": INCIDENT_SQL, "events": EVENT_SQL}
_ORDER = {"incidents": "incident_id", "events": "event_id"}


def selected_sql(selection: Selection, level: Level | None = None, columns: str = "*") -> str:
    """The SQL of a selection's rows at its level (or `level`), oldest day first."""
    chosen = level or selection.level
    return (
        f"SELECT {columns} FROM ({_BASE[chosen]}) WHERE {selection.where()}"
        f" ORDER BY event_date NULLS LAST, {_ORDER[chosen]}"
    )


def naive_times(con: duckdb.DuckDBPyConnection, level: Level) -> str:
    """The select list of a level's rows with each zoned time as naive UTC: DuckDB makes
    a zoned time's Python datetime through pytz, value by value, which took a fifth of
    reading 100,000 events; a naive one costs next to nothing."""
    described = con.execute(f"DESCRIBE ({_BASE[level]})").fetchall()
    zoned = [str(d[0]) for d in described if d[1] == "TIMESTAMP WITH TIME ZONE"]
    if not zoned:
        return "*"
    return "* REPLACE (" + ", ".join(f'timezone(\'UTC\', "{z}") AS "{z}"' for z in zoned) + ")"


def articles_sql(selection: Selection) -> str:
    """The stored articles; with a day or country filter, those that reported an event of
    the selection (whatever its level), oldest first."""
    where = ""
    if selection.where() != "TRUE":
        where = (
            f" WHERE article_id IN (SELECT article_id FROM events_view WHERE {selection.where()})"
        )
    return f"SELECT * FROM articles{where} ORDER BY coalesce(published_at, loaded_at), article_id"


def reports_sql(selection: Selection) -> str:
    """The reports of the selection's incidents (events level: of the incidents holding a
    selected event), in incident order, then oldest report first."""
    chosen = ""
    if selection.where() != "TRUE":  # else every incident: no need to pick them
        source = "incidents" if selection.level == "incidents" else "incident_reports"
        chosen = f" WHERE r.incident_id IN (SELECT incident_id FROM {source}"
        chosen += f" WHERE {selection.where()})"
    return REPORT_SQL.format(selected=selection.where("r.event_date", "r.country"), chosen=chosen)


def _dicts(cur: duckdb.DuckDBPyConnection, batch_rows: int) -> Iterator[list[Row]]:
    """A cursor's rows in batches of dicts keyed by column name."""
    columns = [d[0] for d in cur.description or []]
    while batch := cur.fetchmany(batch_rows):
        yield [dict(zip(columns, row, strict=True)) for row in batch]


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
    """A selection's rows at its level, in batches of dicts keyed by column name; times
    as naive UTC datetimes.

    `progress` is told how many rows have been read after each batch.
    """
    done = 0
    with connect(db, read_only=True) as con:
        sql = selected_sql(selection, columns=naive_times(con, selection.level))
        for batch in _dicts(con.execute(sql), batch_rows):
            done += len(batch)
            yield batch
            if progress is not None:
                progress(done)


@dataclass
class Unit:
    """One exported record: an incident with all its reports, or one event (its own report
    as `reports`, its incident's reports as `siblings`). `row` is the incident's row (from
    `INCIDENT_SQL`) or the event's report; `main` is the report that carries the record's
    act: its CAMEO code, mode, sentence."""

    key: str
    incident_id: str
    row: Row
    reports: list[Row]
    siblings: list[Row]
    main: Row


def report_order(r: Row) -> tuple[Any, ...]:
    """Oldest report first (as `REPORT_SQL` orders them)."""
    return (r["reported_at"], r["article_id"], r["char_start"] or 0, r["event_id"])


def main_report(reports: list[Row], event_type: str | None = None) -> Row:
    """The report of an incident's main act: among the reports of the incident's type, the
    CAMEO code most of them give, then the earliest report of it (the first sentence)."""
    typed = [r for r in reports if r["event_type"] == event_type] or reports
    counts: dict[str | None, int] = {}
    for r in typed:
        counts[r["cameo_code"]] = counts.get(r["cameo_code"], 0) + 1
    return min(typed, key=lambda r: (-counts[r["cameo_code"]], *report_order(r)))


def read_units(
    db: str | os.PathLike[str] | None, selection: Selection, batch_rows: int = BATCH_ROWS
) -> Iterator[Unit]:
    """The selection's incidents (or events), each with its reports, in incident order.

    At the incidents level the selected incidents' rows are held while their reports
    stream; a unit holds one incident's reports at a time, not the warehouse.
    """
    incident_level = selection.level == "incidents"
    with connect(db, read_only=True) as con:
        incidents: dict[str, Row] = {}
        if incident_level:
            sql = selected_sql(selection, columns=naive_times(con, "incidents"))
            for batch in _dicts(con.execute(sql), batch_rows):
                incidents.update((str(r["incident_id"]), r) for r in batch)
        cur = con.execute(reports_sql(selection))
        rows = (r for batch in _dicts(cur, batch_rows) for r in batch)
        for incident_id, group in groupby(rows, key=lambda r: str(r["incident_id"])):
            reports = list(group)
            if incident_level:
                incident = incidents[incident_id]
                main = main_report(reports, incident["event_type"])
                yield Unit(incident_id, incident_id, incident, reports, reports, main)
                continue
            for report in reports:
                if report["selected"]:
                    key = str(report["event_id"])
                    yield Unit(key, incident_id, report, [report], reports, report)
