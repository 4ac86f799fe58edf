"""Place names in a sentence, resolved against the gazetteer and country names."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache

from tasks.extract.lexicon import (
    DATA,
    Place,
    capitals,
    country_names,
    country_only_names,
    demonyms,
    has_place,
    landmarks,
    lookup_place,
)
from tasks.extract.namesakes import (
    PlaceMention,
    choose,
    km,
    weighed_population,
)
from tasks.extract.place_roles import speaker_place
from tasks.extract.qualified import Qualified, find_qualified, resolve_qualified
from tasks.extract.text import fold

# Tokens that can sit inside a multi-word place name ("Norte de Santander", "Deir ez-Zor").
_CONNECTORS = {
    "de",
    "del",
    "la",
    "al",
    "el",
    "ez",
    "es",
    "ad",
    "ar",
    "as",
    "an",
    "du",
    "des",
    "ul",
    "of",
    "e",
    "i",
    "da",
    "do",
    "dos",
    "das",
    "bin",
    "ibn",
    "am",
    "sur",
    "en",
}
_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f0-9][\w\u00c0-\u024f'\u2019\-]*")
_LOCATIVE = re.compile(
    r"\b(?:in|at|near|outside|around|across|into|inside|from|to|towards|toward|through|"
    r"throughout|on|of|over|between|reached|hit|struck|bombed|shelled|entered|captured|"
    r"seized|pounded|targeted|attacked|stormed|besieged|near|visited|visiting|toured)\s+"
    r"(?:the\s+)?(?:[\w\-]+(?:\s[\w\-]+)?(?:'s|\u2019s)\s+|[A-Z][a-z]+(?:an|ese|i|ish)\s+(?=[a-z]))?"
    r"(?:(?:town|city|village|villages|port|district|region|province|state|county|capital|"
    r"area|township|outskirts|suburb|camp|border|strategic|coastal|northern|southern|eastern|"
    r"western|central|north-eastern|north-western|south-eastern|south-western|farming|"
    r"lakeside|besieged|regional|nearby|neighbouring|neighboring)\s+(?:of\s+)?){0,3}$",
    re.I,
)
_ADMIN_WORD = re.compile(
    r"^\s*(?:province|provinces|state|region|governorate|district|oblast|department|county|division)\b",
    re.I,
)
# A place that is neither in the article's countries nor after a locative word must be
# at least this populous: small towns share names with common capitalised words.
MIN_POP_WITHOUT_CONTEXT = 200_000
# A place in a country the article never mentions must be this big when the article does
# mention other countries (a lone "Lido" or "Pendleton" is someone else's namesake).
MIN_POP_OUT_OF_CONTEXT = 100_000
_NOT_SETTLEMENT = re.compile(
    r"^\s+(?:river|River|sea|Sea|lake|Lake|mountains|valley|basin|delta)\b"
)
# Capitalised words after a place name that keep it a place ("Islamabad High Court").
# Not "Square", "Road", "Street", "Highway" or "Bridge": those are named after people and
# other places ("Azadi Square", "Srinagar Highway" in Islamabad). Alone, each is a word,
# not a place ("the Old Port" is no village Port).
_INSTITUTION = {
    "City",
    "Town",
    "Province",
    "State",
    "Region",
    "District",
    "Oblast",
    "County",
    "High",
    "Court",
    "University",
    "Airport",
    "International",
    "Hospital",
    "Stadium",
    "Station",
    "Port",
    "Prison",
    "Market",
    "Mosque",
    "Cathedral",
    "Church",
    "Palace",
    "Parliament",
    "Central",
    "Railway",
    "Camp",
}
# All-capital words this short are acronyms (SNA, ADF, RSF), never places, unless they
# name a country (US, UK, UAE, DRC).
ACRONYM_MAX = 6


@cache
def stopwords() -> frozenset[str]:
    """Folded words never taken as places/actors on their own."""
    words = set()
    for line in (DATA / "stopwords.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.add(line.strip())
    return frozenset(words)


# "The foreign ministers of Congo and Rwanda", "the presidents of Kenya and Tanzania":
# "of" after the offices of several countries' parties names whose they are, not where
# anything happened. (A single "interior minister of Burundi" is there, and the place
# gives the minister a country.)
_OF_WHOSE = re.compile(
    r"\b(?:ministers|presidents|leaders|premiers|kings|envoys|ambassadors)"
    r"\s+of\s+(?:the\s+)?$",
    re.I,
)


def _locative(sentence: str, s: int) -> bool:
    """Whether the words before offset ``s`` put a place there ("in", "near", "north
    of"), not an office's country ("the foreign ministers of")."""
    before = sentence[max(0, s - 60) : s]
    return bool(_LOCATIVE.search(before)) and not _OF_WHOSE.search(before)


def _capitalised(token: str) -> bool:
    """ "Kabul", and also "ez-Zor", "al-Bab": a particle glued to a capitalised name."""
    return token[0].isupper() or ("-" in token and token.rsplit("-", 1)[1][:1].isupper())


@lru_cache(maxsize=4096)
def _spans(sentence: str) -> tuple[tuple[int, int, str], ...]:
    """Candidate spans: up to 5 tokens, starting and ending with a capitalised token."""
    toks = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(sentence)]
    out = []
    for i, (s, _, t) in enumerate(toks):
        if not t[0].isupper():
            continue
        for j in range(i, min(i + 5, len(toks))):
            tj = toks[j][2]
            if j > i:
                gap = sentence[toks[j - 1][1] : toks[j][0]]
                if gap not in (" ", "-"):
                    break
                if not _capitalised(tj) and tj.lower() not in _CONNECTORS:
                    break
            if _capitalised(tj):
                out.append((s, toks[j][1], sentence[s : toks[j][1]]))
    out.sort(key=lambda x: (-(x[1] - x[0]), x[0]))
    return tuple(out)


