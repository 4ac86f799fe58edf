"""Link stage: which reports are one incident. Pure functions over report rows.

A report (one coded event, with its article's day and outlet) joins an
incident when it reports the same act: a compatible type, compatible actors
(`tasks/link_actors.py`), the same place at whatever precision each report
gives, and the same day (allowing a day's slack for reports that name one town
and give one sub-type or two of `subtype_groups`, and placing a report that
gives no day by its publication date; two ACLED types of `same_day_groups` only
in one town on one day). Hard negatives stay apart: two towns on one day, one
province on two days, an attack and the retaliation (actors swapped, or a
state's forces and the group they struck back at), a clash and the next day's
attack in one town, two reports from one article (the coder already made those
one event each, rule 1). A report that matches two incidents shows them to be
one: they merge, the older id surviving.

The warehouse calls `plan_links` inside the batch's transaction (see
`warehouse/links.py`), with the candidates of the new reports' window.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from tasks.errors import UsageError
from tasks.extract.text import fold, name_key
from tasks.link_actors import opposed, synonyms
from warehouse.links import LinkPlan

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """The linker's tuned values (changeable in the config file's `[incidents]` table)."""

    # Candidates are current events dated (or, undated, published) within this many
    # days of a new report: outlets file within days of an incident, and a weekly
    # round-up or a later article's background mention within a week.
    window_days: int = 7
    # Dates may differ by this much when two reports name the same town: a report
    # filed the next day that says "on Tuesday" for a late-night attack, an outlet in
    # another time zone. In a province, or between towns, the days must agree.
    date_slack_days: int = 1
    # Two named places closer than this are one place (the village and the town it is
    # "near", a road "between" two towns); further apart they are two incidents.
    near_km: float = 25.0
    # A report that gives no day (background in a later article) may join an
    # incident dated at most this many days before its publication.
    undated_days: int = 7
    # ACLED sub-types that outlets give one act (a clash that "overran" a post, an air
    # strike one outlet calls shelling, a roadside bomb another calls an attack). Two
    # reports in one town a day apart are one incident only with one sub-type or two
    # of one group: in one town on consecutive days a clash and an attack on
    # civilians, a clash and an air strike, a protest and a riot are two incidents
    # (the fight and the reprisal, the march and the next day's clashes). On one day
    # the ACLED family decides (`same_kind`), as outlets name one act differently.
    subtype_groups: tuple[tuple[str, ...], ...] = (
        ("Armed clash", "Non-state actor overtakes territory", "Government regains territory"),
        ("Air/drone strike", "Shelling/artillery/missile attack"),
        ("Attack", "Remote explosive/landmine/IED"),
        (
            "Violent demonstration",
            "Protest with intervention",
            "Excessive force against protesters",
        ),
    )
    # Sub-types of two ACLED families (or two strategic developments) that outlets give
    # one act: party supporters' "clashes" one outlet calls a riot, a gang's attack on
    # a police station another calls its burning. Such reports are one incident only
    # in one town on one day.
    same_day_groups: tuple[tuple[str, ...], ...] = (
        ("Armed clash", "Violent demonstration", "Mob violence"),
        ("Armed clash", "Attack", "Looting/property destruction"),
    )


DEFAULT_SETTINGS = LinkSettings()
# The config file whose `[incidents]` table changes these (default: seeds/feeds.toml).
CONFIG_ENV = "EVENTPIPE_CONFIG"


def load_settings(path: str | os.PathLike[str] | None = None) -> LinkSettings:
    """The linker's settings: the `[incidents]` table of the config file, over the
    defaults. No file or no table: the defaults. A bad value is a usage error."""
    from tasks.fetch.feeds import DEFAULT_CONFIG

    file = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    try:
        stamp = file.stat().st_mtime_ns
    except FileNotFoundError:
        return DEFAULT_SETTINGS
    except OSError as exc:
        raise UsageError(f"cannot read config {file}: {exc}") from exc
    return _settings_of(file, stamp)


@lru_cache(maxsize=8)
def _settings_of(file: Path, stamp: int) -> LinkSettings:
    """The settings of one version of a config file (every batch asks: read it once)."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config {file}: {exc}") from exc
    table = data.get("incidents", {})
    if not isinstance(table, dict):
        raise UsageError(f"{file}: [incidents] must be a table")
    known = {f.name: f.type for f in fields(LinkSettings)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise UsageError(f"{file}: unknown [incidents] setting {key!r}")
        if key in ("subtype_groups", "same_day_groups"):
            values[key] = _groups(file, value)
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or value < 0 or (known[key] == "int" and not isinstance(value, int)):
            raise UsageError(f"{file}: [incidents] {key} must be a non-negative {known[key]}")
        values[key] = value
    return replace(DEFAULT_SETTINGS, **values)


def _groups(file: Path, value: Any) -> tuple[tuple[str, ...], ...]:
    """`subtype_groups` as the config gives it: a list of lists of sub-type names."""
    ok = isinstance(value, list) and all(
        isinstance(g, list) and all(isinstance(x, str) for x in g) for g in value
    )
    if not ok:
        raise UsageError(f"{file}: [incidents] groups of sub-types must be lists of names")
    return tuple(tuple(g) for g in value)


def subtypes_agree(a: Row, b: Row, s: LinkSettings) -> bool:
    """One ACLED sub-type, or two of one of `subtype_groups` (absent: nothing contradicts)."""
    x, y = a.get("acled_sub_event_type"), b.get("acled_sub_event_type")
    if not x or not y or x == y:
        return True
    return any(x in group and y in group for group in s.subtype_groups)


# ACLED event types reported of one incident under different names by different
# outlets ("an attack" in one, "clashes" in another, "a roadside bomb" in a third).
_FAMILY = {
    "Battles": "violence",
    "Violence against civilians": "violence",
    "Explosions/Remote violence": "violence",
    "Protests": "demonstration",
    "Riots": "demonstration",
}
_PRECISION = {"point": 3, "admin1": 2, "country": 1}


# Names (actors, places) repeat across a batch's reports and their candidates: one
# group or town reported many times. Their normal forms, and whether two name one
# actor, are computed once per name (or pair) and kept: a batch linked into a full
# warehouse compares each name with hundreds of others. Entries per cache; a long
# run's names come and go, the last ones stay.
NAME_CACHE_SIZE = 1 << 16


def _key(value: Any) -> str:
    return _name_key(value) if isinstance(value, str) else ""


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _name_key(value: str) -> str:
    return name_key(value)


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _km(a: Row, b: Row) -> float | None:
    coords = (a.get("latitude"), a.get("longitude"), b.get("latitude"), b.get("longitude"))
    if any(c is None for c in coords):
        return None
    lat1, lon1, lat2, lon2 = (math.radians(float(c)) for c in coords)  # type: ignore[arg-type]
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def physical(r: Row) -> bool:
    """An event with a place of action (ACLED-coded); verbal acts have none that matters."""
    return r.get("acled_event_type") is not None


def same_kind(a: Row, b: Row) -> bool:
    """The same act: one ACLED family (and sub-type among strategic developments), or,
    for verbal acts, one PLOVER type."""
    if physical(a) != physical(b):
        return False
    if not physical(a):
        return bool(a.get("event_type") == b.get("event_type"))
    fa = _FAMILY.get(a["acled_event_type"], a["acled_event_type"])
    fb = _FAMILY.get(b["acled_event_type"], b["acled_event_type"])
    if fa != fb:
        return False
    if fa == "Strategic developments":
        return bool(a.get("acled_sub_event_type") == b.get("acled_sub_event_type"))
    return True


def cross_kind(a: Row, b: Row, s: LinkSettings) -> bool:
    """Not `same_kind`, but two sub-types of one of `same_day_groups` (one act that
    outlets give two ACLED types, joined only in one town on one day)."""
    x, y = a.get("acled_sub_event_type"), b.get("acled_sub_event_type")
    return bool(x and y and x != y) and any(x in g and y in g for g in s.same_day_groups)


def partners(sub: Any, s: LinkSettings) -> set[str]:
    """The sub-types `cross_kind` may join with `sub`."""
    return {x for g in s.same_day_groups if sub in g for x in g if x != sub}


def place_agreement(a: Row, b: Row, s: LinkSettings) -> str | None:
    """How well two places agree ('town', 'province', 'country'), or None when they
    contradict (two towns apart, two provinces)."""
    if a.get("country") != b.get("country"):
        return None
    pa_, pb = (
        _PRECISION.get(a.get("geo_precision") or "", 0),
        _PRECISION.get(b.get("geo_precision") or "", 0),
    )
    if pa_ == 3 and pb == 3:
        if _key(a.get("location")) == _key(b.get("location")):
            return "town"
        km = _km(a, b)
        return "town" if km is not None and km <= s.near_km else None
    admin_a, admin_b = _key(a.get("admin1")), _key(b.get("admin1"))
    if min(pa_, pb) >= 2:
        return "province" if admin_a and admin_a == admin_b else None
    return "country"


# Two reports' towns closer than this are one town (two spellings, a quarter of it, a
# village at its edge): only then may their days differ by the day's slack. Between
# towns `near_km` apart (a village and the town it is "near") the days must agree:
# attacks on neighbouring villages on consecutive days are two incidents.
SAME_TOWN_KM = 5.0


def one_town(a: Row, b: Row) -> bool:
    """Both reports name a town, and it is one town (one name, or within SAME_TOWN_KM)."""
    if not (_at_town(a) and _at_town(b)):
        return False
    if _key(a.get("location")) == _key(b.get("location")):
        return True
    km = _km(a, b)
    return km is not None and km <= SAME_TOWN_KM


def swapped(a: Row, b: Row) -> bool:
    """b's actors are a's the other way round: a retaliation, not the same act."""
    a1, a2 = a.get("actor1_country"), a.get("actor2_country")
    return bool(
        a1 and a2 and a1 != a2 and b.get("actor1_country") == a2 and b.get("actor2_country") == a1
    )


# Words that say nothing about who an actor is.
_NAME_STOPWORDS = frozenset({"the", "of", "in", "for", "and", "a", "an", "s"})
# Two names sharing this share of their words (or one's words all in the other's) name
# one actor: "UN human rights monitors in Ukraine" and "UN Human Rights Monitoring
# Mission in Ukraine", "EU" and "EU foreign policy spokesperson".
NAME_OVERLAP = 0.5


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _words(name: str) -> frozenset[str]:
    return frozenset(w for w in fold(name).split() if w not in _NAME_STOPWORDS)


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _initials(name: str) -> str:
    return "".join(w[0] for w in name.replace("-", " ").split() if w[:1].isupper())


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _acronyms(name: str) -> frozenset[str]:
    return frozenset(
        w.strip("()") for w in name.split() if len(w.strip("()")) >= 2 and w.strip("()").isupper()
    )


def same_name(x: Any, y: Any) -> bool:
    """One actor's name as two outlets give it: the same letters, an acronym of the
    other ("EU" in "EU foreign policy spokesperson" and "European Union"), or mostly
    the same words."""
    if not isinstance(x, str) or not isinstance(y, str):
        return False
    return _same_name(x, y)


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _same_name(x: str, y: str) -> bool:
    kx, ky = _key(x), _key(y)
    if not kx or not ky:
        return False
    if kx == ky:
        return True
    sx, sy = str(x), str(y)
    if _initials(sy) in _acronyms(sx) or _initials(sx) in _acronyms(sy):
        return True
    wx, wy = _words(sx), _words(sy)
    if not wx or not wy:
        return False
    return wx <= wy or wy <= wx or len(wx & wy) / len(wx | wy) >= NAME_OVERLAP


def same_actor(a: Row, b: Row, side: str = "actor1") -> bool:
    """One actor in two reports: by their canonical names when both carry one (the
    coder's one name per actor, "Military Forces of Afghanistan (2021-)" for "Taliban"
    and "Afghan forces" alike), else by the names the texts give (`same_name`)."""
    ca, cb = a.get(f"{side}_canonical"), b.get(f"{side}_canonical")
    if isinstance(ca, str) and isinstance(cb, str) and ca and cb:
        if fold(ca) == fold(cb) or synonyms(ca, cb):
            return True
        # Different canonical names: one the coder knows (a dictionary name) names
        # another actor. A group it has no name for keeps the text's wording ("UN
        # mission in Iraq (UNAMI)", "UN Assistance Mission for Iraq (UNAMI)"): two such
        # wordings are compared as texts, unless the actors' countries differ.
        ka, kb = a.get(f"{side}_country"), b.get(f"{side}_country")
        own = _own_wording(ca, a.get(side)) and _own_wording(cb, b.get(side))
        if not own or (ka and kb and ka != kb):
            return False
    return same_name(a.get(side), b.get(side))


def _own_wording(canonical: str, text: Any) -> bool:
    """The canonical name is the text's own wording (the coder knew no other name)."""
    if not isinstance(text, str):
        return False
    bare = text[4:] if text[:4].lower() == "the " else text
    return _key(canonical) == _key(bare)


def actors_agree(a: Row, b: Row) -> bool:
    """The same first actor: one name (or synonyms, `tasks/link_actors.py`), or one
    country when the names differ (outlets name a force differently), unless the
    canonical names are opposed (a state's forces and a named armed group: an attack
    and the reprisal, one country's two sides) and not one clash told from either
    side; absent on either side, nothing contradicts."""
    if not _key(a.get("actor1")) or not _key(b.get("actor1")):
        return True
    if same_actor(a, b):
        return True
    if opposed(a.get("actor1_canonical"), b.get("actor1_canonical")) and not _reversed(a, b):
        return False
    ca, cb = a.get("actor1_country"), b.get("actor1_country")
    return bool(ca and ca == cb)


def _reversed(a: Row, b: Row) -> bool:
    """One clash told from either side: on one day, b's first actor is a's second, or
    a's is b's. (The army's strike on the group that attacked it the day before is the
    reprisal, not the attack told from the other side.)"""
    if _day(a.get("event_date")) != _day(b.get("event_date")):
        return False

    def second(r: Row) -> Row:
        return {"actor1": r.get("actor2"), "actor1_canonical": r.get("actor2_canonical")}

    return same_actor(a, second(b)) or same_actor(b, second(a))


def dates_agree(a: Row, b: Row, strong_place: bool, s: LinkSettings) -> str | None:
    """'same day', 'next day' (only with a strong place), 'undated', or None."""
    da, db = _day(a.get("event_date")), _day(b.get("event_date"))
    if da and db:
        gap = abs((da - db).days)
        if gap == 0:
            return "same day"
        return "next day" if strong_place and gap <= s.date_slack_days else None
    if not strong_place:
        return None
    dated, undated = (a, b) if da else (b, a)
    day, published = _day(dated.get("event_date")), _day(undated.get("published_at"))
    if day is None or published is None:
        pa_, pb = _day(a.get("published_at")), _day(b.get("published_at"))
        return "undated" if pa_ and pb and abs((pa_ - pb).days) <= s.date_slack_days else None
    return "undated" if 0 <= (published - day).days <= s.undated_days else None


# How much each kind of agreement counts when a report matches several incidents:
# the one it agrees with best is its incident (a town over a province over a
# country, the same day over the next, the same sub-type, actor and toll).
_PLACE_SCORE = {"town": 3, "province": 2, "country": 1}
_DATE_SCORE = {"same day": 2, "next day": 1, "undated": 1}
# A match at least this good (a province on the same day) shows two incidents to be
# one; a weaker one joins the best incident but merges nothing.
MERGE_SCORE = 4
# The score of a loose match (`loose_relation`): it joins, never merges.
LOOSE_SCORE = 1


def relation(a: Row, b: Row, s: LinkSettings = DEFAULT_SETTINGS) -> tuple[int, str] | None:
    """How strongly, and why (the fields that agreed), two reports are one incident."""
    if a.get("article_id") == b.get("article_id"):
        return None
    cross = not same_kind(a, b)
    if cross and not (physical(a) and physical(b) and cross_kind(a, b, s)):
        return None
    if swapped(a, b) or not actors_agree(a, b):
        return None
    bonus = int(same_actor(a, b))
    bonus += int(a.get("acled_sub_event_type") == b.get("acled_sub_event_type"))
    bonus += int(bool(a.get("fatalities")) and a.get("fatalities") == b.get("fatalities"))
    if physical(a):
        place = place_agreement(a, b, s)
        if place is None:
            return None
        when = dates_agree(a, b, place == "town" and one_town(a, b), s)
        if when == "next day" and not subtypes_agree(a, b, s):
            return None
        if cross and not (when == "same day" and place == "town" and one_town(a, b)):
            return None
        if when is None or (place == "country" and when != "same day"):
            return None
        where = f"{place} {a.get('location') or a.get('admin1') or a.get('country')}"
        score = _PLACE_SCORE[place] + _DATE_SCORE[when] + bonus
        return score, f"{a.get('acled_event_type')}, {where}, {when}"
    same_target = not a.get("actor2_country") or not b.get("actor2_country")
    same_target = same_target or a.get("actor2_country") == b.get("actor2_country")
    one_actor = same_actor(a, b) or bool(
        a.get("actor1_country") and a.get("actor1_country") == b.get("actor1_country")
    )
    if not (one_actor and same_target):
        return None
    when = dates_agree(a, b, True, s)
    if when is None:
        return None
    score = 2 + _DATE_SCORE[when] + bonus
    return score, f"{a.get('event_type')} by {a.get('actor1') or a.get('actor1_country')}, {when}"


def loose_relation(a: Row, b: Row, s: LinkSettings = DEFAULT_SETTINGS) -> str | None:
    """Why two reports of an act with a place may be one incident although `relation`
    cannot say so: one of them gives only the country (no province, no town), or gives
    no day, and nothing contradicts (same kind, actors that agree, dates within
    `date_slack_days`, or an undated report published within `undated_days` of the
    other's day). Such a report joins an incident only when it is the one incident
    it could join (`plan_links`): with two, it is ambiguous and stays apart."""
    if not physical(a) or a.get("article_id") == b.get("article_id") or not same_kind(a, b):
        return None
    if swapped(a, b) or not actors_agree(a, b):
        return None
    place = place_agreement(a, b, s)
    if place is None:
        return None
    da, db = _day(a.get("event_date")), _day(b.get("event_date"))
    if da and db:
        if place != "country" or abs((da - db).days) > s.date_slack_days:
            return None
        when = "a day apart"
    else:
        dated, undated = (a, b) if da else (b, a)
        day, published = _day(dated.get("event_date")), _day(undated.get("published_at"))
        if day is None or published is None or not 0 <= (published - day).days <= s.undated_days:
            return None
        when = "undated"
    where = a.get("location") or a.get("admin1") or a.get("country")
    return f"{a.get('acled_event_type')}, {place} {where}, {when}, the only one near"


def conflicts(a: Row, b: Row, s: LinkSettings = DEFAULT_SETTINGS) -> bool:
    """Two reports that cannot be of one incident (so their incidents never merge)."""
    if a.get("article_id") == b.get("article_id") or swapped(a, b):
        return True
    if physical(a) and physical(b) and place_agreement(a, b, s) is None:
        return True
    da, db = _day(a.get("event_date")), _day(b.get("event_date"))
    return bool(da and db and abs((da - db).days) > s.date_slack_days)


def incident_id_for(report: Row) -> str:
    """A new incident's id: stable, from the event that founded it."""
    return "inc-" + str(report["event_id"])[:24]


def plan_links(
    new: list[Row], candidates: Iterable[Row], s: LinkSettings = DEFAULT_SETTINGS
) -> LinkPlan:
    """Each new report's incident, and the incidents that a report shows to be one.

    `candidates` carry their current `incident_id`, oldest first; new reports are
    taken in the same order, so the outcome does not depend on batching. A report is
    weighed against the incidents that hold a report of its kind (and, for acts with
    a place, its country) within `date_slack_days` of its day (`_Reach`), not against
    every candidate: only those can be its incident, and the cost of a batch then
    grows with the reports near each of its own, not with the window's size.
    """
    incidents: dict[str, list[Row]] = {}
    earlier: dict[str, list[Row]] = {}  # an article's events of its earlier codings
    reach = _Reach(s)
    for row in candidates:
        if row.get("predecessor"):
            earlier.setdefault(row["article_id"], []).append(row)
        else:
            reach.open(row["incident_id"], incidents)
            incidents[row["incident_id"]].append(row)
            reach.add(row, row["incident_id"])
    merged_into: dict[str, str] = {}
    plan = LinkPlan()
    for report in new:
        inherited = _inherit(report, earlier.get(report["article_id"], []), s)
        matches = _matches(report, incidents, reach, s) if inherited is None else [inherited]
        if matches and matches[0][1] not in incidents:
            reach.open(matches[0][1], incidents)  # an incident known only by its earlier coding
        if not matches:
            incident_id, reason = incident_id_for(report), "new"
            reach.open(incident_id, incidents)
        else:
            _, incident_id, reason = matches[0]
            for score, other, why in matches[1:]:
                if score >= MERGE_SCORE and _can_merge(incidents[incident_id], incidents[other], s):
                    moved = incidents.pop(other)
                    incidents[incident_id].extend(moved)
                    reach.move(moved, incident_id)
                    merged_into[other] = incident_id
                    plan.merges.append(
                        {"incident_id": other, "merged_into": incident_id, "reason": why}
                    )
        member = {**report, "incident_id": incident_id}
        incidents[incident_id].append(member)
        reach.add(member, incident_id)
        plan.links.append(
            {"event_id": report["event_id"], "incident_id": incident_id, "reason": reason}
        )
    # A link made before its incident merged away in this batch points at the survivor.
    for link in plan.links:
        while link["incident_id"] in merged_into:
            link["incident_id"] = merged_into[link["incident_id"]]
    return plan


def _kind_key(r: Row) -> tuple[Any, ...]:
    """What `same_kind` compares, and for acts with a place their country (which
    `place_agreement` requires): reports with other keys are never one incident."""
    if not physical(r):
        return ("verbal", r.get("event_type"))
    family = _FAMILY.get(r["acled_event_type"], r["acled_event_type"])
    sub = r.get("acled_sub_event_type") if family == "Strategic developments" else None
    return ("physical", family, sub, r.get("country"))


# Kilometres per degree of latitude (the linker's sphere, radius 6371 km): two places
# within `near_km` lie within near_km / KM_PER_DEGREE degrees of latitude of each other.
KM_PER_DEGREE = 2 * math.pi * 6371.0 / 360


class _Places:
    """The reports of one kind key and day, by where they happened. A report at a town
    (`point`) agrees only with one that names no town (a province, a country, no
    place), names the same town, or lies within `near_km` of it, so within a band of
    latitude either side (`place_agreement`): the others are never looked at."""

    __slots__ = ("all", "band_degrees", "bands", "coarse", "named")

    def __init__(self, band_degrees: float) -> None:
        self.band_degrees = band_degrees
        self.all: list[Row] = []
        self.coarse: list[Row] = []  # no town: compared with every report
        self.named: dict[str, list[Row]] = {}  # at a town, by its name
        self.bands: dict[int, list[Row]] = {}  # at a town with coordinates, by latitude

    def add(self, row: Row) -> None:
        self.all.append(row)
        if not _at_town(row):
            self.coarse.append(row)
            return
        self.named.setdefault(_key(row.get("location")), []).append(row)
        if (band := self._band(row)) is not None:
            self.bands.setdefault(band, []).append(row)

    def near(self, report: Row) -> list[Row]:
        """The reports here whose place may agree with `report`'s."""
        if not _at_town(report):
            return self.all
        found = self.coarse + self.named.get(_key(report.get("location")), [])
        if (band := self._band(report)) is not None:
            for b in (band - 1, band, band + 1):
                found += self.bands.get(b, ())
        return found

    def _band(self, row: Row) -> int | None:
        lat, lon = row.get("latitude"), row.get("longitude")
        if lat is None or lon is None:
            return None
        return math.floor(float(lat) / self.band_degrees)


def _at_town(r: Row) -> bool:
    return physical(r) and _PRECISION.get(r.get("geo_precision") or "", 0) == 3


class _Reach:
    """Which incidents a report could join: the reports held so far, by kind key, day and
    place (`_Places`), each with the incident it is in now, and each incident's rank
    (its age, which breaks ties as the order of `plan_links`'s incidents does)."""

    def __init__(self, s: LinkSettings) -> None:
        self.slack = s.date_slack_days
        # A band of latitude a little wider than near_km (a kilometre more): rounding
        # can never put two places near_km apart two bands apart.
        self.band_degrees = (s.near_km + 1.0) / KM_PER_DEGREE
        self.days: dict[tuple[Any, ...], dict[date | None, _Places]] = {}
        # Reports by sub-type, country and day, for `cross_kind` (one town, one day).
        self.settings = s
        self.subs: dict[tuple[Any, ...], _Places] = {}
        self.owner: dict[int, str] = {}  # id() of a held report -> its incident now
        self.rank: dict[str, int] = {}
        self.opened = 0

    def open(self, incident_id: str, incidents: dict[str, list[Row]]) -> None:
        """Start an incident (or another life of one merged away) at the end of the order."""
        if incident_id not in incidents:
            incidents[incident_id] = []
            self.rank[incident_id] = self.opened
            self.opened += 1

    def add(self, row: Row, incident_id: str) -> None:
        self.owner[id(row)] = incident_id
        by_day = self.days.setdefault(_kind_key(row), {})
        day = _day(row.get("event_date"))
        if day not in by_day:
            by_day[day] = _Places(self.band_degrees)
        by_day[day].add(row)
        if (
            day is not None
            and physical(row)
            and partners(row.get("acled_sub_event_type"), self.settings)
        ):
            key = (row.get("acled_sub_event_type"), row.get("country"), day)
            self.subs.setdefault(key, _Places(self.band_degrees)).add(row)

    def move(self, rows: list[Row], incident_id: str) -> None:
        for row in rows:
            self.owner[id(row)] = incident_id

    def incidents_near(self, report: Row) -> set[str]:
        """The incidents holding a report `relation` could find related to `report`:
        one of its kind key, dated within the slack of its day or undated (an undated
        report is dated by publication: any day of its key), at a place that may agree."""
        by_day = self.days.get(_kind_key(report), {})
        day = _day(report.get("event_date"))
        if day is None:
            cells = list(by_day.values())
        else:
            days = [
                None,
                *(day + timedelta(days=gap) for gap in range(-self.slack, self.slack + 1)),
            ]
            cells = [by_day[d] for d in days if d in by_day]
            if physical(report):
                for sub in partners(report.get("acled_sub_event_type"), self.settings):
                    if (other := self.subs.get((sub, report.get("country"), day))) is not None:
                        cells.append(other)
        return {self.owner[id(row)] for places in cells for row in places.near(report)}


def _inherit(report: Row, earlier: list[Row], s: LinkSettings) -> tuple[int, str, str] | None:
    """The incident of the earlier coding's event that this re-coded event reports again,
    so an incident keeps its id when its articles are re-coded."""
    best: tuple[int, str, str] | None = None
    for old in earlier:
        found = relation(report, {**old, "article_id": None}, s)
        if found and (best is None or found[0] > best[0]):
            best = (found[0], old["incident_id"], f"re-coded: {found[1]}")
    return best


def _matches(
    report: Row, incidents: dict[str, list[Row]], reach: _Reach, s: LinkSettings
) -> list[tuple[int, str, str]]:
    """The incidents a report could join, best first (ties: the older incident)."""
    found: list[tuple[int, int, str, str]] = []
    near = reach.incidents_near(report)
    for incident_id in near:
        members = incidents[incident_id]
        if any(conflicts(report, m, s) for m in members):
            continue
        scored = [r for m in members if (r := relation(report, m, s))]
        if scored:
            score, reason = max(scored)
            found.append((-score, reach.rank[incident_id], incident_id, reason))
    if not found and physical(report):
        loose = [
            (incident_id, why)
            for incident_id in near
            if not any(conflicts(report, m, s) for m in incidents[incident_id])
            and (
                why := next(
                    (w for m in incidents[incident_id] if (w := loose_relation(report, m, s))), None
                )
            )
        ]
        if len(loose) == 1:
            # LOOSE_SCORE is below MERGE_SCORE: a loose match never merges incidents.
            return [(LOOSE_SCORE, loose[0][0], loose[0][1])]
    found.sort()
    return [(-neg, incident_id, reason) for neg, _, incident_id, reason in found]


def _can_merge(keep: list[Row], other: list[Row], s: LinkSettings) -> bool:
    return not any(conflicts(a, b, s) for a in keep for b in other)


def forget_names() -> None:
    """Empty the name caches, as in a new process (a benchmark times batches alike)."""
    for cached in (_name_key, _words, _initials, _acronyms, _same_name):
        cached.cache_clear()
