"""Whether two reports may be one incident, and how strongly: the linker's pairwise rules.

`relation` scores two reports (kind, actors, place, day: the rules `tasks/link.py`
describes), `loose_relation` finds the weak match of a report that gives only a
country or no day, and `conflicts` the hard negatives that keep two incidents apart.
Kept apart from the stage (`tasks/link.py`: candidates, joining, merging), which
weighs each report against only the incidents these rules could find it in. The
actor classes are `tasks/link_actors.py`'s.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from tasks.extract.text import fold, name_key
from tasks.link_actors import actor_class, opposed, synonyms
from tasks.link_settings import DEFAULT_SETTINGS, LinkSettings

Row = dict[str, Any]


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


def key_of(value: Any) -> str:
    """A name's normal form (kept per name); "" for no name."""
    return _name_key(value) if isinstance(value, str) else ""


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _name_key(value: str) -> str:
    return name_key(value)


def day_of(value: Any) -> date | None:
    """The day of a date or timestamp; None for none."""
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
        if key_of(a.get("location")) == key_of(b.get("location")):
            return "town"
        km = _km(a, b)
        return "town" if km is not None and km <= s.near_km else None
    admin_a, admin_b = key_of(a.get("admin1")), key_of(b.get("admin1"))
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
    if not (at_town(a) and at_town(b)):
        return False
    if key_of(a.get("location")) == key_of(b.get("location")):
        return True
    km = _km(a, b)
    return km is not None and km <= SAME_TOWN_KM


# Verbal acts of two parties together (PLOVER's meetings and talks, agreements,
# cooperation): outlets name either party first ("the EU envoy met Vucic", "Vucic
# received the EU envoy"), so two reports naming the two parties either way round are
# one act, not an act and the reply to it (as an accusation and a counter-accusation).
# (Story set dev3, coded by the coder: pair F1 .806 -> .825 with it; dev, dev2 unchanged.)
MUTUAL_ACTS = frozenset({"CONSULT", "AGREE", "COOPERATE"})


def mutual(a: Row, b: Row) -> bool:
    """Two reports of one mutual act (`MUTUAL_ACTS`) naming its two parties the other way
    round: b's first actor is a's second and b's second a's first."""
    if physical(a) or a.get("event_type") not in MUTUAL_ACTS:
        return False
    if a.get("event_type") != b.get("event_type"):
        return False

    def side(r: Row, n: str) -> Row:
        return {"actor1": r.get(f"actor{n}"), "actor1_canonical": r.get(f"actor{n}_canonical")}

    return same_actor(side(a, "1"), side(b, "2")) and same_actor(side(a, "2"), side(b, "1"))


def swapped(a: Row, b: Row) -> bool:
    """b's actors are a's the other way round: a retaliation, not the same act (unless
    an act of both parties, `mutual`)."""
    if mutual(a, b):
        return False
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
    kx, ky = key_of(x), key_of(y)
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
    return key_of(canonical) == key_of(bare)


def actors_agree(a: Row, b: Row) -> bool:
    """The same first actor: one name (or synonyms, `tasks/link_actors.py`), or one
    country when the names differ (outlets name a force differently), unless the
    canonical names are opposed (a state's forces and a named armed group: an attack
    and the reprisal, one country's two sides) and not one clash told from either
    side; absent on either side, nothing contradicts."""
    if not key_of(a.get("actor1")) or not key_of(b.get("actor1")):
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
    if day_of(a.get("event_date")) != day_of(b.get("event_date")):
        return False

    def second(r: Row) -> Row:
        return {"actor1": r.get("actor2"), "actor1_canonical": r.get("actor2_canonical")}

    return same_actor(a, second(b)) or same_actor(b, second(a))


def dates_agree(a: Row, b: Row, strong_place: bool, s: LinkSettings) -> str | None:
    """'same day', 'next day' (only with a strong place), 'undated', or None."""
    da, db = day_of(a.get("event_date")), day_of(b.get("event_date"))
    if da and db:
        gap = abs((da - db).days)
        if gap == 0:
            return "same day"
        return "next day" if strong_place and gap <= s.date_slack_days else None
    if not strong_place:
        return None
    dated, undated = (a, b) if da else (b, a)
    day, published = day_of(dated.get("event_date")), day_of(undated.get("published_at"))
    if day is None or published is None:
        pa_, pb = day_of(a.get("published_at")), day_of(b.get("published_at"))
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
    both_ways = mutual(a, b)
    if not both_ways and (swapped(a, b) or not actors_agree(a, b)):
        return None
    bonus = int(same_actor(a, b) or both_ways)
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
    ta, tb = _target_country(a), _target_country(b)
    same_target = both_ways or not ta or not tb or ta == tb
    one_actor = both_ways or same_actor(a, b)
    one_actor = one_actor or bool(
        a.get("actor1_country") and a.get("actor1_country") == b.get("actor1_country")
    )
    if not (one_actor and same_target):
        return None
    when = dates_agree(a, b, True, s)
    if when is None:
        return None
    score = 2 + _DATE_SCORE[when] + bonus
    return score, f"{a.get('event_type')} by {a.get('actor1') or a.get('actor1_country')}, {when}"