def _inside_name(sentence: str, s: int, e: int, text: str) -> bool:
    """A one-word match glued to other capitalised words ("Boko Haram", "Camp Pendleton",
    "Beach View hotel") is part of another name, not the place."""
    if " " in text.strip() or "-" in text or text.endswith(("'s", "\u2019s")):
        return False
    after = re.match(r"^ ([A-Z][\w\-]*)", sentence[e:])
    if after and not _ADMIN_WORD.match(" " + after.group(1)) and after.group(1) not in _INSTITUTION:
        return True
    before = re.search(r"([A-Z][\w\-]*) $", sentence[:s])
    return bool(before and before.start() > 0 and fold(before.group(1)) not in stopwords())


_ADMIN1_NAMED = re.compile(
    r"([A-Z][\w\-]+(?: [A-Z][\w\-]+)?)(?:'s|\u2019s| (?:province|state|region|district))"
)
_ADMIN1_OF = re.compile(
    r"\b(?:province|state|region|department|oblast|governorate) of ([A-Z][\w\-]+(?: [A-Z][\w\-]+)?)"
)
_ADMIN_OF_KEYS = ("ince of", "tate of", "gion of", "ment of", "last of", "rate of")


# A place abroad this close to a subdivision the sentence names is a neighbour across
# the border, not a namesake elsewhere (about the width of a large province).
NEAR_NAMED_KM = 300.0


@lru_cache(maxsize=1024)
def _admin1_point(country: str, admin1: str) -> tuple[float, float] | None:
    for r in lookup_place(fold(admin1)):
        if r.kind == "admin1" and r.country == country and r.lat is not None and r.lon is not None:
            return (r.lat, r.lon)
    return None


def _near_named(row: Place, named: frozenset[tuple[str, str]]) -> bool:
    """Whether ``row`` lies near one of the subdivisions the sentence names."""
    if row.lat is None or row.lon is None:
        return False
    for country, admin1 in named:
        point = _admin1_point(country, admin1)
        if point is not None and km(point[0], point[1], row.lat, row.lon) <= NEAR_NAMED_KM:
            return True
    return False


