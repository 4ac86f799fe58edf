"""Death tolls that sit apart from their event's trigger: in the next sentence ("No one was
killed", "Two rebels also died") or next to one of several places ("killing three
policemen in Bannu")."""

from __future__ import annotations

import re

from tasks.extract.candidates import Candidate
from tasks.extract.numbers import (
    NUMBER,
    PER_PLACE_MORE,
    TOLL_DOWN,
    find_fatalities_at,
    parse_number,
    updates_toll,
)
from tasks.extract.places import PlaceMention
from tasks.extract.sentences import Sentence

# Cheap test for a sentence that may carry a toll of its own.
_TOLL_WORDS = re.compile(
    r"\b(?:killed|martyred|dead|died|death|deaths|casualties|injuries|fatalities|lives|nobody|"
    r"no one|shot|toll|bodies|buried|burial)\b",
    re.I,
)
# "Two rebels also died", "Another three soldiers were killed": more dead, same event.
# Not "more than 20": that qualifies a figure, it does not add to one.
MORE_DEAD = re.compile(
    r"\b(?:also|another|further|more|second|third|fourth|fifth)\b(?!\s+than\b)", re.I
)
# A sentence that opens a new event ("In a separate attack", "Elsewhere", "Later that day")
# keeps its toll. "Later" only as an opener: "died later in hospital" and "police later
# raised the figure" complete the event before.
_NEW_EVENT = re.compile(
    r"\b(?:separate|elsewhere|earlier|meanwhile|another attack)\b|^\W*later\b|"
    r"\blater\s+(?:that|the\s+same|on)\b",
    re.I,
)
# How far (characters) a toll may end before the place it is given for ("killing three
# policemen in Bannu"): a short preposition phrase, not another clause.
TOLL_TO_PLACE = 25
TOLLED = ("ASSAULT", "PROTEST")
# A revised toll ("By Wednesday, 51 bodies had been recovered") may come this many
# sentences after its attack; any other toll only in the next one.
UPDATE_WINDOW = 3


def follow_up_toll(out: list[Candidate], sent: Sentence, index: int) -> None:
    """A sentence without an act of its own that gives a toll completes the attack of the
    sentence before it: "No casualties were reported." -> 0; "Two rebels also died" adds
    to the toll already given."""
    if not out:
        return
    last = out[-1]
    if (
        last.event_type not in TOLLED
        or not index - UPDATE_WINDOW <= last.sent_index < index
        or not _TOLL_WORDS.search(sent.text)
        or _NEW_EVENT.search(sent.text)
    ):
        return
    toll = find_fatalities_at(sent.text)
    if toll is None:
        return
    value, words, at = toll
    update = updates_toll(words, sent.text)
    if last.sent_index != index - 1 and not update:
        return  # only a revised toll reaches back past the next sentence
    if last.fatalities is None:
        last.fatalities = (value, words, sent.start + at)
    else:
        last.fatalities = later_toll(last.fatalities, (value, words, sent.start + at), sent)


# The attackers' own dead, said in the passive after their attack ("two attackers were
# killed when reinforcements arrived"): dead of the same event (SCHEMA: everyone killed in
# it). Not "the army said it killed 10 militants": an operation of the other side.
_ATTACKERS_DEAD = re.compile(
    r"\b(?:attackers|assailants|raiders|gunmen|gunman|attacker|assailant|(?:suicide\s+)?bombers?)"
    r"\s+(?:were|was|had\s+been)\s+(?:also\s+)?(?:killed|shot\s+dead|gunned\s+down)\b",
    re.I,
)


def later_toll(
    before: tuple[int, str, int], after: tuple[int, str, int], sent: Sentence
) -> tuple[int, str, int]:
    """The event's toll once a later sentence gives another: a revised figure ("the toll
    rose to 15", "59 people had been buried") replaces a smaller one; more dead ("Two rebels
    also died", "A second victim died", "two attackers were killed") add to it."""
    value, words, at = after
    local = at - sent.start
    if updates_toll(words, sent.text) and (value > before[0] or TOLL_DOWN.search(words)):
        return after
    if value > 0 and (
        MORE_DEAD.search(sent.text[max(0, local - 20) : local + len(words)])
        or _ATTACKERS_DEAD.search(words)
    ):
        return (before[0] + value, before[1], before[2])
    return before


