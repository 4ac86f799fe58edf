"""Place names in a sentence, resolved against the gazetteer and country names."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from tasks.extract.lexicon import (
    DATA,
    Place,
    country_names,
    country_only_names,
    has_place,
    lookup_place,
)
from tasks.extract.text import fold

# Tokens that can sit inside a multi-word place name ("Norte de Santander", "Deir ez-Zor").
_CONNECTORS = {"de", "del", "la", "al", "el", "ez", "es", "ad", "ar", "as", "an", "du", "des",
               "ul", "of", "e", "i", "da", "do", "dos", "das", "bin", "ibn", "am", "sur", "en"}
_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f0-9][\w\u00c0-\u024f'\u2019\-]*")
_LOCATIVE = re.compile(
    r"\b(?:in|at|near|outside|around|across|into|inside|from|to|towards|toward|through|"
    r"throughout|on|of|over|between|reached|hit|struck|bombed|shelled|entered|captured|"
    r"seized|pounded|targeted|attacked|stormed|besieged|near)\s+(?:the\s+)?"
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
# Log-population tie-breaker weight against a country the article talks about (a mention
# of the country outweighs roughly a 20x population difference).
CONTEXT_WEIGHT = 3.0


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A resolved place name in a sentence."""

    start: int
    end: int
    text: str
    country: str
    admin1: str | None
    lat: float | None
    lon: float | None
    precision: str  # "point" (city), "admin1" or "country"
    locative: bool  # after "in", "near", ... (a place, not a metonym for a government)


@cache
def stopwords() -> frozenset[str]:
    """Folded words never taken as places/actors on their own."""
    words = set()
    for line in (DATA / "stopwords.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.add(line.strip())
    return frozenset(words)


def _spans(sentence: str) -> list[tuple[int, int, str]]:
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
                if not tj[0].isupper() and tj.lower() not in _CONNECTORS:
                    break
            if tj[0].isupper():
                out.append((s, toks[j][1], sentence[s : toks[j][1]]))
    out.sort(key=lambda x: (-(x[1] - x[0]), x[0]))
    return out


def _choose(rows: tuple[Place, ...], context: Counter[str], admin_hint: bool) -> Place | None:
    best, best_score = None, -1e9
    for row in rows:
        score = math.log10(row.population + 10) + CONTEXT_WEIGHT * min(context.get(row.country, 0), 3)
        if row.kind == "admin1":
            score += 4.0 if admin_hint else 1.0
            if context.get(row.country, 0) == 0:
                score -= 3.0
        if score > best_score:
            best, best_score = row, score
    return best


def find_places(sentence: str, context: Counter[str] | None = None) -> list[PlaceMention]:
    """Places named in ``sentence``; ``context`` counts the article's countries."""
    context = context or Counter()
    stop = stopwords()
    countries = country_names()
    country_names_only = country_only_names()
    taken: list[tuple[int, int]] = []
    out: list[PlaceMention] = []
    for s, e, text in _spans(sentence):
        if any(s < te and ts < e for ts, te in taken):
            continue
        key = fold(text.removesuffix("'s").removesuffix("\u2019s"))
        if key.endswith("'s"):
            key = key[:-2]
        if key in stop or len(key) < 3:
            continue
        locative = bool(_LOCATIVE.search(sentence[max(0, s - 60) : s]))
        admin_hint = bool(_ADMIN_WORD.match(sentence[e : e + 15]))
        if key in country_names_only:
            iso3 = countries[key]
            out.append(PlaceMention(s, e, text, iso3, None, None, None, "country", locative))
            taken.append((s, e))
            continue
        if not has_place(key):
            continue
        row = _choose(lookup_place(key), context, admin_hint)
        if row is None:
            continue
        in_context = context.get(row.country, 0) > 0
        if not (in_context or locative or admin_hint or row.population >= MIN_POP_WITHOUT_CONTEXT):
            continue
        precision = "admin1" if row.kind == "admin1" else "point"
        out.append(
            PlaceMention(s, e, text, row.country, row.admin1, row.lat, row.lon, precision, locative)
        )
        taken.append((s, e))
    out.sort(key=lambda p: p.start)
    return out
