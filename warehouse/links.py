"""Incident links inside a batch's transaction: the candidates a linker needs, its result.

The rules that decide whether two reports are one incident are a stage's
(`tasks/link.py`); the writer hands it plain rows and writes back what it
decided, in the same transaction as the events, so links never lag behind
rows and two writers never link against a half-written batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from warehouse import schema

Row = dict[str, Any]

# The columns of a report as the linker sees it: the event, its article, its incident.
REPORT_COLUMNS = (
    "event_id",
    "article_id",
    "event_type",
    "acled_event_type",
    "acled_sub_event_type",
    "actor1",
    "actor1_country",
    "actor2",
    "actor2_country",
    "actor1_canonical",
    "actor2_canonical",
    "country",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "event_date",
    "date_precision",
    "fatalities",
    "published_at",
    "outlet",
)


@dataclass(slots=True)
class LinkPlan:
    """What a linker decided: each new event's incident, and incidents merged into others."""

    links: list[Row] = field(default_factory=list)  # event_id, incident_id, reason
    merges: list[Row] = field(default_factory=list)  # incident_id, merged_into, reason


# A linker: (new reports, candidate reports with their `incident_id`) -> plan.
Linker = Callable[[list[Row], list[Row]], LinkPlan]


def new_reports(con: duckdb.DuckDBPyConnection, event_ids: Sequence[str]) -> list[Row]:
    """The reports of these (just written) events, with their article's day and outlet."""
    if not event_ids:
        return []
    ids = pa.table({"event_id": pa.array(list(event_ids), pa.string())})
    with _registered(con, link_ids=ids):
        return _reports(con, "JOIN link_ids USING (event_id)", [], with_incident=False)


def predecessor_reports(con: duckdb.DuckDBPyConnection, new: list[Row]) -> list[Row]:
    """The earlier codings' events of the articles `new` re-codes, with their incidents
    (so a re-coded event keeps its incident), marked `predecessor`."""
    if not new:
        return []
    ids = pa.table({"event_id": pa.array([r["event_id"] for r in new], pa.string())})
    where = (
        "WHERE e.article_id IN (SELECT article_id FROM events JOIN link_new USING (event_id))"
        " AND e.event_id NOT IN (SELECT event_id FROM link_new)"
    )
    with _registered(con, link_new=ids):
        rows = _reports(con, where, [], with_incident=True, table="events")
    return [{**r, "predecessor": True} for r in rows]


def candidate_reports(
    con: duckdb.DuckDBPyConnection,
    new: list[Row],
    window_days: int,
) -> list[Row]:
    """Current events that could report the same incident as one of `new`: the same
    country (or both none), dated (or published) within `window_days` of it."""
    if not new:
        return []
    keys = pa.table(  # one window per country
        {
            "country": pa.array([r["country"] for r in new], pa.string()),
            "lo": pa.array([_day(r) - timedelta(days=window_days) for r in new], pa.date32()),
            "hi": pa.array([_day(r) + timedelta(days=window_days) for r in new], pa.date32()),
        }
    )
    new_ids = pa.table({"event_id": pa.array([r["event_id"] for r in new], pa.string())})
    where = (
        "JOIN (SELECT country, min(lo) AS lo, max(hi) AS hi FROM link_keys GROUP BY country) k"
        " ON e.country IS NOT DISTINCT FROM k.country"
        " AND coalesce(e.event_date, a.published_at::DATE) BETWEEN k.lo AND k.hi"
        " WHERE e.event_id NOT IN (SELECT event_id FROM link_new)"
    )
    with _registered(con, link_keys=keys, link_new=new_ids):
        return _reports(con, where, [], with_incident=True)


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    """Arrow tables visible to the connection's SQL by name, for one query."""
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            con.unregister(name)


def _day(row: Row) -> date:
    day = row.get("event_date") or row.get("published_at")
    if isinstance(day, datetime):
        return day.date()
    return day if isinstance(day, date) else date(1970, 1, 1)


def _reports(
    con: duckdb.DuckDBPyConnection,
    where: str,
    params: list[Any],
    with_incident: bool,
    table: str = "current_events",
) -> list[Row]:
    cols = [c for c in REPORT_COLUMNS if c not in ("published_at", "outlet")]
    incident = (
        ", coalesce(m.merged_into, l.incident_id, 'inc-' || left(e.event_id, 24))"
        if with_incident
        else ""
    )
    joins = (
        " LEFT JOIN incident_links l ON l.event_id = e.event_id"
        " LEFT JOIN incident_merges m ON m.incident_id = l.incident_id"
        if with_incident
        else ""
    )
    cur = con.execute(
        f"SELECT {', '.join('e.' + c for c in cols)}, a.published_at,"
        f" coalesce(a.site_name, a.source){incident}"
        f" FROM {table} e JOIN articles a USING (article_id){joins} {where}"
        " ORDER BY coalesce(a.published_at, a.loaded_at), e.article_id, e.char_start, e.event_id",
        params,
    )
    names = [*cols, "published_at", "outlet"] + (["incident_id"] if with_incident else [])
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def write_plan(con: duckdb.DuckDBPyConnection, batch_id: str, at: datetime, plan: LinkPlan) -> None:
    """Write the links and merges; a merge also re-points earlier merges into the loser,
    so every merge is one hop from the surviving incident."""
    if plan.links:
        rows = pa.Table.from_pylist(
            [{**r, "run_id": batch_id, "linked_at": at} for r in plan.links],
            schema.INCIDENT_LINKS,
        )
        with _registered(con, link_rows=rows):
            con.execute(
                "INSERT INTO incident_links BY NAME SELECT * FROM link_rows ON CONFLICT DO NOTHING"
            )
    for merge in plan.merges:
        con.execute(
            "UPDATE incident_merges SET merged_into = ? WHERE merged_into = ?",
            [merge["merged_into"], merge["incident_id"]],
        )
        con.execute(
            "INSERT INTO incident_merges (incident_id, merged_into, run_id, merged_at, reason)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [merge["incident_id"], merge["merged_into"], batch_id, at, merge["reason"]],
        )


def link_events(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    at: datetime,
    event_ids: Sequence[str],
    linker: Linker,
    window_days: int,
) -> LinkPlan:
    """Link just-written events to incidents, in the caller's transaction."""
    new = new_reports(con, event_ids)
    candidates = predecessor_reports(con, new) + candidate_reports(con, new, window_days)
    plan = linker(new, candidates)
    write_plan(con, batch_id, at, plan)
    return plan
