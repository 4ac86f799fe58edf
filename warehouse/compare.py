"""What warehouses hold, read side by side: are their events and incidents the same?

`eventpipe verify-backends` (flows/verify.py) ingests one input into a DuckDB file and
DuckLakes and compares them here. Compared: every event row but the stamps of when and
by which batch it was stored (`run_id`, `loaded_at`), and every incident row but when
its reports were stored (`first_reported`, `last_reported`, from those stamps).
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import Any

from warehouse.db import connect

# The stamps of a run, which differ between any two ingests of the same input.
EVENT_STAMPS = ("run_id", "loaded_at")
INCIDENT_STAMPS = ("first_reported", "last_reported")
# Rows that point at nothing, or belong to no completed run: 0 in a consistent warehouse
# (README, "DuckLake").
ORPHANS = """
SELECT (SELECT count(*) FROM events e WHERE NOT EXISTS
          (SELECT 1 FROM articles a WHERE a.article_id = e.article_id))
     + (SELECT count(*) FROM codings c WHERE NOT EXISTS
          (SELECT 1 FROM articles a WHERE a.article_id = c.article_id))
     + (SELECT count(*) FROM incident_links l WHERE NOT EXISTS
          (SELECT 1 FROM events e WHERE e.event_id = l.event_id))
     + (SELECT count(*) FROM articles a WHERE NOT EXISTS
          (SELECT 1 FROM runs r WHERE r.run_id = a.run_id AND r.status = 'completed'))
"""
# Differing rows shown per table when two warehouses differ.
SHOWN_DIFFERENCES = 3


@dataclass(frozen=True, slots=True)
class Contents:
    """A warehouse's events and incidents without their stamps, in key order, and counts."""

    articles: int
    events: list[tuple[Any, ...]]
    incidents: list[tuple[Any, ...]]
    orphans: int


def read_contents(db: str | PathLike[str]) -> Contents:
    """Read what `db` holds (one short read-only connection)."""
    events = ", ".join(EVENT_STAMPS)
    incidents = ", ".join(INCIDENT_STAMPS)
    with connect(db, read_only=True) as con:
        articles = con.execute("SELECT count(*) FROM articles").fetchone()
        orphans = con.execute(ORPHANS).fetchone()
        return Contents(
            articles=int(articles[0]) if articles else 0,
            events=con.execute(
                f"SELECT * EXCLUDE ({events}) FROM events ORDER BY event_id"
            ).fetchall(),
            incidents=con.execute(
                f"SELECT * EXCLUDE ({incidents}) FROM incidents ORDER BY incident_id"
            ).fetchall(),
            orphans=int(orphans[0]) if orphans else 0,
        )


def differences(want: Contents, got: Contents) -> list[str]:
    """How `got` differs from `want`, one line each (none when they are the same)."""
    lines = []
    if got.articles != want.articles:
        lines.append(f"articles: {got.articles}, not {want.articles}")
    if got.orphans:
        lines.append(f"{got.orphans} orphaned rows")
    pairs = (("events", want.events, got.events), ("incidents", want.incidents, got.incidents))
    for what, a, b in pairs:
        if a == b:
            continue
        lines.append(f"{what}: {len(b)} rows, not {len(a)}")
        left, right = _by_text(a), _by_text(b)  # rows hold lists: compared as text
        missing = sorted(left.keys() - right.keys())[:SHOWN_DIFFERENCES]
        extra = sorted(right.keys() - left.keys())[:SHOWN_DIFFERENCES]
        lines += [f"  missing {what[:-1]}: {row}" for row in missing]
        lines += [f"  unexpected {what[:-1]}: {row}" for row in extra]
    return lines


def _by_text(rows: list[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {repr(r): r for r in rows}


def is_empty(db: str | PathLike[str]) -> bool:
    """Whether `db` holds no article yet."""
    with connect(db, read_only=True) as con:
        row = con.execute("SELECT count(*) FROM articles").fetchone()
    return not row or not row[0]