def _named_admin1(sentence: str) -> frozenset[tuple[str, str]]:
    """First-level subdivisions (country, name) named in the sentence next to an admin
    word or possessive ("Sagaing region", "the state of Michoacán", "Kano's")."""
    names = set()
    found = [m.group(1) for m in _ADMIN1_NAMED.finditer(sentence)]
    if any(k in sentence for k in _ADMIN_OF_KEYS):  # cheap test before the second scan
        found += [m.group(1) for m in _ADMIN1_OF.finditer(sentence)]
    for name in found:
        for r in lookup_place(fold(name)):
            if r.kind == "admin1" and r.admin1:
                names.add((r.country, r.admin1))
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class _Span:
    """A capitalised span that may name a place, with everything about it that does not
    depend on the article: ``rows`` is empty for a country name (``country`` is set) and
    for a name that only blocks its words (``country`` is None)."""

    start: int
    end: int
    rows: tuple[Place, ...]
    country: PlaceMention | None = None
    key: str = ""
    locative: bool = False
    admin_hint: bool = False
    speaker: bool = False
    landmark: bool = False


@dataclass(frozen=True, slots=True)
class PlaceScan:
    """The places a sentence may name, before the article's context picks among
    namesakes: made once per sentence, resolved for each context it is read in."""

    sentence: str
    spans: tuple[_Span, ...]
    named: frozenset[tuple[str, str]]  # subdivisions the sentence names ("Sagaing region")
    plural_local: bool  # "the A and B districts": unknown names may sit in the list
    qualified: tuple[Qualified, ...] = ()  # "Boni (Douentza, Mopti)", "X, a town in Y"


def scan_places(sentence: str) -> PlaceScan:
    """The context-free part of :func:`find_places`: candidate spans, their gazetteer
    rows, and the words around them."""
    stop = stopwords()
    countries = country_names()
    country_names_only = country_only_names()
    spans: list[_Span] = []
    named: frozenset[tuple[str, str]] | None = None  # computed on the first gazetteer hit
    for s, e, text in _spans(sentence):
        key = _key(text)
        if key in stop or len(key) < 3:
            if " " in key:
                spans.append(_Span(s, e, ()))  # "Durand Line": none of its words is a place
            continue
        marks = landmarks().get(key)
        if marks is not None:  # "Arc de Triomphe": a landmark, at its city, never a town
            at = bool(_AT_LANDMARK.search(sentence[max(0, s - 60) : s]))
            spans.append(_Span(s, e, marks if at else (), None, key, at, landmark=True))
            continue
        if key not in country_names_only and not has_place(key):
            continue  # most capitalised spans: skip the context regexes below
        if text in _INSTITUTION:
            continue
        if text.isupper() and len(text) <= ACRONYM_MAX and key not in countries:
            continue  # "the Syrian National Army (SNA)": an acronym, not a town "Sna"
        if text in demonyms():
            continue  # "Thai and Cambodian troops": a demonym, not the Malaysian town Thai
        locative = _locative(sentence, s)
        admin_hint = bool(_ADMIN_WORD.match(sentence[e : e + 15]))
        speaker = speaker_place(sentence, s, e)
        if key in country_names_only:
            iso3 = countries[key]
            mention = PlaceMention(
                s, e, text, iso3, None, None, None, "country", locative, speaker=speaker
            )
            spans.append(_Span(s, e, (), mention))
            continue
        if not has_place(key) or _inside_name(sentence, s, e, text):
            continue
        if _NOT_SETTLEMENT.match(sentence[e : e + 12]):
            continue
        rows = lookup_place(key)
        owner = _POSSESSOR.search(sentence, max(0, s - 40), s)
        owner_iso = countries.get(fold(owner.group(1))) if owner else None
        if owner_iso is not None and key not in countries:
            # "Mali's Mopti region", "Iraq's Kurdistan region": inside that country, or a
            # local name the gazetteer lacks (not Iran's Kurdistan province).
            rows = tuple(r for r in rows if r.country == owner_iso)
            if not rows:
                continue
        if named is None:
            named = _named_admin1(sentence)
        if named:
            # A city in a subdivision the sentence names wins ("Chhattisgarh's Bijapur
            # district" is not Karnataka's Bijapur).
            boosted = [r for r in rows if r.kind == "city" and (r.country, r.admin1) in named]
            rows = tuple(boosted) or rows
        spans.append(_Span(s, e, rows, None, key, locative, admin_hint, speaker))
    return PlaceScan(
        sentence,
        tuple(spans),
        named or frozenset(),
        bool(_PLURAL_LOCAL.search(sentence)),
        find_qualified(sentence),
    )


