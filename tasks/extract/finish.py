"""The last step of coding a sentence: share its places among its acts, give an attack or
protest its toll, set the ACLED types, and split an act named at several places into one
event per place (SCHEMA rule 1)."""

from __future__ import annotations

import re
from dataclasses import replace

from tasks.extract.arguments import assault_type, crowd_event, protest_type, shift_day
from tasks.extract.candidates import Candidate
from tasks.extract.grouping import BETWEEN_BEFORE, COORDINATED, best_place, gap
from tasks.extract.numbers import sentence_tolls
from tasks.extract.places import PlaceMention
from tasks.extract.tolls import TOLLED, place_tolls

# Acts whose places are shared out when a sentence reports several of them.
PLACED = {"ASSAULT", "PROTEST", "COERCE", "MOBILIZE", "RETREAT", "AID"}
# Acts that are one event per place when their sentence names several (SCHEMA rule 1):
# attacks, protests, arrests ("detained suspects in raids in Kabul and Balkh").
SPLIT_BY_PLACE = {"ASSAULT", "PROTEST", "COERCE"}

Groups = list[list[PlaceMention]]
# An earlier attack named in a clause of its own, with nothing closing the clause before the
# toll ("days after an ambush on a military convoy that ... left nine soldiers dead").
_AFTER_ATTACK = re.compile(
    r"\b(?:after|following)\s+(?:an?|the|this|last|[\w\-]+['\u2019]s)\s+(?:[\w\-]+\s+){0,3}?"
    r"(?:attack|ambush|raid|bombing|explosion|blast|strike|massacre|assault|shelling)s?\b"
    r"[^,;.]*$",
    re.I,
)
# Toll words that name deaths as a grievance ("the killing of 23 civilians").
_CAUSE = re.compile(r"(?:massacre|killings?|deaths?|murders?)\s+of\b", re.I)


def finish(
    cands: list[Candidate], groups: Groups, toll: tuple[int, str, int] | None
) -> list[Candidate]:
    """Attach places, toll and ACLED types; split an attack, protest or arrests over the
    places of one country."""
    physical = [c for c in cands if c.event_type in PLACED and c.kind != "ref"]
    owner = {id(g): _owner(g, physical) for g in groups} if len(physical) > 1 else {}
    own_tolls = _own_tolls(cands, physical, toll)
    out: list[Candidate] = []
    for c in cands:
        mine = _one_country(c, _precise_first(c.sent.text, _own_places(c, groups, physical, owner)))
        c.places = mine
        split = c.event_type in SPLIT_BY_PLACE and len(mine) > 1 and c.kind != "ref"
        mine_toll = own_tolls.get(id(c))
        if mine_toll is not None and not split:
            c.fatalities = (mine_toll[0], mine_toll[1], c.sent.start + mine_toll[2])
        _set_types(c)
        if split:
            out.extend(_split(c, mine, mine_toll))
            continue
        if mine:
            c.place, c.admin_place = best_place(mine[0])
        out.append(c)
    return out


def _owner(group: list[PlaceMention], acts: list[Candidate]) -> Candidate:
    """The act a place belongs to: the last trigger before it, else the nearest one."""
    before = [k for k in acts if k.tstart <= group[0].start]
    if before:
        return max(before, key=lambda k: k.tstart)
    return min(acts, key=lambda k: abs(k.tstart - group[0].start))


def _own_places(
    c: Candidate, groups: Groups, physical: list[Candidate], owner: dict[int, Candidate]
) -> Groups:
    """The place groups of ``c``: all of them, unless the sentence reports several acts;
    then each place goes to the act it follows ("killed two in Jenin and arrested 12 in
    Nablus")."""
    if not owner or c not in physical:
        return groups
    mine = [g for g in groups if owner[id(g)] is c]
    nxt = next((k for k in physical if k.tstart > c.tstart), None)
    if not mine and nxt is not None and " and " in c.sent.text[c.tend : nxt.tstart]:
        # "killed five villagers and abducted 20 others in Zamfara": shared place.
        mine = [g for g in groups if owner[id(g)] is nxt]
    return mine


def _precise_first(text: str, mine: Groups) -> Groups:
    """A country named as an origin or an owner does not outrank a town or province named
    after it: "soldiers from Burkina Faso in Niger's Tillaberi region clashed" happened in
    Tillaberi, "the closure of Russia's consulate in Gdansk" in Gdansk, "the ministers of
    Armenia and Azerbaijan ended talks in Almaty" in Almaty."""
    if not mine or not all(p.precision == "country" and _owner_or_origin(text, p) for p in mine[0]):
        return mine
    for i, g in enumerate(mine):
        if any(p.precision != "country" for p in g):
            return [g, *mine[:i], *mine[i + 1 :]]
    return mine


