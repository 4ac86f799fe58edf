"""Places qualified by the names written after them: "Boni (Douentza, Mopti)", "Kistaram
village of Sukma district", "Shostka, a town in the Sumy region", "the village of Tamalat
in the Menaka region", "Juliaca in Peru's Puno region", "Hyderabad, Sindh".

The qualifying names (a district, a region, a country) say which namesake the place is,
and give a village the gazetteer lacks its region and a neighbour's coordinates. They are
part of the place's name, not places of action of their own.

Finding the pattern needs only the sentence (:func:`find_qualified`, once per sentence);
resolving it (:func:`resolve_qualified`) needs the article's countries."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from tasks.extract.lexicon import (
    Place,
    country_names,
    country_only_names,
    demonyms,
    lookup_place,
)
from tasks.extract.namesakes import PlaceMention, choose, km, weighed_population
from tasks.extract.text import fold, name_key

# A capitalised place name of up to four words, with the particles of Arabic, French,
# Spanish and Portuguese names ("Mocimboa da Praia", "Deir ez-Zor").
NAME = (
    r"[A-Z][\w'\u2019\-]*(?:[ \-](?:(?:de|del|la|al|el|da|do|du|des|ad|ar|as|ez|es|ul|bin|ibn)"
    r"[ \-])?[A-Z][\w'\u2019\-]*){0,3}"
)
_NAME_BEFORE = re.compile(rf"(?<![\w\-'])({NAME}(?:(?:,\s+|,?\s+and\s+){NAME})*)\s*$")
_ADMIN = (
    r"(?:district|region|province|state|county|department|prefecture|governorate|division|"
    r"cercle|commune|municipality|local government area|LGA|township|oblast|territory|"
    r"sub-county|sub-district|tehsil|upazila|woreda|zone|circle|arrondissement)s?"
)
# An admin word written as part of the name ("Benue State", "Sagaing Region").
_TITLED_ADMIN = re.compile(r"\s+(?:State|Province|Region|District|County|Governorate|Oblast)$")
# Words between "in" and a region's name that say where in it ("in the restive north of").
_WHERE = (
    r"(?:the\s+)?(?:(?:far|restive|remote|troubled|occupied|neighbou?ring|north|south|east|"
    r"west|central|northern|southern|eastern|western|north-?eastern|north-?western|"
    r"south-?eastern|south-?western|northeast|northwest|southeast|southwest)\s+)*"
)
# Nouns that make the name before or after them a place ("town", "village of").
_PLACE_NOUN = (
    r"(?:town|village|city|hamlet|locality|community|settlement|commune|municipality|suburb|"
    r"neighbou?rhood|district|area|camp|port|township|capital|provincial capital|"
    r"regional capital|state capital|market town|border town|garrison town)"
)
# A container: its name, then optionally an admin word; a possessive country or region
# may come first ("Burkina Faso's Seno province").
_CONTAINER = (
    rf"{_WHERE}(?:(?P<outer>{NAME})(?:'s|\u2019s)\s+(?:[a-z\-]+\s+)?)?"
    rf"(?P<q>{NAME})(?P<qadmin>\s+{_ADMIN})?"
    rf"(?:(?:,\s*|\s+(?:in|of)\s+{_WHERE})(?P<q2>{NAME})(?P<q2admin>\s+{_ADMIN})?)?"
)
# "Boni (Douentza, Mopti)", "Gao (Mali)": the place before, its containers inside.
_PAREN = re.compile(
    rf"\(\s*(?P<q>{NAME})(?P<qadmin>\s+{_ADMIN})?"
    rf"(?:,\s*(?P<q2>{NAME})(?P<q2admin>\s+{_ADMIN})?)?(?:,\s*(?P<outer>{NAME}))?\s*\)"
)
# "Kistaram village of Sukma district", "Ngamdu village in Yobe state". With "of" the
# container needs its admin word: "the Palestinian village of Sinjil", "the Red Sea port
# of Hodeidah" name the place after "of", not before.
_NOUN_AFTER = re.compile(rf"\s+{_PLACE_NOUN}\s+(?P<prep>of|in)\s+{_CONTAINER}")
# "Shostka, a town in the Sumy region", "Quetta, the capital of Balochistan province".
_APPOSITIVE = re.compile(
    rf",\s+(?:a|an|the)\s+(?:[\w\-]+\s+){{0,2}}{_PLACE_NOUN}\s+(?:in|of|near|outside)\s+"
    + _CONTAINER
)
# "Zinder, Niger's second city".
_POSSESSIVE_APPOSITIVE = re.compile(
    rf",\s+(?P<q>{NAME})(?:'s|\u2019s)\s+(?:[a-z\-]+\s+){{0,2}}{_PLACE_NOUN}\b"
)
# "the village of Tamalat in the Menaka region": the place after the noun.
_NOUN_OF = re.compile(rf"\b{_PLACE_NOUN}\s+of\s+(?P<x>{NAME}),?\s+(?:in|near)\s+{_CONTAINER}")
# "Juliaca in Peru's Puno region", "Kupiansk in the Kharkiv region", "Ban Phue, in
# Sisaket province's Kantharalak district".
_IN_REGION = re.compile(rf",?\s+in\s+{_CONTAINER}")
# "Hyderabad, Sindh", "Paris, Texas": a region or country right after the place, not a
# list going on ("Kunar, Khost and Paktika").
_COMMA = re.compile(rf",\s+(?P<q>{NAME})(?!\s*,\s*[A-Z]|,?\s+(?:and|or)\s)")
# Capitalised words that start a sentence before a place name, not part of it.
_LEADING = re.compile(
    r"(?:In|On|At|Near|From|Outside|Inside|Across|Around|Elsewhere|Meanwhile|The|And|But)"
    r"(?:\s+|$)"
)
# A capitalised adjective, not a name: "Kurdish-held", "Houthi-controlled", "Iran-backed".
_ADJECTIVE = re.compile(r"-(?:held|controlled|led|backed|based|run|allied|aligned|occupied)$")
# Cheap test before the scans: a word every pattern needs.
_ANY = re.compile(r"\(|, |\b(?:in|of)\s")


@dataclass(frozen=True, slots=True)
class Qualified:
    """Place names (several when coordinated: "Palma and Mocimboa da Praia") and the
    names of what contains them, smallest first, each with whether an admin word
    follows it ("Sukma district")."""

    names: tuple[tuple[int, int], ...]
    containers: tuple[tuple[int, int, bool], ...]
    implied: bool  # the words make the names places ("village of", "(district, region)")
    needs_row: bool  # only a known place qualifies ("Paris, Texas", not "In Kabul, Taliban")


def _containers(m: re.Match[str]) -> tuple[tuple[int, int, bool], ...]:
    out = []
    groups = m.groupdict()
    for name, admin in (("q", "qadmin"), ("q2", "q2admin"), ("outer", "")):
        if groups.get(name):
            out.append((m.start(name), m.end(name), bool(groups.get(admin))))
    return tuple(out)


def _names_before(sentence: str, end: int, single: bool) -> tuple[tuple[int, int], ...]:
    """The place name (or coordinated names) that ends at ``end``."""
    m = _NAME_BEFORE.search(sentence, max(0, end - 80), end)
    if m is None:
        return ()
    names = []
    for n in re.finditer(NAME, m.group(1)):
        lead = _LEADING.match(n.group(0))  # "In Karachi" at a sentence's start
        start = m.start(1) + n.start() + (lead.end() if lead else 0)
        end = m.start(1) + n.end()
        name = sentence[start:end]
        if start < end and name not in demonyms() and not _ADJECTIVE.search(name):
            names.append((start, end))  # not "the Druze city of", "a Kurdish-held city"
    return tuple(names[-1:] if single else names)


def find_qualified(sentence: str) -> tuple[Qualified, ...]:
    """The qualified places of a sentence (the context-free part)."""
    if not _ANY.search(sentence):
        return ()
    out: list[Qualified] = []
    for m in _PAREN.finditer(sentence):
        names = _names_before(sentence, m.start(), single=True)
        conts = _containers(m)
        if names:  # "(district, region)" makes a place; "Bazoum (Niger)" needs "in" before
            out.append(Qualified(names, conts, len(conts) > 1, False))
    for rx, implied in ((_NOUN_AFTER, True), (_IN_REGION, False)):
        for m in rx.finditer(sentence):
            names = _names_before(sentence, m.start(), single=False)
            conts = _containers(m)
            admin = any(a for _, _, a in conts) or m.groupdict().get("outer") is not None
            if m.groupdict().get("prep") == "of" and not any(a for _, _, a in conts):
                continue
            if names and (implied or admin):
                out.append(Qualified(names, conts, implied, False))
            elif names:  # "Jenin in the occupied West Bank": a known place in a region
                out.append(Qualified(names, conts, False, True))
    for rx in (_APPOSITIVE, _POSSESSIVE_APPOSITIVE):
        for m in rx.finditer(sentence):
            names = _names_before(sentence, m.start(), single=True)
            if names:
                out.append(Qualified(names, _containers(m), True, False))
    for m in _NOUN_OF.finditer(sentence):
        out.append(Qualified(((m.start("x"), m.end("x")),), _containers(m), True, False))
    for m in _COMMA.finditer(sentence):
        names = _names_before(sentence, m.start(), single=True)
        if names:
            out.append(Qualified(names, _containers(m), False, True))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Box:
    """What the containers resolved to: a country, maybe an admin1, maybe a point."""

    country: str
    admin1: str | None = None
    point: tuple[float, float] | None = None
    local: bool = False  # the point is a town or district seat, not a region's
    admin1_keys: frozenset[str] = frozenset()  # its admin1 as name_key, in each spelling
    # The population of the town the box is, when no region contains it: a district the
    # gazetteer lacks may share its name with a small town elsewhere ("Djibo town of Soum
    # province" is not in Senegal's village Soum).
    lone_town: int | None = None


# A namesake more than this far from the town or district that qualifies it is another
# place ("Oicha (Beni, Nord-Kivu)" is not the Oicha 150 km south of Beni).
LOCAL_MAX_KM = 100.0


# All-capital words this short are acronyms ("(SDF)"), not places, unless a country's.
ACRONYM_MAX = 6
# A namesake inside the box's country but not its admin1 still counts when it lies this
# close to the box's point (the sources' admin1 borders and names do not always agree).
NEAR_BOX_KM = 60.0


def _inside(row: Place, box: _Box) -> bool:
    if row.country != box.country:
        return False
    if box.admin1 is None or name_key(row.admin1 or "") in box.admin1_keys:
        return True  # the sources spell one subdivision "South-West" and "Southwest"
    if row.admin1 is None and box.point is None:
        return True  # "Gatumba, in Bujumbura Rural province": neither has a subdivision point
    return (
        box.point is not None
        and row.lat is not None
        and row.lon is not None
        and km(box.point[0], box.point[1], row.lat, row.lon) <= NEAR_BOX_KM
    )


def _near(row: Place, box: _Box) -> bool:
    if not box.local or box.point is None or row.lat is None or row.lon is None:
        return True
    return km(box.point[0], box.point[1], row.lat, row.lon) <= LOCAL_MAX_KM


def _box(
    sentence: str,
    containers: tuple[tuple[int, int, bool], ...],
    context: Counter[str],
    anchor: tuple[float, float] | None,
) -> _Box | None:
    """The largest container first, each smaller one looked for inside it."""
    box: _Box | None = None
    countries = country_names()
    only = country_only_names()  # not "Port-au-Prince", a capital: a city of its own
    for i, (s, e, admin_word) in enumerate(reversed(containers)):
        text = sentence[s:e]
        titled = _TITLED_ADMIN.search(text)  # "Benue State"
        if titled:
            text, admin_word = text[: titled.start()], True
        key = fold(text)
        if text.isupper() and len(text) <= ACRONYM_MAX and key not in countries:
            continue  # "(SDF)": an acronym, not a place
        if key in only and (box is None or box.country == countries[key]):
            if box is None:
                box = _Box(countries[key])
            continue
        rows = tuple(r for r in lookup_place(key) if box is None or _inside(r, box))
        if not rows:
            continue  # a district the gazetteer lacks ("Jere local government area")
        # The largest container, or one with an admin word, is a region ("Paris, Texas").
        region = admin_word or i == 0
        row = choose(rows, context, region, None, anchor)
        if row is None:
            continue
        point = (row.lat, row.lon) if row.lat is not None and row.lon is not None else None
        keys = frozenset(name_key(n) for n in (row.admin1, row.cities_admin1) if n)
        if row.kind == "admin1":
            box = _Box(
                row.country, row.admin1, point if box is None else box.point or point, False, keys
            )
        else:
            lone = weighed_population(row) if box is None else None
            box = _Box(row.country, row.admin1, point, True, keys, lone)
    return box


def _own_row(
    rows: tuple[Place, ...], box: _Box, context: Counter[str], anchor: tuple[float, float] | None
) -> Place | None:
    """The place's own namesake when its container is only a smaller lone town elsewhere
    (the container is then a district the gazetteer lacks, named like that town)."""
    if box.lone_town is None:
        return None
    row = choose(tuple(r for r in rows if r.kind == "city"), context, False, None, anchor)
    return row if row is not None and weighed_population(row) > box.lone_town else None


def resolve_qualified(
    sentence: str,
    q: Qualified,
    rows_of: dict[tuple[int, int], tuple[Place, ...]],
    context: Counter[str],
    anchor: tuple[float, float] | None,
    locative: dict[int, bool],
) -> list[PlaceMention]:
    """The qualified names as places inside their containers: the namesake inside, or
    (a village the gazetteer lacks) the containers' region at the coordinates of the
    smallest one. Empty when the containers are no known place, or the pattern does not
    hold (a known place is needed and none of its namesakes is inside)."""
    box = _box(sentence, q.containers, context, anchor)
    if box is None:
        return []
    out = []
    for s, e in q.names:
        text = sentence[s:e]
        inside = tuple(
            r
            for r in rows_of.get((s, e), ())
            if _inside(r, box) and _near(r, box) and not (box.local and r.kind == "admin1")
        )
        if inside:
            near = anchor if box.point is None else box.point
            row = choose(inside, Counter({box.country: 1}), False, None, near)
            if row is not None:
                precision = "admin1" if row.kind == "admin1" else "point"
                lat, lon = row.lat, row.lon
                at = q.implied or locative.get(s, False)
                admin1 = row.admin1 or box.admin1  # the box names the town's subdivision
                out.append(
                    PlaceMention(
                        s, e, text, row.country, admin1, lat, lon, precision, at, qualified=True
                    )
                )
                continue
        own = _own_row(rows_of.get((s, e), ()), box, context, anchor)
        if own is not None:
            at = q.implied or locative.get(s, False)
            out.append(
                PlaceMention(s, e, text, own.country, own.admin1, own.lat, own.lon, "point", at)
            )
            continue
        if q.needs_row or not (q.implied or locative.get(s, False)):
            return []
        if fold(text) in country_only_names():
            return []  # "troops from Burkina Faso in Niger's Tillaberi region"
        if box.admin1 is None and box.point is None:
            out.append(
                PlaceMention(
                    s, e, text, box.country, None, None, None, "country", True, qualified=True
                )
            )
            continue
        lat, lon = box.point if box.point is not None else (None, None)
        out.append(
            PlaceMention(
                s,
                e,
                text,
                box.country,
                box.admin1,
                lat,
                lon,
                "admin1",
                True,
                approximate=True,
                qualified=True,
            )
        )
    return out
