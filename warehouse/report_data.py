"""The numbers of `eventpipe report`, as plain rows: incidents, deaths, places, actors, runs.

Everything is read through one short read-only connection (one consistent view of
the file, closed before any chart is drawn). Incidents are counted, not events
(`incidents` view), and deaths are `incidents.fatalities`; the `Selection` (days,
countries) filters incidents by their day and country. The run history is the
operator's view of the whole warehouse (runs, articles, rejections, fetches per UTC
day), not filtered by the selection: runs happen on other days than the events.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb

from warehouse.db import connect, query_deadline
from warehouse.formats.selection import Selection

Row = dict[str, Any]

# The label of incidents with no ACLED type (verbal acts: accusations, appeals...).
NO_ACLED_TYPE = "No ACLED type"
# ACLED's six event types, in ACLED's order, then the label above: colours and stacks
# keep this order whatever the data holds.
EVENT_TYPES: tuple[str, ...] = (
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
    NO_ACLED_TYPE,
)
# Rows in each "top" table: enough to see who and where, short enough to read.
TOP_N = 10
# Deadliest incidents listed, and reports (sentence and link) shown under each.
DEADLIEST_N = 20
REPORTS_PER_INCIDENT = 5
# Incidents drawn on the map, deadliest first: each is an SVG element, and past a few
# thousand the file grows by megabytes for points that hide each other anyway.
MAX_MAP_POINTS = 5000
# Days of the run history shown, ending with the latest day anything ran.
RUN_HISTORY_DAYS = 60

_TYPE = f"coalesce(acled_event_type, '{NO_ACLED_TYPE}')"


@dataclass(frozen=True, slots=True)
class Totals:
    incidents: int
    deaths: int
    dated: int  # incidents with a day (the timeline shows these)
    located: int  # incidents with coordinates (the map shows these)
    first_day: date | None
    last_day: date | None


@dataclass(slots=True)
class ReportData:
    """What the report shows, each part a list of dicts keyed by column name."""

    selection: Selection
    totals: Totals
    by_type: list[Row] = field(default_factory=list)  # type, incidents, deaths
    daily: list[Row] = field(default_factory=list)  # day, type, incidents, deaths
    points: list[Row] = field(default_factory=list)  # incidents with coordinates
    actors: list[Row] = field(default_factory=list)  # actor, incidents, deaths
    admin1: list[Row] = field(default_factory=list)  # country, admin1, incidents, deaths
    deadliest: list[Row] = field(default_factory=list)  # incidents, each with `reports`
    runs: list[Row] = field(default_factory=list)  # day, runs, failed, articles, rejections
    fetches: list[Row] = field(default_factory=list)  # day, outcome, fetches


def read_report(
    db: str | os.PathLike[str] | None,
    selection: Selection,
    deadline_s: float | None = None,
) -> ReportData:
    """Every number of the report, read in one short read-only connection.

    `deadline_s` is how long to wait for a writer to let go of the file (default:
    the query deadline, as for `eventpipe query`).
    """
    wait = query_deadline() if deadline_s is None else deadline_s
    where = selection.where()
    with connect(db, read_only=True, deadline_s=wait) as con:
        start = _history_start(con)
        return ReportData(
            selection=selection,
            totals=_totals(con, where),
            by_type=_rows(
                con,
                f"SELECT {_TYPE} AS type, count(*) AS incidents,"
                " coalesce(sum(fatalities), 0) AS deaths"
                f" FROM incidents WHERE {where} GROUP BY ALL ORDER BY incidents DESC, type",
            ),
            daily=_rows(
                con,
                f"SELECT event_date AS day, {_TYPE} AS type, count(*) AS incidents,"
                " coalesce(sum(fatalities), 0) AS deaths"
                f" FROM incidents WHERE event_date IS NOT NULL AND {where}"
                " GROUP BY ALL ORDER BY day, type",
            ),
            points=_rows(
                con,
                "SELECT incident_id, latitude, longitude, "
                f"{_TYPE} AS type, fatalities AS deaths, location, admin1, country,"
                " event_date AS day"
                " FROM incidents WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
                f" AND {where}"
                " ORDER BY coalesce(fatalities, 0) DESC, incident_id LIMIT ?",
                [MAX_MAP_POINTS],
            ),
            actors=_top_actors(con, where),
            admin1=_rows(
                con,
                "SELECT country, admin1, count(*) AS incidents,"
                " coalesce(sum(fatalities), 0) AS deaths"
                f" FROM incidents WHERE admin1 IS NOT NULL AND {where}"
                " GROUP BY ALL ORDER BY incidents DESC, deaths DESC, country, admin1 LIMIT ?",
                [TOP_N],
            ),
            deadliest=_deadliest(con, where),
            runs=_run_history(con, start),
            fetches=_fetch_history(con, start),
        )


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cur = con.execute(sql, params)
    columns = [d[0] for d in cur.description or ()]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def _totals(con: duckdb.DuckDBPyConnection, where: str) -> Totals:
    row = con.execute(
        "SELECT count(*), coalesce(sum(fatalities), 0), count(event_date),"
        " count(*) FILTER (WHERE latitude IS NOT NULL AND longitude IS NOT NULL),"
        f" min(event_date), max(event_date) FROM incidents WHERE {where}"
    ).fetchone()
    assert row is not None  # an aggregate always gives one row
    return Totals(int(row[0]), int(row[1]), int(row[2]), int(row[3]), row[4], row[5])


def _top_actors(con: duckdb.DuckDBPyConnection, where: str) -> list[Row]:
    """Actors by incidents they took part in, on either side, under their canonical name
    (the text's wording for incidents coded before canonical names existed)."""
    return _rows(
        con,
        "WITH sides AS ("
        " SELECT incident_id, coalesce(actor1_canonical, actor1) AS actor, fatalities"
        f" FROM incidents WHERE {where}"
        " UNION SELECT incident_id, coalesce(actor2_canonical, actor2), fatalities"
        f" FROM incidents WHERE {where})"
        " SELECT actor, count(DISTINCT incident_id) AS incidents,"
        " coalesce(sum(fatalities), 0) AS deaths"
        " FROM sides WHERE actor IS NOT NULL"
        " GROUP BY actor ORDER BY incidents DESC, deaths DESC, actor LIMIT ?",
        [TOP_N],
    )


def _deadliest(con: duckdb.DuckDBPyConnection, where: str) -> list[Row]:
    """The incidents with the most deaths, each with its first reports (sentence, link)."""
    incidents = _rows(
        con,
        "SELECT incident_id, event_date AS day, acled_event_type, acled_sub_event_type,"
        " event_type, coalesce(actor1_canonical, actor1) AS actor1,"
        " coalesce(actor2_canonical, actor2) AS actor2, country, admin1, location,"
        " fatalities AS deaths, num_sources"
        f" FROM incidents WHERE fatalities > 0 AND {where}"
        " ORDER BY fatalities DESC, event_date DESC NULLS LAST, incident_id LIMIT ?",
        [DEADLIEST_N],
    )
    if not incidents:
        return incidents
    reports = _rows(
        con,
        "SELECT r.incident_id, r.outlet, r.reported_at, r.sentence, r.fatalities,"
        " a.title, a.url,"
        " row_number() OVER (PARTITION BY r.incident_id ORDER BY r.reported_at, r.event_id)"
        " AS n"
        " FROM incident_reports r JOIN articles a USING (article_id)"
        " WHERE r.incident_id IN (SELECT unnest(?))"
        " QUALIFY n <= ? ORDER BY r.incident_id, n",
        [[i["incident_id"] for i in incidents], REPORTS_PER_INCIDENT],
    )
    by_incident: dict[str, list[Row]] = {}
    for report in reports:
        by_incident.setdefault(report.pop("incident_id"), []).append(report)
    for incident in incidents:
        incident["reports"] = by_incident.get(incident["incident_id"], [])
    return incidents


# A timestamp's day in UTC, whatever the session's time zone.
def _utc_day(column: str) -> str:
    return f"CAST(timezone('UTC', {column}) AS DATE)"


def _history_start(con: duckdb.DuckDBPyConnection) -> date | None:
    """The first day of the run history: RUN_HISTORY_DAYS days ending with the latest day
    anything ran (a run started, an article was stored, a URL fetched); None if never."""
    row = con.execute(
        "SELECT max(d) FROM ("
        f" SELECT max({_utc_day('started_at')}) AS d FROM flow_runs"
        f" UNION ALL SELECT max({_utc_day('loaded_at')}) FROM articles"
        f" UNION ALL SELECT max({_utc_day('rejected_at')}) FROM rejections"
        f" UNION ALL SELECT max({_utc_day('fetched_at')}) FROM fetch_log)"
    ).fetchone()
    last: date | None = row[0] if row else None
    return None if last is None else last - timedelta(days=RUN_HISTORY_DAYS - 1)


def _run_history(con: duckdb.DuckDBPyConnection, start: date | None) -> list[Row]:
    """Per UTC day from `start`: flow runs started (and how many failed or crashed),
    articles stored, inputs rejected."""
    if start is None:
        return []
    return _rows(
        con,
        "WITH activity AS ("
        f" SELECT {_utc_day('started_at')} AS day, 1 AS runs,"
        " CASE WHEN status IN ('failed', 'crashed') THEN 1 ELSE 0 END AS failed,"
        " 0 AS articles, 0 AS rejections FROM flow_runs"
        f" UNION ALL SELECT {_utc_day('loaded_at')}, 0, 0, 1, 0 FROM articles"
        f" UNION ALL SELECT {_utc_day('rejected_at')}, 0, 0, 0, 1 FROM rejections)"
        " SELECT day, sum(runs)::INTEGER AS runs, sum(failed)::INTEGER AS failed,"
        " sum(articles)::INTEGER AS articles, sum(rejections)::INTEGER AS rejections"
        " FROM activity WHERE day >= ? GROUP BY day ORDER BY day",
        [start],
    )


def _fetch_history(con: duckdb.DuckDBPyConnection, start: date | None) -> list[Row]:
    """Per UTC day from `start` and outcome: URLs fetched (or refused)."""
    if start is None:
        return []
    return _rows(
        con,
        f"SELECT {_utc_day('fetched_at')} AS day, outcome, count(*)::INTEGER AS fetches"
        " FROM fetch_log WHERE day >= ? GROUP BY ALL ORDER BY day, outcome",
        [start],
    )
