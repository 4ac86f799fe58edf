"""The linker's reads: a batch's new reports, and the stored reports of their window.

Linking a batch must not cost more the more the warehouse holds, so no read here
goes through a whole table. They rely on one property of how eventpipe writes: in
time order. Each batch stamps its rows with one time
(`events.loaded_at`, `codings.coded_at`, `incident_links.linked_at` and, for the
articles it stores, `articles.loaded_at`), and news is stored within days of what
it reports, so the rows of any stretch of time (and of any stretch of event dates)
sit together in a few of a table's row groups. DuckDB keeps each row group's
minimum and maximum of every column (its zonemap) and skips, before reading them,
the row groups a filter on a column rules out. So each read below filters on a
date or a stamp:

- the window's events by `event_date` (an undated event, dated by its article's
  publication, by when it was stored: see `UNDATED_STORED_WITHIN`);
- their codings, links and articles by the stamps of those events (a link and a
  coding carry their event's stamp; an article its own, at or before it), then,
  for any key not found so (an article stored long before a re-coding of it, an
  event stored before links existed), by key alone.

An ART index does not beat this: fetching 9,586 rows of a 1,000,000-event table
through an ART index on `event_date` took 0.29 s, the same rows through its
zonemaps 0.002 s (DuckDB 2.0.1, `eventpipe bench` machine). See the README
(Performance, At scale) for the figures at scale.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.profile import Scans, fetch, settle

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
# The event columns of a report, and those the reads need besides.
_EVENT_COLUMNS = tuple(c for c in REPORT_COLUMNS if c not in ("published_at", "outlet"))
_READ_COLUMNS = (*_EVENT_COLUMNS, "extractor_version", "loaded_at", "char_start")
# An undated event is in a window by its article's publication date, and a publication
# date is at most a day after the moment its article was stored (the loader refuses
# later ones: tasks/dates.py FUTURE_SLACK), which is at or before its events'. So an
# undated event of a window opening on day D was stored after D less a day; one more
# day of margin, in case that limit is ever loosened a little.
UNDATED_STORED_WITHIN = timedelta(days=2)


def new_reports(
    con: duckdb.DuckDBPyConnection,
    event_ids: Sequence[str],
    at: datetime,
    scans: Scans | None = None,
) -> list[Row]:
    """The reports of these events, just written with the stamp `at`, oldest first."""
    if not event_ids:
        return []
    ids = pa.table({"event_id": pa.array(list(event_ids), pa.string())})
    events = _by_key(con, "events", "event_id", ids, "loaded_at = ?", [at], _READ_COLUMNS, scans)
    return _reports(con, events, scans, incidents=False)


def predecessor_reports(con: duckdb.DuckDBPyConnection, new: list[Row]) -> list[Row]:
    """The earlier codings' events of the articles `new` re-codes, with their incidents
    (so a re-coded event keeps its incident), marked `predecessor`. Only a re-coding
    has any (a batch's new articles have no stored events), and it reads the events
    of its articles wherever they are: the nightly re-coding, not a batch's linking."""
    if not new:
        return []
    ids = pa.table({"event_id": pa.array([r["event_id"] for r in new], pa.string())})
    cols = ", ".join(f"e.{c}" for c in _READ_COLUMNS)
    with registered(con, link_new=ids):
        events = fetch(
            con,
            f"SELECT {cols} FROM events e WHERE e.article_id IN"
            " (SELECT article_id FROM events JOIN link_new USING (event_id))"
            " AND e.event_id NOT IN (SELECT event_id FROM link_new)",
        )
    return [{**r, "predecessor": True} for r in _reports(con, events, None, incidents=True)]


def candidate_reports(
    con: duckdb.DuckDBPyConnection,
    new: list[Row],
    window_days: int,
    near_days: int | None = None,
    scans: Scans | None = None,
) -> list[Row]:
    """Current events that could report the same incident as one of `new`, with their
    incident, oldest report first: those of the same country (or both none), dated (or,
    undated, published) within `window_days` of it. With `near_days`, only those of
    the incidents holding one of them dated within `near_days` of a new report's day
    (or undated): a linker that joins a report to an incident only through a report
    this close needs no others (`tasks/link.py`). With `scans`, counts the rows each
    table's scans read."""
    if not new:
        return []
    countries: list[str | None] = [r["country"] for r in new]
    lows = [_day(r) - timedelta(days=window_days) for r in new]
    highs = [_day(r) + timedelta(days=window_days) for r in new]
    # A report with a place but no country (the text named none the coder knew) may be
    # of an incident in any country, and one with a country of an incident known so far
    # only by such reports (`tasks/link_match.py` `placeless`): the first looks at every
    # country's acts with a place, within `near_days` of its day only (the linker joins
    # it to nothing further), the second at the acts with no country of its window.
    slack = timedelta(days=window_days if near_days is None else near_days)
    for r in new:
        if r.get("acled_event_type") is None:
            continue
        if r["country"] is None:
            countries.append(ANY_COUNTRY)
            lows.append(_day(r) - slack)
            highs.append(_day(r) + slack)
        else:
            countries.append(NO_COUNTRY)
            lows.append(_day(r) - timedelta(days=window_days))
            highs.append(_day(r) + timedelta(days=window_days))
    keys = pa.table(  # one window per country
        {
            "country": pa.array(countries, pa.string()),
            "lo": pa.array(lows, pa.date32()),
            "hi": pa.array(highs, pa.date32()),
        }
    )
    new_ids = pa.table({"event_id": pa.array([r["event_id"] for r in new], pa.string())})
    lo, hi = min(lows), max(highs)
    stored_since = datetime.combine(lo, time(), UTC) - UNDATED_STORED_WITHIN
    cols = ", ".join(f"e.{c}" for c in _READ_COLUMNS)
    country = f"SEMI JOIN ({_COUNTRY_WINDOWS}) k ON {_OF_WINDOW}"
    fresh = "e.event_id NOT IN (SELECT event_id FROM link_new)"
    with registered(con, link_keys=keys, link_new=new_ids):
        window = fetch(
            con,
            f"SELECT {cols} FROM events e {country} AND e.event_date BETWEEN k.lo AND k.hi"
            f" WHERE e.event_date BETWEEN ? AND ? AND {fresh}"
            f" UNION ALL SELECT {cols} FROM events e {country}"
            f" WHERE e.event_date IS NULL AND e.loaded_at >= ? AND {fresh}",
            [lo, hi, stored_since],
            scans,
        )
    near: pa.Table | None = None
    dated = [d for r in new if (d := _date(r.get("event_date")))]
    if near_days is not None and len(dated) == len(new):  # an undated one is near every day
        days = {d + timedelta(days=k) for d in dated for k in range(-near_days, near_days + 1)}
        near = pa.table({"day": pa.array(sorted(days), pa.date32())})
    return _reports(con, window, scans, incidents=True, current=True, keys=keys, near=near)


# Each country's window: from the earliest of its new reports' to the latest's.
_COUNTRY_WINDOWS = "SELECT country, min(lo) AS lo, max(hi) AS hi FROM link_keys GROUP BY country"
# Country keys of windows of acts with a place (an ISO code is neither): of a report
# with no country, every country's; of one with a country, those with none.
ANY_COUNTRY, NO_COUNTRY = "*", "-"
# An event `e` of a window `k`: of its country, or an act with a place of any country,
# or one with no country.
_OF_WINDOW = (
    "(e.country IS NOT DISTINCT FROM k.country OR (e.acled_event_type IS NOT NULL AND"
    f" (k.country = '{ANY_COUNTRY}' OR (k.country = '{NO_COUNTRY}' AND e.country IS NULL))))"
)


def _reports(
    con: duckdb.DuckDBPyConnection,
    events: pa.Table,
    scans: Scans | None,
    incidents: bool,
    current: bool = False,
    keys: pa.Table | None = None,
    near: pa.Table | None = None,
) -> list[Row]:
    """The events as reports, oldest first (by publication, else storing; article; place
    in the text): each with its article's publication and outlet; with `incidents`,
    its incident (as linked, then as merged, one hop; an event stored before linking
    existed is an incident of its own); with `current`, only those of their article's
    latest coding (`current_events`); with `keys`, only those in their country's
    window by their day (undated: their article's); with `near` (days), only those of
    an incident holding one dated on one of those days or undated.

    Each table is read for these events alone, under a hint on its stamp (`_by_key`):
    a coding, a link and (when stored with them) an article carry their events'."""
    if not events.num_rows:
        return []
    since, until = pc.min(events["loaded_at"]).as_py(), pc.max(events["loaded_at"]).as_py()
    articles = _by_key(
        con,
        "articles",
        "article_id",
        pa.table({"article_id": pc.unique(events["article_id"])}),
        "loaded_at BETWEEN ? AND ?",
        [since, until],
        ("article_id", "published_at", "loaded_at", "coalesce(site_name, source) AS outlet"),
        scans,
    )
    tables = {"link_events": events, "link_articles": articles}
    cols = ", ".join(f"e.{c}" for c in _EVENT_COLUMNS)
    sql = (
        f"SELECT {cols}, a.published_at, a.outlet, coalesce(a.published_at, a.loaded_at) AS t,"
        " e.char_start"
    )
    joins = " FROM link_events e JOIN link_articles a USING (article_id)"
    if incidents:
        tables["link_links"] = _by_key(
            con,
            "incident_links",
            "event_id",
            pa.table({"event_id": events["event_id"]}),
            "linked_at BETWEEN ? AND ?",
            [since, until],
            ("event_id", "incident_id"),
            scans,
        )
        sql += ", coalesce(m.merged_into, l.incident_id, 'inc-' || left(e.event_id, 24))"
        sql += " AS incident_id"
        joins += " LEFT JOIN link_links l USING (event_id)"
        # Merges are few (a few per thousand events): read through the joined keys.
        joins += " LEFT JOIN incident_merges m ON m.incident_id = l.incident_id"
    if current:
        # A coding is stamped with its events: these articles' codings since the earliest
        # of their stamps hold each one's latest (an article with none there is looked up
        # whole by `_by_key`, and has no later ones).
        tables["link_codings"] = _by_key(
            con,
            "codings",
            "article_id",
            pa.table({"article_id": pc.unique(events["article_id"])}),
            "coded_at >= ?",
            [since],
            ("article_id", "extractor_version", "coded_at"),
            scans,
            unique=False,
        )
        joins += (
            " JOIN (SELECT article_id, arg_max(extractor_version, (coded_at, extractor_version))"
            " AS version FROM link_codings GROUP BY article_id) c"
            " ON c.article_id = e.article_id AND c.version = e.extractor_version"
        )
    if keys is not None:
        tables["link_keys"] = keys
        joins += (
            f" SEMI JOIN ({_COUNTRY_WINDOWS}) k ON {_OF_WINDOW}"
            " AND coalesce(e.event_date, a.published_at::DATE) BETWEEN k.lo AND k.hi"
        )
    sql = f"WITH r AS ({sql}{joins}) SELECT * EXCLUDE (t, char_start) FROM r"
    if near is not None:
        tables["link_near"] = near
        sql += (
            " WHERE incident_id IN (SELECT incident_id FROM r WHERE event_date IS NULL"
            " OR event_date IN (SELECT day FROM link_near))"
        )
    with registered(con, **tables):
        found = fetch(con, f"{sql} ORDER BY t, article_id, char_start, event_id", [], scans)
    rows: list[Row] = found.to_pylist()
    return rows


def _by_key(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key: str,
    keys: pa.Table,
    hint: str,
    params: list[Any],
    columns: Sequence[str],
    scans: Scans | None,
    unique: bool = True,
) -> pa.Table:
    """The rows of `table` whose `key` is one of `keys` (distinct): first those where
    `hint` holds (a filter on a stamp that these keys' rows nearly all meet, which lets
    DuckDB skip the rest of the table), then the other keys' rows through their key
    (an ART index scan for a primary key, when they are few). With `unique=False`,
    a key found under the hint is not looked up again: the hint must hold for all of
    its rows that matter."""
    select = ", ".join(columns)
    with registered(con, link_lookup=keys):
        found = fetch(
            con,
            f"SELECT {select} FROM {table} JOIN link_lookup USING ({key}) WHERE {hint}",
            params,
            scans,
        )
    missing = pc.filter(keys[key], pc.invert(pc.is_in(keys[key], found[key]))).to_pylist()
    if not missing:
        return found
    marks = ", ".join("?" * len(missing))
    more = fetch(con, f"SELECT {select} FROM {table} WHERE {key} IN ({marks})", missing, scans)
    return pa.concat_tables([found, more.cast(found.schema)])


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    """Arrow tables visible to the connection's SQL by name, for one query."""
    settle(con)
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            con.unregister(name)


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _day(row: Row) -> date:
    return _date(row.get("event_date")) or _date(row.get("published_at")) or date(1970, 1, 1)