def place_tolls(
    c: Candidate, groups: list[list[PlaceMention]]
) -> list[tuple[int, str, int] | None]:
    """Per place group, the toll written right before one of its places, between it and the
    place or trigger before ("beheading six civilians in Macomia and killing two in
    Muidumbe"); else a toll right after the group's place and before the next group's
    ("struck Damascus on Wednesday, killing three people, ... Sweida")."""
    text = c.sent.text
    ends = sorted({p.end for g in groups for p in g} | {c.tend})
    out: list[tuple[int, str, int] | None] = []
    claimed: set[int] = set()
    for group in groups:
        found_here: tuple[int, str, int] | None = None
        for p in group:
            left = max((s for s in ends if s <= p.start), default=0)
            found = find_fatalities_at(text[left : p.start])
            if found is None:
                continue
            value, words, at = found
            if p.start - (left + at + len(words)) <= TOLL_TO_PLACE:
                found_here = (value, words, left + at)
                claimed.add(left + at)
                break
        out.append(found_here)
    for i, group in enumerate(groups):
        if out[i] is not None:
            continue
        start = group[-1].end
        nxt = min((p.start for g in groups[i + 1 :] for p in g if p.start > start), default=None)
        if nxt is None:
            continue
        found = find_fatalities_at(text[start:nxt])
        if found is not None and start + found[2] not in claimed:
            out[i] = (found[0], found[1], start + found[2])
            claimed.add(start + found[2])
    for i, group in enumerate(groups):
        # "killed 13 people in Sanaa and ten in Saada": the bare count before the place.
        before = out[i - 1] if i > 0 else None
        if out[i] is not None or before is None:
            continue
        after = before[2] + len(before[1])
        more = PER_PLACE_MORE.match(text[after : group[0].end])
        count = parse_number(more.group("m")) if more else None
        if more is not None and count is not None:
            out[i] = (count, more.group("m"), after + more.start("m"))
    return [None if t is None else (t[0], t[1], c.sent.start + t[2]) for t in out]


def completes_toll(text: str) -> bool:
    """Whether the sentence's toll completes an earlier attack rather than reporting deaths
    of its own: a revised count ("By Wednesday, 51 bodies had been recovered") or nobody
    ("Nobody died in the blast")."""
    toll = find_fatalities_at(text)
    return toll is not None and (toll[0] == 0 or updates_toll(toll[1], text))


# A count per place in a sentence of its own ("Six of the dead were in Dakar and three in
# Ziguinchor"): the toll of each place's part of the event split just before.
_PLACE_COUNT = re.compile(
    rf"\b(?P<n>{NUMBER})\s+(?:of\s+(?:the\s+)?(?:dead|victims|them|those\s+killed)\s+)?"
    r"(?:(?:were|was|died|were\s+killed|had\s+been\s+killed)\s+)?(?:in|at)\s+"
    r"(?:the\s+)?(?:[\w\-]+\s+){0,2}?(?P<place>[A-Z][\w\-'\u2019]+)",
    re.I,
)
_DEAD_WORDS = re.compile(r"\b(?:dead|died|killed|victims|deaths|fatalities)\b", re.I)


def place_breakdown(out: list[Candidate], sent: Sentence, index: int) -> bool:
    """Give each part of the attack split by place shortly before its count from ``sent``
    ("At least nine people were killed in Dakar and Ziguinchor ... Six of the dead were in
    Dakar and three in Ziguinchor"). True when two or more parts took a count."""
    if not out or not _DEAD_WORDS.search(sent.text):
        return False
    tolled = [
        c
        for c in out
        if c.event_type in TOLLED
        and c.place is not None
        and 0 < index - c.sent_index <= UPDATE_WINDOW
    ]
    # the parts of the last attack split by place: a sentence's tolled acts of one type
    parts: list[Candidate] = []
    for last in reversed(tolled):
        parts = [
            c for c in tolled if c.sent_index == last.sent_index and c.event_type == last.event_type
        ]
        if len(parts) > 1:
            break
    if len(parts) < 2:
        return False
    found: dict[int, tuple[int, str, int]] = {}
    for m in _PLACE_COUNT.finditer(sent.text):
        value = parse_number(m.group("n"))
        name = m.group("place").lower()
        part = next(
            (c for c in parts if c.place is not None and c.place.text.lower() == name), None
        )
        if value is not None and part is not None and id(part) not in found:
            found[id(part)] = (value, m.group(0), sent.start + m.start())
    if len(found) < 2:
        return False
    for c in parts:
        if id(c) in found:
            c.fatalities = found[id(c)]
    return True
