"""What the GDELT and PLOVER exports read: each selected incident (or event) with its
reports, the stored events behind it and their articles.

One read-only connection; reports stream in incident order, so an export holds one
incident's reports at a time, not the warehouse. Times come back as naive UTC datetimes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

from warehouse.db import connect
from warehouse.formats.selection import Selection

Row = dict[str, Any]

# Rows fetched per round trip while streaming reports.
FETCH_ROWS = 2_000

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


@dataclass
class Unit:
    """One exported record: an incident with all its reports, or one event (its own report
    as `reports`, its incident's reports as `siblings`). `main` is the report that carries
    the record's act: its CAMEO code, mode, sentence."""

    key: str
    incident_id: str
    row: Row
    reports: list[Row]
    siblings: list[Row]
    main: Row


def main_report(reports: list[Row], event_type: str | None = None) -> Row:
    """The report of an incident's main act: among the reports of the incident's type, the
    CAMEO code most of them give, then the earliest report of it (the first sentence)."""
    typed = [r for r in reports if r["event_type"] == event_type] or reports
    counts: dict[str | None, int] = {}
    for r in typed:
        counts[r["cameo_code"]] = counts.get(r["cameo_code"], 0) + 1
    return min(typed, key=lambda r: (-counts[r["cameo_code"]], *_order(r)))


def place_precision(unit: Unit) -> str:
    """How precise the unit's place is (point, admin1, country): an event says so; an
    incident takes it from a report that gave its place."""
    row = unit.row
    if row.get("geo_precision"):
        return str(row["geo_precision"])
    place = ("country", "admin1", "location")
    for report in unit.reports:
        if all(report[k] == row[k] for k in place) and report["geo_precision"]:
            return str(report["geo_precision"])
    if row.get("location") and row["location"] != row.get("admin1"):
        return "point"
    return "admin1" if row.get("admin1") else "country"


def _order(r: Row) -> tuple[Any, ...]:
    return (r["reported_at"], r["article_id"], r["char_start"] or 0, r["event_id"])


def read_units(db: str | Path, selection: Selection) -> Iterator[Unit]:
    """The selection's incidents (or events), each with its reports, in incident order."""
    incident_level = selection.level == "incidents"
    with connect(db, read_only=True) as con:
        incidents: dict[str, Row] = {}
        if incident_level:
            cur = con.execute(f"SELECT * FROM incidents WHERE {selection.where()}")
            names = [d[0] for d in cur.description]
            incidents = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
            chosen = f"SELECT incident_id FROM incidents WHERE {selection.where()}"
        else:
            chosen = (
                "SELECT incident_id FROM incident_reports"
                f" WHERE {selection.where('event_date', 'country')}"
            )
        cur = con.execute(
            f"SELECT {_REPORT_COLUMNS}, ({selection.where('r.event_date', 'r.country')})"
            " AS selected FROM incident_reports r JOIN articles a USING (article_id)"
            f" WHERE r.incident_id IN ({chosen})"
            " ORDER BY r.incident_id, reported_at, r.article_id, r.char_start NULLS FIRST,"
            " r.event_id"
        )
        names = [d[0] for d in cur.description]
        rows = (dict(zip(names, r, strict=True)) for r in _stream(cur))
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


def _stream(cur: Any) -> Iterator[tuple[Any, ...]]:
    while batch := cur.fetchmany(FETCH_ROWS):
        yield from batch


# A sentence ends at . ! or ? (with any closing quotes or brackets) before white space, or
# at a line break. Abbreviations ("U.S. forces") count as ends too: sentence numbers are
# approximate, as GDELT's own are.
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+|\n+")


def sentence_number(text: str | None, offset: int | None) -> int | None:
    """The 1-based number of the sentence holding character `offset` of `text`."""
    if text is None or offset is None:
        return None
    return 1 + sum(1 for m in _SENTENCE_END.finditer(text, 0, max(0, offset)))


def evidence_offset(report: Row, field: str) -> int | None:
    """Where in the article the words that set `field` start (the coder's evidence), or None
    when the coder kept none."""
    raw = report.get("evidence")
    try:
        evidence = json.loads(raw) if isinstance(raw, str) else (raw or {})
        start = str(evidence[f"{field}_span"]).split(":")[0]
        return int(start)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
