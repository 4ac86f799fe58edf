"""GDELT 2.0 exports: the 61-column events table and the mentions table, tab-separated
with no header (as GDELT ships them; `header=True` adds one line of column names).

Fields we cannot fill are empty, as GDELT leaves them: ethnic, religious and known-group
codes, ADM2 codes, AvgTone and MentionDocTone (we compute no tone; GDELT always fills
these two), translation info. Each incident (or event) without a day or a CAMEO code is
left out and counted: GDELT has no row without SQLDATE and EventCode.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from warehouse.formats import cameo
from warehouse.formats.rows import Row, Unit, main_report, read_units
from warehouse.formats.selection import Selection, Written
from warehouse.formats.units import evidence_offset, place_precision, sentence_number

# GDELT 2.0 Event Database, in file order (GDELT Event Codebook V2.0; the same 61 names as
# tests/fixtures/formats/gdelt_events_columns.txt).
_ACTOR = [
    "Code",
    "Name",
    "CountryCode",
    "KnownGroupCode",
    "EthnicCode",
    "Religion1Code",
    "Religion2Code",
    "Type1Code",
    "Type2Code",
    "Type3Code",
]
_GEO = ["Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID"]
EVENT_COLUMNS: tuple[str, ...] = (
    *["GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"],
    *(f"Actor1{f}" for f in _ACTOR),
    *(f"Actor2{f}" for f in _ACTOR),
    *["IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale"],
    *["NumMentions", "NumSources", "NumArticles", "AvgTone"],
    *(f"{who}Geo_{f}" for who in ("Actor1", "Actor2", "Action") for f in _GEO),
    "DATEADDED",
    "SOURCEURL",
)
# GDELT 2.0 Mentions table, in file order.
MENTION_COLUMNS: tuple[str, ...] = tuple(
    [
        "GLOBALEVENTID",
        "EventTimeDate",
        "MentionTimeDate",
        "MentionType",
        "MentionSourceName",
        "MentionIdentifier",
        "SentenceID",
        "Actor1CharOffset",
        "Actor2CharOffset",
        "ActionCharOffset",
        "InRawText",
        "Confidence",
        "MentionDocLen",
        "MentionDocTone",
        "MentionDocTranslationInfo",
        "Extras",
    ]
)

# GDELT's geographic resolutions (ActionGeo_Type).
GEO_NONE, GEO_COUNTRY, GEO_US_STATE, GEO_US_CITY, GEO_WORLD_CITY, GEO_WORLD_STATE = range(6)
# MentionType: 1 = WEB (a URL); 2 = CITATIONONLY, GDELT's code for a document known by a
# textual citation only: our local files, cited by their path.
MENTION_WEB, MENTION_CITATION = 1, 2
# GLOBALEVENTID: this many bits of the SHA-256 of our id. 62 bits fit a signed int64 and
# make a collision among ten million ids about one in a hundred thousand.
ID_BITS = 62

Cell = str | int | float | None


def global_event_id(key: str) -> int:
    """A positive int64 for an incident or event id, the same in every export."""
    digest = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16)
    return (digest >> (64 - ID_BITS)) + 1


def _ts(moment: datetime | date | None) -> str:
    """YYYYMMDDHHMMSS (a day alone is its midnight)."""
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return moment.strftime("%Y%m%d%H%M%S")


def fraction_date(day: date) -> float:
    """GDELT's FractionDate: YYYY + ((month - 1) * 30 + day) / 365, to 4 decimals. (Its
    codebook writes MONTH * 30; the files it ships count from month - 1, e.g. 2007-07-04
    is 2007.5041.)"""
    return round(day.year + ((day.month - 1) * 30 + day.day) / 365, 4)


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    # GDELT's files hold no quoting: a tab or line break inside a field becomes a space.
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _line(cells: Iterable[Cell]) -> str:
    return "\t".join(_cell(c) for c in cells) + "\n"


def _actor(row: Row, n: int) -> list[Cell]:
    """Actor<n>Code ... Actor<n>Type3Code: CAMEO's country + sector code, the actor's
    canonical name (else the text's), ISO alpha-3 country, sector as Type1Code."""
    name = row.get(f"actor{n}_canonical") or row.get(f"actor{n}")
    if not name:
        return [None] * len(_ACTOR)
    iso3 = row.get(f"actor{n}_country") or ""
    role = cameo.sector(row.get(f"actor{n}_type"), row.get(f"actor{n}"))
    code = (iso3 + role) or None
    return [code, name, iso3 or None, None, None, None, None, role or None, None, None]


def action_geo(unit: Unit) -> list[Cell]:
    """ActionGeo_Type ... ActionGeo_FeatureID. FIPS 10-4 country codes; ADM1Code is the
    FIPS country code (we keep no FIPS admin1 codes); FeatureID is the FIPS code for a
    country, as GDELT writes it, and empty otherwise (we keep no GNS or GeoNames ids)."""
    row = unit.row
    where = cameo.country(row.get("country"))
    if where is None or not where.fips:
        return [GEO_NONE] + [None] * (len(_GEO) - 1)
    precision = place_precision(unit)
    us = where.iso3 == "USA"
    if precision == "point" and row.get("location"):
        kind = GEO_US_CITY if us else GEO_WORLD_CITY
        parts = [row["location"], row.get("admin1"), where.name]
    elif precision in ("point", "admin1") and row.get("admin1"):
        kind = GEO_US_STATE if us else GEO_WORLD_STATE
        parts = [row["admin1"], where.name]
    else:
        kind, parts = GEO_COUNTRY, [where.name]
    names: list[str] = []
    for part in parts:
        if part and part not in names:
            names.append(str(part))
    feature = where.fips if kind == GEO_COUNTRY else None
    lat, lon = row.get("latitude"), row.get("longitude")
    return [kind, ", ".join(names), where.fips, where.fips, None, lat, lon, feature]


def incident_type(reports: list[Row]) -> str | None:
    """The event type most of an incident's reports give (ties: the earliest report's)."""
    counts = Counter(r["event_type"] for r in reports)
    return max(reports, key=lambda r: counts[r["event_type"]])["event_type"] if reports else None


def is_root(unit: Unit) -> bool:
    """Whether the unit is its incident's main act (an incident always is)."""
    if unit.key == unit.incident_id:
        return True
    main = main_report(unit.siblings, incident_type(unit.siblings))
    return bool(main["event_id"] == unit.main["event_id"])


def date_added(unit: Unit) -> datetime:
    """The latest load of any of the unit's reports (UTC)."""
    return max(r["loaded_at"] for r in unit.reports)


def event_cells(unit: Unit) -> list[Cell]:
    """One events-table row: 61 cells (the caller has checked the day and the code)."""
    row, code = unit.row, str(unit.main["cameo_code"])
    day: date = row["event_date"]
    first = unit.reports[0]
    return [
        global_event_id(unit.key),
        int(day.strftime("%Y%m%d")),
        day.year * 100 + day.month,
        day.year,
        fraction_date(day),
        *_actor(row, 1),
        *_actor(row, 2),
        int(is_root(unit)),
        code,
        cameo.base_code(code),
        cameo.root_code(code),
        cameo.quad_class(code),
        cameo.goldstein(code),
        len(unit.reports),
        len({r["outlet"] for r in unit.reports}),
        len({r["article_id"] for r in unit.reports}),
        None,  # AvgTone: we compute no tone
        GEO_NONE,
        *[None] * (len(_GEO) - 1),
        GEO_NONE,
        *[None] * (len(_GEO) - 1),
        *action_geo(unit),
        _ts(date_added(unit)),
        first["url"] or first["source"],
    ]


def source_name(report: Row) -> str:
    """MentionSourceName: a URL's site (its host, without `www.`), else the outlet."""
    if report["url"]:
        host = urlsplit(str(report["url"])).hostname or ""
        return host.removeprefix("www.") or str(report["outlet"])
    return str(report["outlet"])


def mention_cells(unit: Unit, report: Row) -> list[Cell]:
    """One mentions-table row: a report of the unit. EventTimeDate is the event row's
    DATEADDED, as GDELT's codebook defines it."""
    text = report["text"]
    confidence = report["confidence"]
    actor1, actor2 = evidence_offset(report, "actor1"), evidence_offset(report, "actor2")
    action = evidence_offset(report, "event_type")
    if action is None:
        action = report["char_start"]
    return [
        global_event_id(unit.key),
        _ts(date_added(unit)),
        _ts(report["reported_at"]),
        MENTION_WEB if report["url"] else MENTION_CITATION,
        source_name(report),
        report["url"] or report["source"],
        sentence_number(text, report["char_start"]),
        -1 if actor1 is None else actor1,
        -1 if actor2 is None else actor2,
        -1 if action is None else action,
        1,  # InRawText: the coder reads the article's own text
        None if confidence is None else round(float(confidence) * 100),
        len(text) if text is not None else None,
        None,  # MentionDocTone: we compute no tone
        None,  # MentionDocTranslationInfo: nothing is machine-translated
        None,  # Extras
    ]


def _why_left_out(unit: Unit) -> str | None:
    if unit.row.get("event_date") is None:
        return "no event date"
    if not unit.main.get("cameo_code"):
        return "no CAMEO code"
    return None


def _write(
    db: str | Path,
    selection: Selection,
    out: TextIO,
    header: tuple[str, ...] | None,
    lines: Callable[[Unit], list[list[Cell]]],
) -> Written:
    if header:
        out.write("\t".join(header) + "\n")
    written, left_out = 0, Counter[str]()
    for unit in read_units(db, selection):
        why = _why_left_out(unit)
        if why is not None:
            left_out[why] += 1
            continue
        for cells in lines(unit):
            out.write(_line(cells))
            written += 1
    noun = selection.level
    why_text = "; ".join(f"{n} {noun} with {why}" for why, n in sorted(left_out.items()))
    return Written(written, sum(left_out.values()), why_text)


def write_events(
    db: str | Path, selection: Selection, out: TextIO, header: bool = False
) -> Written:
    """The GDELT 2.0 events table: one row per incident (or per stored event)."""
    return _write(db, selection, out, EVENT_COLUMNS if header else None, _event_lines)


def write_mentions(
    db: str | Path, selection: Selection, out: TextIO, header: bool = False
) -> Written:
    """The GDELT 2.0 mentions table: one row per report of each incident (or event).
    `Written.rows` counts mentions; `left_out` counts incidents (or events)."""
    return _write(db, selection, out, MENTION_COLUMNS if header else None, _mention_lines)


def _event_lines(unit: Unit) -> list[list[Any]]:
    return [event_cells(unit)]


def _mention_lines(unit: Unit) -> list[list[Any]]:
    return [mention_cells(unit, r) for r in unit.reports]