def find_places(
    sentence: str | PlaceScan,
    context: Counter[str] | None = None,
    anchor: tuple[float, float] | None = None,
) -> list[PlaceMention]:
    """Places named in ``sentence`` (or in its :func:`scan_places`); ``context`` counts the
    article's countries and ``anchor`` is the article's first resolved point (nearer
    namesakes win)."""
    scan = scan_places(sentence) if isinstance(sentence, str) else sentence
    context = context or Counter()
    countries = country_names()
    named = scan.named
    taken: list[tuple[int, int]] = []
    out: list[PlaceMention] = []
    for q in scan.qualified:
        out.extend(_qualified(scan.sentence, q, context, anchor, taken))
    out.extend(_capital_phrases(scan.sentence, taken))
    for span in scan.spans:
        s, e = span.start, span.end
        if any(s < te and ts < e for ts, te in taken):
            continue
        if not span.rows:
            if span.country is not None:
                out.append(span.country)
            taken.append((s, e))
            continue
        rows = span.rows
        if span.landmark:  # "Martyrs' Square in Tripoli": the city the sentence names
            rows = tuple(r for r in rows if r.name in scan.sentence) or rows
        row = choose(rows, context, span.admin_hint, countries.get(span.key), anchor)
        if row is None:
            continue
        in_context = context.get(row.country, 0) > 0
        if (
            named
            and not in_context
            and all(row.country != c for c, _ in named)
            and not _near_named(row, named)
            and weighed_population(row) < MIN_POP_WITHOUT_CONTEXT
        ):
            # "Kani township in the Sagaing region": a local place the gazetteer lacks, not
            # a namesake abroad in a country the article never mentions. (A town across
            # the border is one: "near Diffa, across from Nigeria's Borno state"; and a
            # big city abroad is itself: "met ... in Brussels to discuss gas supplies to
            # the region of Transnistria".)
            continue
        if not (
            in_context
            or span.locative
            or span.admin_hint
            or weighed_population(row) >= MIN_POP_WITHOUT_CONTEXT
        ):
            continue
        if (
            context
            and not in_context
            and weighed_population(row) < MIN_POP_OUT_OF_CONTEXT
            and not (named and _near_named(row, named))
            and not (span.locative and _seat_of_namesake(row, rows))
        ):
            continue
        precision = "admin1" if row.kind == "admin1" else "point"
        out.append(
            PlaceMention(
                s,
                e,
                scan.sentence[s:e],
                row.country,
                row.admin1,
                row.lat,
                row.lon,
                precision,
                span.locative,
                span.admin_hint,
                speaker=span.speaker,
                landmark=span.landmark,
            )
        )
        taken.append((s, e))
    if out and scan.plural_local:
        out.extend(_coordinated_unknowns(scan.sentence, out))
    out.sort(key=lambda p: p.start)
    return out


def _qualified(
    sentence: str,
    q: Qualified,
    context: Counter[str],
    anchor: tuple[float, float] | None,
    taken: list[tuple[int, int]],
) -> list[PlaceMention]:
    """A qualified place ("Boni (Douentza, Mopti)"), resolved inside its containers; its
    words and its containers' are then taken (the containers are not places of action)."""
    spans = list(q.names) + [(s, e) for s, e, _ in q.containers]
    if any(s < te and ts < e for s, e in spans for ts, te in taken):
        return []
    rows = {(s, e): lookup_place(_key(sentence[s:e])) for s, e in q.names}
    locative = {s: bool(_LOCATIVE.search(sentence[max(0, s - 60) : s])) for s, _ in q.names}
    found = resolve_qualified(sentence, q, rows, context, anchor, locative)
    if found:
        taken.extend(spans)
    return found


def _seat_of_namesake(row: Place, rows: tuple[Place, ...]) -> bool:
    """Whether ``row`` is a city that shares its name with its own first-level subdivision
    ("Kherson" in Kherson oblast): the name is the province's too, so no lone namesake of
    a small town, whatever the city's own population in GeoNames."""
    return row.kind == "city" and any(
        r.kind == "admin1" and r.country == row.country and r.admin1 == row.admin1 for r in rows
    )


# "in the Somali capital", "the Malian capital": the country's capital, named by its
# demonym only.
_DEMONYM_CAPITAL = re.compile(r"\bthe\s+([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s+capital\b")


