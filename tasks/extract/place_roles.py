"""What a place name does in its sentence besides naming where an act happened: where
the people who report it were ("the defence ministry in Niamey said", "told reporters in
Kabul", "a statement from Bamako"). Such a place is the event's location only when
nothing else in the sentence or the article before it says where the act was."""

from __future__ import annotations

import re

from tasks.extract.namesakes import PlaceMention

# Words right before the place: reporting from it.
_REPORTED_FROM = re.compile(
    r"(?:\b(?:told|telling|briefed|briefing)\s+(?:reporters|journalists|the\s+press|"
    r"(?:a\s+)?(?:news|press)\s+conference|parliament|lawmakers|diplomats|(?:the\s+)?[A-Z][\w.]+)"
    r"|\b(?:statement|communiqu[e\u00e9]|press\s+release|(?:news|press)\s+conference|briefing|"
    r"speech|interview|address|remarks|broadcast)(?:\s+(?:issued|released|given|held|"
    r"delivered|made|published|read\s+out))?"
    r"|\b(?:[Ss]peaking|[Ww]riting|[Rr]eporting|said|says|announced|added)"
    r"(?:\s+(?:on|late|early)\s+[A-Z]?[a-z]+)?"
    r"|\b[Aa]ddressing\s+(?:[\w\-]+\s+){1,4}?)"
    r"\s+(?:in|from)\s+(?:the\s+)?$"
)
# A speaker noun right before the place, and a reporting verb right after it ("officials
# in Kyiv said"): the office's seat, not the act's place. Residents and witnesses are
# left out: they speak from where it happened.
_SPEAKER_NOUN = re.compile(
    r"\b(?:ministry|ministries|officials?|spokes(?:man|woman|person)|government|authorities|"
    r"sources?|headquarters|command|analysts?|diplomats?|presidency|embassy|office|agency|"
    r"commission|council|junta|mission|observatory|correspondent|prosecutors?)\s+"
    r"(?:in|from|based\s+in)\s+(?:the\s+)?$",
    re.I,
)
_SAID_AFTER = re.compile(
    r"^(?:\s*,[^,]{0,60},)?\s*(?:said|says|told|announced|reported|confirmed|added|stated|"
    r"claimed|alleged|denied|warned)\b"
)
# Characters before a place searched for the words that make it a speaker's.
SPEAKER_WINDOW = 70


# Where the wounded were treated or died ("died in a hospital in Cali", "airlifted to a
# hospital in the state capital Raipur"): not where they were attacked (SCHEMA: location is
# where the event happened).
_CARE_PLACE = re.compile(
    r"\b(?:hospitals?|clinics?|morgue|mortuary|medical\s+(?:centre|center|facility))\s+"
    r"(?:in|at)\s+(?:the\s+)?(?:[\w\-]+\s+){0,3}?$",
    re.I,
)


def speaker_place(sentence: str, start: int, end: int) -> bool:
    """Whether the place at ``start:end`` is where a statement was made or reported from,
    or where the wounded were treated."""
    before = sentence[max(0, start - SPEAKER_WINDOW) : start]
    if _REPORTED_FROM.search(before) or _CARE_PLACE.search(before):
        return True
    return bool(_SPEAKER_NOUN.search(before) and _SAID_AFTER.match(sentence[end:]))


# A capitalised name right after "in", "near", "at": a place, known to the gazetteer or
# not ("an attack on its camp in Boulkessi").
_AFTER_LOCATIVE = re.compile(
    r"\b(?:in|near|at|outside|around|inside)\s+(?:the\s+)?([A-Z][\w'\u2019\-]+)"
)
# Capitalised words after "in" that are not places: months, weekdays, articles.
_NOT_PLACE_WORD = re.compile(
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*|"
    r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|The|An?|It"
)


def unknown_place(sentence: str, known: list[PlaceMention]) -> bool:
    """Whether the sentence names, after a locative word, a place besides ``known`` (one
    the gazetteer may lack)."""
    for m in _AFTER_LOCATIVE.finditer(sentence):
        if _NOT_PLACE_WORD.fullmatch(m.group(1)):
            continue
        if not any(p.start <= m.start(1) < p.end for p in known):
            return True
    return False
