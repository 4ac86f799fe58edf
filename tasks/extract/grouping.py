"""Places of a sentence grouped into places of action, and where an act happened when
its sentence names no place (the capital, or the place of the sentence before)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from tasks.extract.actors import ActorMention
from tasks.extract.lexicon import capitals, country_names
from tasks.extract.places import PlaceMention
from tasks.extract.sentences import Sentence
from tasks.extract.text import fold, name_key


def place_groups(
    places: list[PlaceMention], actors: list[ActorMention], text: str
) -> list[list[PlaceMention]]:
    """Places grouped by admin1 (or city); country-only mentions join a same-country group."""
    usable: list[PlaceMention] = []
    for p in places:
        if not p.locative and usable and COORDINATED.fullmatch(gap(text, usable[-1], p)):
            # "in Iraq and Syria", "Kunar, Khost and Paktika": the preposition carries over.
            p = replace(p, locative=usable[-1].locative)
        inside = [a for a in actors if a.start <= p.start < a.end]
        if any(a.kind in ("group", "person") for a in inside):
            continue  # "Islamic State West Africa Province", "Vladimir Putin"
        if any(a.kind == "country" for a in inside) and not p.locative:
            continue
        if p.precision == "country" and not p.locative:
            continue
        if not p.locative and fold(p.text) in country_names():
            continue  # a capital used for its government ("helping Moscow evade controls")
        usable.append(p)
    if any(p.locative for p in usable):
        # "Gaza's civil defence agency said", "Kharkiv's governor": with a place of action
        # in the sentence, a possessive one names whose officials speak, not where; and
        # so does "..., a military source in Bangui said" after the act.
        usable = [
            p
            for p in usable
            if (p.locative or not p.text.endswith(("'s", "\u2019s")))
            and not (_SPEAKER_AFTER.match(text[p.end :]) and len(usable) > 1)
        ]
    # "at Galle Face in Colombo": the landmark is in the city the sentence names.
    usable = [
        p
        for p in usable
        if not p.landmark
        or not any(q.lat == p.lat and q.lon == p.lon and not q.landmark for q in usable)
    ]
    groups: list[list[PlaceMention]] = []
    for i, p in enumerate(usable):
        key = (p.country, name_key(p.admin1 or p.text)) if p.precision != "country" else None
        prev = usable[i - 1] if i else None
        if (
            prev is not None
            and p.precision != "country"
            and _BETWEEN_GAP.fullmatch(gap(text, prev, p))
            and BETWEEN_BEFORE.search(text[: prev.start])
        ):
            # "on the road between Bahir Dar and Dangila": one place of action.
            next(g for g in groups if prev in g).append(p)
            continue
        if (
            prev is not None
            and all(q.precision == "point" or q.approximate for q in (p, prev))
            and fold(p.text) != fold(prev.text)
            and COORDINATED.fullmatch(gap(text, prev, p))
            and not BETWEEN_BEFORE.search(text[: prev.start])
        ):
            # "in Macomia and Muidumbe", "Kherson, Mykolaiv and Odesa": coordinated towns
            # are each a location of their own, even within one province.
            groups.append([p])
            continue
        for g in groups:
            gk = [(q.country, name_key(q.admin1 or q.text)) for q in g if q.precision != "country"]
            if (
                key is None
                and any(q.country == p.country for q in g)
                or key in gk
                or (p.precision != "country" and not gk and g[0].country == p.country)
            ):
                g.append(p)
                break
        else:
            groups.append([p])
    return groups


# A place that ends an attribution: "..., a military source in Bangui said."
_SPEAKER_AFTER = re.compile(r"^[\"\u201d']?,?\s+(?:said|says|told|reported|added|confirmed)\b")


# What may sit between two coordinated places ("X and Y", "X, Y and Z", "X or Y").
COORDINATED = re.compile(
    r"\s*(?:,|,?\s*and|,?\s*or|&)\s+(?:the\s+)?(?:(?:[a-z\-]+|[A-Z][\w\-]+(?:'s|\u2019s))\s+)?"
)


# "between Cibitoke town and Bujumbura": the two ends of one place of action.
_BETWEEN_GAP = re.compile(r"\s*(?:[a-z\-]+\s+){0,2}and\s+(?:the\s+)?(?:[a-z\-]+\s+){0,2}")
# "tensions between Afghanistan and Pakistan": one relation, not two places of action.
BETWEEN_BEFORE = re.compile(r"\bbetween\s+(?:the\s+)?$", re.I)


def gap(text: str, a: PlaceMention, b: PlaceMention) -> str:
    """The sentence text between two places of one sentence ("!" if not in order)."""
    return text[a.end : b.start] if a.end <= b.start else "!"


def best_place(group: list[PlaceMention]) -> tuple[PlaceMention, PlaceMention | None]:
    rank = {"point": 0, "admin1": 1, "country": 2}
    # A city named beside a landmark is the location ("the Arc de Triomphe in Paris").
    best = min(group, key=lambda p: (rank[p.precision], p.landmark, p.start))
    admin = next((p for p in group if p.precision == "admin1"), None)
    return best, admin


# "in the capital" with no name after it.
THE_CAPITAL = re.compile(
    r"\b(?:in|into|across|around|near|outside)\s+(the\s+(?:country's\s+|nation's\s+)?capital)"
    r"(?![\w\s,]{0,3}[A-Z])",
)


def fallback_groups(
    sent: Sentence,
    prev: Sentence | None,
    prev_places: list[PlaceMention],
    prev_actors: list[ActorMention],
    context: Counter[str],
    recent_country: str | None = None,
) -> list[list[PlaceMention]]:
    """Where an act happened when its sentence names no place: "in the capital" is the
    capital of the country the article is mostly about; otherwise ("Farmers drove tractors
    into Brussels ... Police detained 20 people.") the place of the sentence before, in
    the same paragraph (``prev_places``, resolved in the article's context)."""
    the_capital = THE_CAPITAL.search(sent.text)
    if the_capital and (context or recent_country):
        # The country of the passage ("fighting in Sudan's Darfur ... shelling in the
        # capital"), else the one the article is mostly about.
        row = capitals().get(recent_country or context.most_common(1)[0][0])
        if row is not None:
            s0, e0 = the_capital.span(1)
            mention = PlaceMention(
                s0,
                e0,
                sent.text[s0:e0],
                row.country,
                row.admin1,
                row.lat,
                row.lon,
                "point",
                True,
                False,
                sent.start,
            )
            return [[mention]]
    if prev is None or prev.paragraph != sent.paragraph:
        return []
    return place_groups(prev_places, prev_actors, prev.text)[:1]