def _capital_phrases(sentence: str, taken: list[tuple[int, int]]) -> list[PlaceMention]:
    """The capital a phrase like "the Somali capital" names, at its gazetteer row."""
    if "capital" not in sentence:
        return []
    out: list[PlaceMention] = []
    for m in _DEMONYM_CAPITAL.finditer(sentence):
        row = capitals().get(demonyms().get(m.group(1)) or "")
        if row is None:
            continue
        s, e = m.start(), m.end()
        locative = bool(_LOCATIVE.search(sentence[max(0, s - 60) : s]))
        out.append(
            PlaceMention(
                s,
                e,
                row.name,
                row.country,
                row.admin1,
                row.lat,
                row.lon,
                "point",
                locative,
                speaker=speaker_place(sentence, s, e),
            )
        )
        taken.append((s, e))
    return out


def _key(text: str) -> str:
    """A name's gazetteer key, without a possessive ending."""
    key = fold(text.removesuffix("'s").removesuffix("\u2019s"))
    return key[:-2] if key.endswith("'s") else key


# A country (or capital) whose possessive comes right before a place name.
# Only words that say where in it may come between ("Mali's central Mopti region"), not
# another noun ("Russia's consulate in Gdansk").
_POSSESSOR = re.compile(
    r"([A-Z][\w\-]+(?: [A-Z][\w\-]+){0,2})(?:'s|\u2019s)\s+(?:(?:far|restive|remote|"
    r"troubled|north|south|east|west|central|northern|southern|eastern|western|"
    r"north-?eastern|north-?western|south-?eastern|south-?western|northeast|northwest|"
    r"southeast|southwest|coastal|border|mountainous|oil-rich|breakaway)\s+){0,2}$"
)
# Words before a landmark that put an act at it ("marched along the Champs-Elysees").
_AT_LANDMARK = re.compile(
    r"\b(?:in|at|near|outside|around|across|into|inside|from|to|towards|on|along|through|"
    r"onto|before|in front of|opposite)\s+(?:the\s+)?(?:[a-z\-]+\s+){0,2}$"
)


# Sub-provincial units named together ("the Macomia and Muidumbe districts", "the Abu
# Salim and Souq al-Juma neighbourhoods"): the gazetteer lacks most of them.
_PLURAL_LOCAL = re.compile(
    r"\b(?:districts|counties|municipalities|neighbou?rhoods|townships|localities|"
    r"communes|sub-districts)\b"
)
_LOCAL_WORD = r"[A-Z][\w\u00c0-\u024f'\u2019]*"
_LOCAL_NAME = rf"{_LOCAL_WORD}(?:[ \-](?:al|el|ad|de|la|{_LOCAL_WORD}))*"
_COORDINATED_LOCAL = re.compile(
    rf"\b(?:the\s+)?(?P<names>{_LOCAL_NAME}(?:,\s+{_LOCAL_NAME})*,?\s+and\s+{_LOCAL_NAME})\s+"
    + _PLURAL_LOCAL.pattern.removeprefix(r"\b")
)


def _coordinated_unknowns(sentence: str, found: list[PlaceMention]) -> list[PlaceMention]:
    """Names in a coordinated list of districts that the gazetteer does not know, placed
    in the province of a known one of the same list, at its coordinates with precision
    admin1 (ACLED's "a nearby town's coordinates" convention). Each is a location of its
    own: an attack "in the A and B districts" is two events."""
    out: list[PlaceMention] = []
    for m in _COORDINATED_LOCAL.finditer(sentence):
        spans = [
            (m.start("names") + n.start(), m.start("names") + n.end())
            for n in re.finditer(_LOCAL_NAME, m.group("names"))
            if n.group(0) != "and"
        ]
        known = [p for p in found if any(p.start == s for s, _ in spans) and p.admin1]
        if not known:
            continue
        sibling = known[0]
        for s, e in spans:
            if any(p.start < e and s < p.end for p in found):
                continue
            out.append(
                PlaceMention(
                    s,
                    e,
                    sentence[s:e],
                    sibling.country,
                    sibling.admin1,
                    sibling.lat,
                    sibling.lon,
                    "admin1",
                    sibling.locative,
                    approximate=True,
                )
            )
    return out
