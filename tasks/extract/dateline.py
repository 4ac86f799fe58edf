"""The place of a wire dateline ("PUTRAJAYA, July 29 - "): where the report was filed.

The coder masks the dateline out of the text it reads (its date is the filing day, its
place is no place of action), but a meeting, deal or statement that names no place of
its own was most often made where the reporter filed from, and an event with no country
at all is most likely in the dateline's country."""

from __future__ import annotations

import re

from tasks.extract.lexicon import country_names, lookup_place
from tasks.extract.namesakes import PlaceMention, weighed_population
from tasks.extract.sentences import dateline_span
from tasks.extract.text import fold

# A dateline city is a bureau's city: a namesake smaller than this is no dateline place
# (a title-case dateline "Reuters, ..." or a person's name the pattern let through).
MIN_DATELINE_POP = 20_000
# "SULAYMANIYAH, Iraq, July 12 - ": the place, then an optional country or state.
_SEPARATOR = re.compile(r"\s*(?:,|\(|\)|:|\s[-\u2013\u2014]+|[-\u2013\u2014]+\s)\s*")


def dateline_place(text: str) -> PlaceMention | None:
    """The city of ``text``'s opening dateline, as a place mention at offset 0 of the
    article (None when the text opens with no dateline or its city is unknown)."""
    span = dateline_span(text)
    if span is None:
        return None
    parts = [p.strip() for p in _SEPARATOR.split(text[:span]) if p.strip()]
    if not parts:
        return None
    name = parts[0]
    rows = [r for r in lookup_place(fold(name)) if r.kind == "city" and r.lat is not None]
    if len(parts) > 1:
        # "KYIV, Ukraine": the country named after the city (a state name matches too).
        iso = country_names().get(fold(parts[1]))
        qualified = [
            r
            for r in rows
            if r.country == iso or (r.admin1 is not None and fold(r.admin1) == fold(parts[1]))
        ]
        rows = qualified or rows
    rows = [r for r in rows if weighed_population(r) >= MIN_DATELINE_POP]
    if not rows:
        return None
    row = max(rows, key=weighed_population)
    start = text.index(name)
    return PlaceMention(
        start,
        start + len(name),
        row.name,
        row.country,
        row.admin1,
        row.lat,
        row.lon,
        "point",
        False,
    )