def _owner_or_origin(text: str, p: PlaceMention) -> bool:
    """ "Russia's", "from Yemen", "the ministers of Armenia": whose or from where, not
    where ("missiles at Israel" is where)."""
    before = text[max(0, p.start - 10) : p.start]
    return p.text.endswith(("'s", "\u2019s")) or bool(_OWNER_BEFORE.search(before))


# Words before a country that make it an origin or an owner.
_OWNER_BEFORE = re.compile(r"\b(?:from|of)\s+(?:the\s+)?$")


def _one_country(c: Candidate, mine: Groups) -> Groups:
    """One event per place, within one country: a place abroad in the same sentence
    belongs to another (background) event, unless it is coordinated with the first
    ("strikes in Iraq and Syria": one event in each)."""
    if c.event_type not in SPLIT_BY_PLACE or len(mine) <= 1:
        return mine
    first = mine[0]
    text = c.sent.text
    return [
        g
        for g in mine
        if g[0].country == first[0].country
        or (
            COORDINATED.fullmatch(gap(text, first[-1], g[0]))
            and not BETWEEN_BEFORE.search(text[: first[-1].start])
        )
    ]


def _own_tolls(
    cands: list[Candidate], physical: list[Candidate], toll: tuple[int, str, int] | None
) -> dict[int, tuple[int, str, int]]:
    """Each attack's or protest's toll (offsets in the sentence). One act takes the
    sentence's toll; several acts each take the toll written nearest their trigger
    ("shelling killed three children in Taiz, and nine fighters died in clashes in
    Marib"), or the one toll goes to the act nearest it."""
    if toll is None:
        return {}
    tolled = [k for k in physical if k.event_type in TOLLED]
    if len(tolled) > 1:
        every = sentence_tolls(tolled[0].sent.text)
        if len(every) > 1:
            owned: dict[int, tuple[int, str, int]] = {}
            for t in every:
                k = min(tolled, key=lambda k: _distance(k, t))
                if id(k) not in owned or _distance(k, t) < _distance(k, owned[id(k)]):
                    owned[id(k)] = t
            return owned
    return {
        id(c): toll
        for c in cands
        if _takes_toll(c, physical, toll)
        and not (c.event_type == "PROTEST" and _cause(toll))
        and not _earlier_attack(c, toll)
    }


def _earlier_attack(c: Candidate, toll: tuple[int, str, int]) -> bool:
    """A toll in a clause about an earlier attack, after the act's trigger ("air strikes
    ..., days after an ambush on a convoy that left nine soldiers dead"): that attack's
    dead, not the act's."""
    m = _AFTER_ATTACK.search(c.sent.text[: toll[2]])
    return m is not None and c.tend <= m.start()


def _cause(toll: tuple[int, str, int]) -> bool:
    """A toll a protest is about, not one it suffered: "to denounce the killing of 23
    civilians", "over the deaths of three students"."""
    return bool(_CAUSE.match(toll[1]))


def _distance(c: Candidate, toll: tuple[int, str, int]) -> int:
    """Characters between an act's trigger and a toll's words (0 when they overlap)."""
    start, end = toll[2], toll[2] + len(toll[1])
    return max(0, start - c.tend, c.tstart - end)


def _takes_toll(c: Candidate, physical: list[Candidate], toll: tuple[int, str, int]) -> bool:
    """Whether the sentence's toll is this attack's or protest's: the only physical act,
    or the one whose trigger is nearest the toll."""
    tolled = [k for k in physical if k.event_type in TOLLED]
    return c.event_type in TOLLED and (
        len(tolled) < 2 or min(tolled, key=lambda k: abs(k.tstart - toll[2])) is c
    )


def _set_types(c: Candidate) -> None:
    """The act's day shift and its ACLED event and sub-event types."""
    shift_day(c)
    if c.event_type == "ASSAULT" and crowd_event(c):
        c.event_type = "PROTEST"
    if c.event_type == "ASSAULT":
        assault_type(c)
    elif c.event_type == "PROTEST":
        protest_type(c)
    else:
        c.acled, c.sub = c.trigger.acled, c.trigger.sub


def _split(c: Candidate, mine: Groups, whole: tuple[int, str, int] | None) -> list[Candidate]:
    """One event per place group, each with the toll written next to its place. A toll
    given for them all ("Two people were killed when drones struck X and Y") goes to the
    first, so that the events' tolls add up to the text's."""
    out: list[Candidate] = []
    here = place_tolls(c, mine)
    if whole is not None and all(t is None for t in here):
        here[0] = (whole[0], whole[1], c.sent.start + whole[2])
    for g, toll_here in zip(mine, here, strict=True):
        part = replace(c)
        part.place, part.admin_place = best_place(g)
        part.places = [g]
        part.fatalities = toll_here
        out.append(part)
    return out