def _target_country(r: Row) -> Any:
    """The country of a verbal act's target, unless the target is unnamed and put in the
    actor's own country (the coder's guess when the text names no target: "the SDF
    accused ..." with no one accused in the sentence), or is civilians (the victims an
    accusation or a condemnation names: "the UN condemned the killing of civilians",
    told by another outlet as the UN accusing Russia), which contradict nothing. (Story
    sets coded by the coder, pair F1: dev .822 -> .833 by the civilians, dev3 .806 ->
    .825 by the actor's own country.)"""
    canonical = r.get("actor2_canonical")
    if isinstance(canonical, str) and canonical and actor_class(canonical)[0] == "civilians":
        return None
    country = r.get("actor2_country")
    unnamed = not key_of(r.get("actor2")) and key_of(r.get("actor1"))
    if unnamed and country == r.get("actor1_country"):
        return None
    return country


def placeless(r: Row) -> bool:
    """An act with a place whose report gives no country (nor so any place): the text
    named none the coder knew. Nothing says where it was, so it may be of an incident
    in any country (`loose_relation`). (Story sets coded by the coder, pair F1: dev2
    .815 -> .826, dev3 .787 -> .825.)"""
    return physical(r) and not r.get("country")


def loose_relation(a: Row, b: Row, s: LinkSettings = DEFAULT_SETTINGS) -> str | None:
    """Why two reports of an act with a place may be one incident although `relation`
    cannot say so: one of them gives only the country (no province, no town), or no
    country at all (`placeless`, with one first actor in both), or only an unplaced
    village of the other's province a day apart (`town_and_village`, with sub-types
    that agree and one first actor), or gives no day, and nothing contradicts (same
    kind, actors that agree, dates within `date_slack_days`, or an undated report
    published within `undated_days` of the other's day). Such a report joins an
    incident only when it is the one incident it could join (`plan_links`): with two,
    it is ambiguous and stays apart."""
    if not physical(a) or a.get("article_id") == b.get("article_id") or not same_kind(a, b):
        return None
    if swapped(a, b) or not actors_agree(a, b):
        return None
    place = place_agreement(a, b, s)
    if place is None and placeless(a) != placeless(b) and same_actor(a, b):
        place = "country"  # no country in one: only its first actor says which incident
    if place is None:
        return None
    da, db = day_of(a.get("event_date")), day_of(b.get("event_date"))
    if da and db:
        if abs((da - db).days) > s.date_slack_days:
            return None
        village = town_and_village(a, b) and subtypes_agree(a, b, s) and same_actor(a, b)
        if place == "province" and not village:
            return None
        if place == "town":
            return None
        when = "a day apart"
    else:
        dated, undated = (a, b) if da else (b, a)
        day, published = day_of(dated.get("event_date")), day_of(undated.get("published_at"))
        if day is None or published is None or not 0 <= (published - day).days <= s.undated_days:
            return None
        when = "undated"
    where = a.get("location") or a.get("admin1") or a.get("country")
    return f"{a.get('acled_event_type')}, {place} {where}, {when}, the only one near"


def town_and_village(a: Row, b: Row) -> bool:
    """One report names a town, the other a place of the town's province that the
    gazetteer could not place (given at the province's precision, under its own name:
    a village, a junction). Such a place may be the town's edge or the village next to
    it, so a day apart the two are one incident when it is the only one near
    (`loose_relation`). A report that gives only the province stays apart from a town's
    a day apart, as do two such places (attacks in one province on consecutive days).
    `loose_relation` asks one first actor of both besides: without, the gold coding of
    story set dev linked a roadside bomb near one village and the next day's attack in
    a town of its province (pair F1 .982 -> .960). (Story set dev3, coded by the coder:
    pair F1 .787 -> .825 with it.)"""
    town, other = (a, b) if at_town(a) else (b, a)
    if not at_town(town) or at_town(other) or other.get("geo_precision") != "admin1":
        return False
    place = key_of(other.get("location"))
    return bool(place) and place != key_of(other.get("admin1"))


def conflicts(a: Row, b: Row, s: LinkSettings = DEFAULT_SETTINGS) -> bool:
    """Two reports that cannot be of one incident (so their incidents never merge)."""
    if a.get("article_id") == b.get("article_id") or swapped(a, b):
        return True
    if physical(a) and physical(b) and place_agreement(a, b, s) is None:
        return not (placeless(a) or placeless(b))
    da, db = day_of(a.get("event_date")), day_of(b.get("event_date"))
    return bool(da and db and abs((da - db).days) > s.date_slack_days)


def kind_key(r: Row) -> tuple[Any, ...]:
    """What `same_kind` compares, and for acts with a place their country (which
    `place_agreement` requires): reports with other keys are never one incident."""
    if not physical(r):
        return ("verbal", r.get("event_type"))
    family = _FAMILY.get(r["acled_event_type"], r["acled_event_type"])
    sub = r.get("acled_sub_event_type") if family == "Strategic developments" else None
    return ("physical", family, sub, r.get("country"))


def at_town(r: Row) -> bool:
    """A report of an act with a place, placed at a town (`point`)."""
    return physical(r) and _PRECISION.get(r.get("geo_precision") or "", 0) == 3


def forget_names() -> None:
    """Empty the name caches, as in a new process (a benchmark times batches alike)."""
    for cached in (_name_key, _words, _initials, _acronyms, _same_name):
        cached.cache_clear()
