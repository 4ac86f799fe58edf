"""Synthetic warehouse contents for `eventpipe bench`, made in bulk inside DuckDB.

The benchmark asks how linking and the near-duplicate look-up cost when the
warehouse is large. Coding a million events would take hours, so these
functions write rows that look like a coded history instead, with
`INSERT ... SELECT` over `range()` (seconds for a million rows, no Python loop):

- a history of `n` current events, reported over `days` days in many countries
  (a few countries report most of them, as in real news), each article reporting
  a few events of one country and day, each incident reported by two articles,
  every event linked to its incident as the linker would have linked it;
- a batch of new events published the day after the history ends, some of them
  further reports of the history's recent incidents, the others new incidents (the
  same batch whether or not the history is there, so linking it can be timed into
  an empty warehouse and into a full one), written in an open transaction that is
  rolled back, as a batch's are when the writer links them (`trial_batch`);
- MinHash signatures and LSH band keys of `n` stored articles, random, shaped as
  `tasks/neardup.py` stores them, and any real ones given.

Rows are stamped as the writer stamps them (a batch's rows with one time, in time
order), so the zonemaps the linker's reads rely on are as they would be.

Every id is derived from its number (`md5`), so two calls with one seed write the
same rows. Nothing here is used outside the benchmark and its tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.db import connect

# The coder version the synthetic rows carry (each article's one, current, coding).
SYNTHETIC_VERSION = "bench-synthetic"
# Events per article and reports per incident: slots are written in blocks of
# EVENTS_PER_ARTICLE x REPORTS_PER_INCIDENT, two articles of one country and day
# that each report the same three incidents (the events of one article are always
# of different incidents, as the coder makes them).
EVENTS_PER_ARTICLE = 3
REPORTS_PER_INCIDENT = 2
_BLOCK = EVENTS_PER_ARTICLE * REPORTS_PER_INCIDENT
# Countries reporting events, the first the busiest: a block's country is drawn
# with a squared uniform draw, so the first tenth of them report about a third of
# the events, as a few conflicts fill most of a real news feed.
_COUNTRY_CODES = (
    "UKR SDN SYR MMR NGA COD MLI BFA SOM YEM AFG IRQ PAK ETH MEX COL ISR PSE LBN LBY "
    "CMR NER TCD CAF SSD MOZ HTI VEN IND BGD PHL IDN THA KEN UGA ZWE ZAF BRA PER ECU "
    "BOL CHL ARG TUR IRN EGY TUN DZA MAR GEO ARM AZE RUS BLR KAZ KGZ TJK NIC HND GTM "
)
COUNTRIES = tuple(_COUNTRY_CODES.split())
# Named places per country (a town, in one of a few provinces): 0.5 degrees apart,
# further than the linker's 25 km, so two towns are two places.
TOWNS_PER_COUNTRY = 200
_GRID = 20  # towns per row of a country's grid
PROVINCES_PER_COUNTRY = 10
# Actors per country: the attacking group of an incident is one of these.
ACTORS_PER_COUNTRY = 30
# Outlets the articles come from.
OUTLETS = 200
# One incident in this many is reported by its second article at province precision
# (a wire report that names the province only, as many do).
PROVINCE_ONLY_EVERY = 4
# One new event in this many reports a recent incident of the history (a later
# article on a story already stored); the others are new incidents.
JOIN_EVERY = 5
# The history's incidents a joining new event may report: those of its last days
# (recent enough to lie in the linker's window).
RECENT_DAYS = 3
# The kinds of act incidents are, by a draw of 0-9: ACLED type and sub-type and the
# PLOVER type (verbal acts have no ACLED type and no place but the country).
_KIND = """CASE {k}
    WHEN 0 THEN ['ASSAULT', 'Violence against civilians', 'Attack']
    WHEN 1 THEN ['ASSAULT', 'Violence against civilians', 'Attack']
    WHEN 2 THEN ['ASSAULT', 'Violence against civilians', 'Abduction/forced disappearance']
    WHEN 3 THEN ['ASSAULT', 'Battles', 'Armed clash']
    WHEN 4 THEN ['ASSAULT', 'Battles', 'Armed clash']
    WHEN 5 THEN ['ASSAULT', 'Explosions/Remote violence', 'Air/drone strike']
    WHEN 6 THEN ['PROTEST', 'Protests', 'Peaceful protest']
    WHEN 7 THEN ['PROTEST', 'Riots', 'Violent demonstration']
    WHEN 8 THEN ['COERCE', 'Strategic developments', 'Arrests']
    ELSE ['ACCUSE', NULL, NULL] END"""


def _draw(expr: str, salt: str, modulo: int) -> str:
    """A deterministic draw in [0, modulo) from `expr` (an integer SQL expression)."""
    return f"(hash({expr}, '{salt}') % {modulo})::INTEGER"


def _country(block: str) -> str:
    u = f"(({_draw(block, 'country', 1_000_003)}) / 1000003.0)"
    return f"list_extract({_sql_list(COUNTRIES)}, 1 + floor({u} * {u} * {len(COUNTRIES)})::INTEGER)"


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _event_id(slot: str, prefix: str) -> str:
    return f"md5('{prefix}-event-' || {slot})"


def _article_id(article: str, prefix: str) -> str:
    return f"md5('{prefix}-article-' || {article})"


# The slots' SELECT: one row per event, each with its article, incident and fields.
# `{slots}` yields (slot, article, position, incident, day_offset, published_offset):
# the event's place in its article, its day and its article's (days from the first).
# The fields follow from the incident number alone (its block's country, its town,
# kind, actor and toll), so every report of an incident agrees with the others, as
# outlets' reports do.
_EVENTS = """
WITH slots AS ({slots}),
f AS (
    SELECT *,
        incident // {per_block} AS block,
        {kind} AS kind,
        {town} AS town,
        {second} AND {province_only} AS province_only
    FROM (SELECT *, {k} AS k FROM slots)
),
g AS (SELECT *, {country} AS country, list_position({countries}, {country}) AS c FROM f)
SELECT
    {event_id} AS event_id,
    {article_id} AS article_id,
    slot, article, incident, day_offset, published_offset, country,
    kind[1] AS event_type,
    kind[2] AS acled_event_type,
    kind[3] AS acled_sub_event_type,
    'Group ' || country || ' ' || {actor} AS actor1,
    country AS actor1_country,
    CASE WHEN kind[2] IS NULL THEN NULL
         ELSE country || ' Province ' || (town % {provinces}) END AS admin1,
    CASE WHEN kind[2] IS NULL THEN NULL
         WHEN province_only THEN country || ' Province ' || (town % {provinces})
         ELSE country || ' Town ' || town END AS location,
    CASE WHEN kind[2] IS NULL OR province_only THEN NULL
         ELSE -40.0 + c * 1.3 + (town // {grid}) * 0.5 END AS latitude,
    CASE WHEN kind[2] IS NULL OR province_only THEN NULL
         ELSE -100.0 + c * 3.5 + (town % {grid}) * 0.5 END AS longitude,
    CASE WHEN kind[2] IS NULL THEN 'country'
         WHEN province_only THEN 'admin1' ELSE 'point' END AS geo_precision,
    CASE WHEN kind[1] = 'ASSAULT' THEN {toll} END AS fatalities,
    position
FROM g
"""


def _events_select(slots: str, prefix: str) -> str:
    return _EVENTS.format(
        slots=slots,
        per_block=EVENTS_PER_ARTICLE,
        kind=_KIND.format(k="k"),
        k=_draw("incident", "kind", 10),
        town=_draw("incident", "town", TOWNS_PER_COUNTRY),
        second=f"article % {REPORTS_PER_INCIDENT} = 1",
        province_only=f"{_draw('incident', 'precision', PROVINCE_ONLY_EVERY)} = 0",
        country=_country("block"),
        countries=_sql_list(COUNTRIES),
        event_id=_event_id("slot", prefix),
        article_id=_article_id("article", prefix),
        actor=_draw("incident", "actor", ACTORS_PER_COUNTRY),
        provinces=PROVINCES_PER_COUNTRY,
        toll=_draw("incident", "toll", 30),
        grid=_GRID,
    )


def _history_slots(n: int, days: int, start: int = 0) -> str:
    """Slots 0..n-1 of the history: incidents in blocks, days spread evenly over `days`
    (a block's two articles report its incidents on their day)."""
    day = f"((range // {_BLOCK}) * {_BLOCK} * {days}) // {max(n, 1)}"
    return (
        f"SELECT range AS slot, range // {EVENTS_PER_ARTICLE} AS article,"
        f" range % {EVENTS_PER_ARTICLE} AS position,"
        f" (range // {_BLOCK}) * {EVENTS_PER_ARTICLE} + range % {EVENTS_PER_ARTICLE} AS incident,"
        f" {day} AS day_offset, {day} AS published_offset FROM range({start}, {n})"
    )


def history_incidents(n: int) -> int:
    """How many incidents a history of `n` events holds (numbered from 0)."""
    return -(-n // _BLOCK) * EVENTS_PER_ARTICLE


def _batch_slots(n_new: int, history: int, days: int) -> str:
    """The new batch's slots, numbered after the history's, its articles published the day
    after the history's last: one event in JOIN_EVERY reports one of the history's
    incidents of its last RECENT_DAYS days (on that incident's day), the others new
    incidents of that day."""
    incidents = history_incidents(history)
    recent = max(1, (history * RECENT_DAYS) // max(days, 1) // REPORTS_PER_INCIDENT)
    first_recent = max(0, incidents - recent)
    new_incident = (
        f"{incidents} + (range // {_BLOCK}) * {EVENTS_PER_ARTICLE} + range % {EVENTS_PER_ARTICLE}"
    )
    joins = f"{_draw('range', 'join', JOIN_EVERY)} = 0 AND {history} > 0"
    old_incident = f"{first_recent} + {_draw('range', 'which', max(1, incidents - first_recent))}"
    # A report of a stored incident gives its day (see _history_slots), a new one today's.
    old_day = f"(({old_incident}) // {EVENTS_PER_ARTICLE} * {_BLOCK} * {days}) // {max(history, 1)}"
    return (
        f"SELECT {history} + range AS slot,"
        f" {history // EVENTS_PER_ARTICLE + 1} + range // {EVENTS_PER_ARTICLE} AS article,"
        f" range % {EVENTS_PER_ARTICLE} AS position,"
        f" CASE WHEN {joins} THEN {old_incident} ELSE {new_incident} END AS incident,"
        f" CASE WHEN {joins} THEN {old_day} ELSE {days} END AS day_offset,"
        f" {days} AS published_offset FROM range({n_new})"
    )


def _write_events(
    con: duckdb.DuckDBPyConnection,
    slots: str,
    first_day: date,
    run_id: str,
    at: datetime | None,
    prefix: str,
    link: bool,
) -> None:
    """Articles, codings and events of the slots (and, with `link`, their incident links),
    stamped `at`, as one batch is; or, with `at` None, as a history stored an hour after
    each article's publication, the rows of each article stamped alike (as the writer
    stamps a batch's rows), so each table's rows lie in time order."""
    first = f"DATE '{first_day.isoformat()}'"
    published = (
        f"({first} + published_offset::INTEGER + INTERVAL 1 DAY * (article % 2)"
        " + INTERVAL 9 HOUR)::TIMESTAMPTZ"
    )
    stamp = "?::TIMESTAMPTZ" if at else f"{published} + INTERVAL 1 HOUR"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE synthetic_events AS SELECT *,"
        f" {first} + day_offset::INTEGER AS day, {published} AS published, {stamp} AS stamp"
        f" FROM ({_events_select(slots, prefix)})",
        [at] if at else [],
    )
    con.execute(
        "INSERT INTO articles (article_id, source_kind, source, title, published_at, text,"
        " content_sha256, language, site_name, run_id, loaded_at)"
        " SELECT article_id, 'file', 'bench://' || article_id, 'Synthetic report ' || article,"
        " published, 'Synthetic article ' || article, md5(article_id), 'en',"
        f" 'Outlet ' || {_draw('article', 'outlet', OUTLETS)}, ?, stamp"
        " FROM synthetic_events WHERE position = 0 ORDER BY slot",
        [run_id],
    )
    con.execute(
        "INSERT INTO codings (article_id, extractor_version, run_id, events, coded_at)"
        f" SELECT article_id, '{SYNTHETIC_VERSION}', ?, count(*), min(stamp)"
        " FROM synthetic_events GROUP BY article_id ORDER BY min(slot)",
        [run_id],
    )
    con.execute(
        "INSERT INTO events (event_id, article_id, run_id, event_type, acled_event_type,"
        " acled_sub_event_type, actor1, actor1_country, country, admin1, location, latitude,"
        " longitude, geo_precision, event_date, date_precision, fatalities, char_start,"
        " extractor_version, loaded_at)"
        " SELECT event_id, article_id, ?, event_type, acled_event_type, acled_sub_event_type,"
        " actor1, actor1_country, country, admin1, location, latitude, longitude,"
        f" geo_precision, day, 'day', fatalities, position * 100, '{SYNTHETIC_VERSION}', stamp"
        " FROM synthetic_events ORDER BY slot",
        [run_id],
    )
    if link:
        # Each incident's id is its first report's, as the linker names a new incident.
        founder = _event_id(
            f"(incident // {EVENTS_PER_ARTICLE}) * {_BLOCK} + incident % {EVENTS_PER_ARTICLE}",
            prefix,
        )
        con.execute(
            "INSERT INTO incident_links (event_id, incident_id, run_id, linked_at, reason)"
            f" SELECT event_id, 'inc-' || left({founder}, 24), ?, stamp,"
            f" CASE WHEN slot % {_BLOCK} < {EVENTS_PER_ARTICLE} THEN 'new' ELSE 'synthetic' END"
            " FROM synthetic_events ORDER BY slot",
            [run_id],
        )
    con.execute("DROP TABLE synthetic_events")


def _record_run(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime, events: int) -> None:
    con.execute(
        "INSERT INTO runs (run_id, flow_name, started_at, finished_at, status, events_stored)"
        " VALUES (?, 'bench-synthetic', ?, ?, 'completed', ?) ON CONFLICT DO NOTHING",
        [run_id, at, at, events],
    )


def write_history(
    con: duckdb.DuckDBPyConnection,
    n: int,
    days: int,
    first_day: date,
    run_id: str = "bench-history",
    prefix: str = "bench",
    last: int | None = None,
) -> None:
    """`n` current events over `days` days from `first_day`, linked to their incidents;
    with `last`, only the last that many of them (a shorter history ending alike)."""
    at = datetime.now(UTC)
    start = 0 if last is None else max(0, n - last - (n - last) % _BLOCK)
    con.execute("BEGIN TRANSACTION")
    _record_run(con, run_id, at, n - start)
    slots = _history_slots(n, days, start)
    _write_events(con, slots, first_day, run_id, None, prefix, link=True)
    con.execute("COMMIT")


def write_new_batch(
    con: duckdb.DuckDBPyConnection,
    n_new: int,
    history: int,
    days: int,
    first_day: date,
    run_id: str,
    at: datetime,
    prefix: str = "bench",
) -> list[str]:
    """A batch of `n_new` events published the day after a history of `history` events
    over `days` days ends (whether or not the history is stored), stamped `at`, not
    linked; in the caller's transaction. Returns the new events' ids in the order a
    batch hands them to the linker."""
    _record_run(con, run_id, at, n_new)
    _write_events(con, _batch_slots(n_new, history, days), first_day, run_id, at, prefix, False)
    rows = con.execute(
        "SELECT event_id FROM events WHERE loaded_at = ? AND run_id = ?"
        " ORDER BY article_id, char_start",
        [at, run_id],
    ).fetchall()
    return [r[0] for r in rows]


def build_history(
    db: str | Path, n: int, days: int, first_day: date, last: int | None = None
) -> None:
    """A warehouse at `db` holding a history of `n` events, or its `last` ones
    (`write_history`)."""
    with connect(db) as con:
        if n and last != 0:
            write_history(con, n, days, first_day, last=last)


@contextmanager
def trial_batch(
    db: str | Path, n_new: int, history: int, days: int, first_day: date
) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[str], datetime]]:
    """A writer's connection to `db` inside an open transaction holding a new batch
    (`write_new_batch`): the connection, the new events' ids and their stamp, as the
    writer holds them when it links. Rolled back on exit: `db` is left as it was."""
    with connect(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            at = datetime.now(UTC)
            ids = write_new_batch(con, n_new, history, days, first_day, "bench-batch", at)
            yield con, ids, at
        finally:
            con.execute("ROLLBACK")


def write_signatures(
    con: duckdb.DuckDBPyConnection,
    n: int,
    tag: str,
    bands: int,
    hex_digits: int,
    num_perm: int,
    planted: Sequence[tuple[str, Sequence[int], Sequence[str]]] = (),
    run_id: str = "bench-signatures",
) -> None:
    """Signatures and band keys of `n` stored articles, shaped as `tasks/neardup.py`
    stores them (`num_perm` values; keys of `tag`, band number and `hex_digits` hex
    digits), but drawn at random, keys apart from values: what is timed is finding the
    stored articles that share a key, not comparing their signatures. `planted` adds
    real ones: (article id, signature, band keys)."""
    con.execute("BEGIN TRANSACTION")
    if planted:
        minhash = pa.table(  # noqa: F841  (read by DuckDB's replacement scan)
            {
                "article_id": pa.array([p[0] for p in planted], pa.string()),
                "minhash": pa.array([list(p[1]) for p in planted], pa.list_(pa.uint32())),
            }
        )
        keys = pa.table(  # noqa: F841
            {
                "band": pa.array([b for p in planted for b in p[2]], pa.string()),
                "article_id": pa.array([p[0] for p in planted for _ in p[2]], pa.string()),
            }
        )
        con.execute(
            "INSERT INTO article_minhash SELECT article_id, minhash, ? FROM minhash", [run_id]
        )
        con.execute("INSERT INTO article_bands SELECT band, article_id, ? FROM keys", [run_id])
    value = f"((range * 2654435761 + p * 40503) % {1 << 32})::UINTEGER"
    con.execute(
        "INSERT INTO article_minhash (article_id, minhash, run_id)"
        f" SELECT md5('sig-article-' || range),"
        f" list_transform(range({num_perm}), lambda p: {value}), ? FROM range({n})",
        [run_id],
    )
    digits = f"left(md5(article_id || '/' || b) || md5(b || '/' || article_id), {hex_digits})"
    con.execute(
        "INSERT INTO article_bands (band, article_id, run_id)"
        f" SELECT '{tag}:' || lpad(b::VARCHAR, 2, '0') || ':' || {digits}, article_id, ?"
        f" FROM article_minhash, range({bands}) t(b) WHERE run_id = ?",
        [run_id, run_id],
    )
    con.execute("COMMIT")


def build_signatures(
    db: str | Path,
    n: int,
    tag: str,
    bands: int,
    hex_digits: int,
    num_perm: int,
    planted: Sequence[tuple[str, Sequence[int], Sequence[str]]] = (),
) -> None:
    """A warehouse at `db` holding `n` articles' signatures (`write_signatures`)."""
    with connect(db) as con:
        write_signatures(con, n, tag, bands, hex_digits, num_perm, planted)
