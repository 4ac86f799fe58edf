"""One event per action, actor pair, place and day (SCHEMA rules 1-2): precise mentions
refine a country-level one, and repeated mentions merge (references and bare tolls are
attached first, in attach.py).

Each mention is compared only with the events it could join: those a few sentences away,
and those at its place; they are found through indexes, so an article's length does not
make every mention rescan all earlier ones."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tasks.extract.actors import ActorMention
from tasks.extract.budget import NO_BUDGET, Budget
from tasks.extract.candidates import PHYSICAL, Candidate
from tasks.extract.text import fold, name_key

# How many sentences after a country-level attack a more precise one may refine it.
REFINE_WINDOW = 2


def refine(cands: list[Candidate], budget: Budget = NO_BUDGET) -> list[Candidate]:
    """ "India fired missiles at sites in Pakistan" then "strikes on ... Bahawalpur and ...
    Muzaffarabad": the precise mentions replace the country-level event, inheriting its
    attacker and weapon."""
    dropped: set[int] = set()
    # Country-level attacks by sentence, as (position, attack): the only candidates a
    # precise one may refine are those of the REFINE_WINDOW sentences before its own.
    coarse: dict[int, list[tuple[int, Candidate]]] = {}
    for i, c in enumerate(cands):
        budget.check("refining country-level attacks")
        if c.event_type != "ASSAULT" or c.place is None:
            continue
        if c.place.precision == "country":
            coarse.setdefault(c.sent_index, []).append((i, c))
            continue
        window = [
            entry
            for back in range(1, REFINE_WINDOW + 1)
            for entry in coarse.get(c.sent_index - back, ())
        ]
        window.sort(key=lambda entry: -entry[0])  # the latest first, as a backward scan
        k = next((k for _, k in window if _refines(c, k)), None)
        if k is not None:
            c.actor1 = c.actor1 or k.actor1
            if c.trigger.generic and k.acled:
                c.trigger, c.acled, c.sub = k.trigger, k.acled, k.sub
            c.date = c.date or k.date
            dropped.add(id(k))
    return [c for c in cands if id(c) not in dropped]


def _refines(c: Candidate, k: Candidate) -> bool:
    """Whether the precise attack ``c`` names where the country-level attack ``k`` of a
    sentence shortly before happened."""
    return (
        k.event_type == "ASSAULT"
        and k.place is not None
        and c.place is not None
        and k.place.precision == "country"
        and k.place.country == c.place.country
        and 0 < c.sent_index - k.sent_index <= REFINE_WINDOW
        and (k.date is None or c.date is None or k.date.value == c.date.value)
        and (c.actor1 is None or _same_actor(c.actor1, k.actor1))
    )


def place_key(c: Candidate) -> tuple[str, str] | None:
    if c.place is None:
        return None
    name = c.place.text.removesuffix("'s").removesuffix("\u2019s")
    return (c.place.country, name_key(c.place.admin1 or name))


def other_town(a: Candidate, b: Candidate) -> bool:
    """Two different towns of one province ("in Lahore" ... "in Rawalpindi"): two places."""
    pa, pb = a.place, b.place
    if pa is None or pb is None:
        return False
    if not all(p.precision == "point" or p.approximate for p in (pa, pb)):
        return False
    if any(p.admin_hint or fold(p.text) == fold(p.admin1 or "") for p in (pa, pb)):
        return False  # "Sagaing (region)": the town may stand for its province
    if pa.approximate or pb.approximate:
        return fold(pa.text) != fold(pb.text)  # set at a neighbour's coordinates
    return (pa.lat, pa.lon) != (pb.lat, pb.lon)


def _same_actor(a: ActorMention | None, b: ActorMention | None) -> bool:
    return a is None or b is None or (a.country == b.country or None in (a.country, b.country))


def _other_speaker(a: Candidate, b: Candidate) -> bool:
    """Two statements of one sentence by different parties ("The SDF blamed Turkish-backed
    factions, while the town's authorities blamed the SDF"): two events."""
    x, y = a.actor1, b.actor1
    return (
        a.event_type not in PHYSICAL
        and a.sent_index == b.sent_index
        and x is not None
        and y is not None
        and fold(x.text) != fold(y.text)
    )


def _other_counterpart(a: Candidate, b: Candidate) -> bool:
    """Two named counterparts of different countries in a verbal act ("hosted Mohamud and
    Abiy"): two pairs of actors, so two events even at one place and day. (Attacks keep
    merging: their targets are often named loosely, "Taliban officials" then "the TTP".)"""
    x, y = a.actor2, b.actor2
    return (
        a.event_type not in PHYSICAL
        and x is not None
        and y is not None
        and x.kind != "role"
        and y.kind != "role"
        and x.country is not None
        and y.country is not None
        and x.country != y.country
    )


def _better_actor(a: ActorMention | None, b: ActorMention | None) -> ActorMention | None:
    """The more specific of two mentions of one actor (a named group beats a role noun)."""
    if a is None or b is None:
        return a or b
    order = {"group": 0, "person": 0, "country": 1, "demonym": 1, "role": 2}
    return b if order.get(b.kind, 5) < order.get(a.kind, 5) else a


# A repeated mention without a place of its own merges with one this many sentences away.
NEARBY_SENTENCES = 2
# Protest sub-types from calm to violent: merged mentions keep the most violent.
_VIOLENCE = {
    "Peaceful protest": 0,
    "Protest with intervention": 1,
    "Excessive force against protesters": 2,
    "Violent demonstration": 3,
}


# Words before a trigger that announce an incident of its own ("In a second strike").
_SEPARATE = re.compile(r"\b(?:separate(?:ly)?|another|second|third|elsewhere)\b", re.I)
# A sentence that names another incident, not more of the same one.
_ANOTHER = re.compile(
    r"\b(?:separate(?:ly)?|another|second|third|also|elsewhere|meanwhile)\b", re.I
)


def _elaborates(k: Candidate, c: Candidate, same_place: bool) -> bool:
    """A later mention at the same named place and day that adds detail to an attack
    (SCHEMA rule 2): unattributed ("US air strikes ... in Sanaa" then "In Sanaa, missiles
    hit a building"), or in the very next sentence ("ambushed a convoy near Djibo" then
    "the convoy came under fire near Djibo after a vehicle hit an explosive device")."""
    if not (same_place and k.place is not None and c.place is not None):
        return False
    if fold(k.place.text) != fold(c.place.text) or c.sent_index <= k.sent_index:
        return False
    if c.actor1 is None and k.actor1 is not None and k.acled == c.acled:
        return True
    return (
        k.event_type == "ASSAULT"
        and c.sent_index - k.sent_index == 1
        and (c.date is None or (k.date is not None and k.date.value == c.date.value))
        and not _ANOTHER.search(c.sent.text)
    )


@dataclass(slots=True)
class _Merged:
    """The events merged so far, and two indexes of their positions: by place and type
    (a repeat at the same place may come anywhere in the article), and by sentence and
    type (a repeat without a place joins one at most NEARBY_SENTENCES away)."""

    events: list[Candidate] = field(default_factory=list)
    by_place: dict[tuple[tuple[str, str], str], list[int]] = field(default_factory=dict)
    by_sentence: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def add(self, c: Candidate) -> None:
        pos = len(self.events)
        self.events.append(c)
        self.by_sentence.setdefault((c.sent_index, c.event_type), []).append(pos)
        self.placed(pos)

    def placed(self, pos: int) -> None:
        """Index event ``pos`` under its place (once it has one)."""
        c = self.events[pos]
        key = place_key(c)
        if key is not None:
            self.by_place.setdefault((key, c.event_type), []).append(pos)

    def partners(self, c: Candidate) -> list[int]:
        """Positions, in order, of every event ``c`` could merge with: of its type, and at
        its place or (for an act) nearby."""
        found: set[int] = set()
        key = place_key(c)
        if key is not None:
            found.update(self.by_place.get((key, c.event_type), ()))
        if c.event_type in PHYSICAL:
            for i in range(c.sent_index - NEARBY_SENTENCES, c.sent_index + NEARBY_SENTENCES + 1):
                found.update(self.by_sentence.get((i, c.event_type), ()))
        return sorted(found)


def merge(cands: list[Candidate], budget: Budget = NO_BUDGET) -> list[Candidate]:
    """One event per action, actor pair, place and day (SCHEMA rules 1-2)."""
    merged = _Merged()
    for c in cands:
        budget.check("merging repeated mentions")
        for pos in merged.partners(c):
            k = merged.events[pos]
            if c.sent_index != k.sent_index and _SEPARATE.search(c.sent.text[: c.tend]):
                continue  # "In a second strike the same afternoon, a drone hit ..."
            if _merges(k, c):
                had_place = k.place is not None
                _absorb(k, c)
                if not had_place and k.place is not None:
                    merged.placed(pos)
                break
        else:
            merged.add(c)
    return _merge_verbal(merged.events, budget)


def _merges(k: Candidate, c: Candidate) -> bool:
    """Whether ``c`` repeats the earlier event ``k``: same type and sub-type (or a generic
    trigger, or added detail), same place or nearby, same day and compatible actors."""
    same_place = place_key(k) is not None and place_key(k) == place_key(c) and not other_town(k, c)
    nearby = (
        c.event_type in PHYSICAL
        and (k.place is None or c.place is None)
        and abs(c.sent_index - k.sent_index) <= NEARBY_SENTENCES
    )
    return (
        k.event_type == c.event_type
        and (
            k.sub == c.sub
            or k.event_type == "PROTEST"
            or (
                (nearby or (same_place and k.sent_index != c.sent_index))
                and (k.trigger.generic or c.trigger.generic)
            )
            or _elaborates(k, c, same_place)
        )
        and (same_place or nearby)
        and (k.date is None or c.date is None or k.date.value == c.date.value)
        and _same_actor(k.actor1, c.actor1)
        and not _other_counterpart(k, c)
        and not _other_speaker(k, c)
    )


def _absorb(k: Candidate, c: Candidate) -> None:
    """The earlier event ``k`` takes what the repeat ``c`` adds: a more violent protest
    sub-type, a specific trigger, a place, a toll, better actors, the act's own day."""
    if k.event_type == "PROTEST" and _VIOLENCE.get(c.sub or "", 0) > _VIOLENCE.get(k.sub or "", 0):
        k.acled, k.sub = c.acled, c.sub
    if k.trigger.generic and not c.trigger.generic and not _milder(c, k):
        k.trigger, k.acled, k.sub = c.trigger, c.acled, c.sub
    if k.place is None and c.place is not None:
        k.place, k.admin_place, k.places = c.place, c.admin_place, c.places
    k.fatalities = k.fatalities or c.fatalities
    if k.date is None and c.date is not None:
        # The mention that dates the event describes it best.
        k.actor1 = _better_actor(c.actor1, k.actor1)
        k.actor2 = _better_actor(c.actor2, k.actor2)
    else:
        k.actor1 = _better_actor(k.actor1, c.actor1)
        k.actor2 = _better_actor(k.actor2, c.actor2)
    if k.date is None or (
        k.date.speech and c.date is not None and not c.date.speech and c.date.value
    ):
        k.date = c.date  # the day of the act beats the day it was reported


# ACLED's violent event types: an act of these is not recoded as a strategic development.
_VIOLENT_TYPES = frozenset({"Battles", "Violence against civilians", "Explosions/Remote violence"})


def _milder(c: Candidate, k: Candidate) -> bool:
    """``c`` names a strategic development (shops burnt, cattle driven away) of the
    violent act ``k`` ("Gunmen killed nine villagers ... set fire to shops"): the act
    stays an attack, as ACLED codes the more violent side of one event."""
    return c.acled == "Strategic developments" and k.acled in _VIOLENT_TYPES


def _merge_verbal(events: list[Candidate], budget: Budget) -> list[Candidate]:
    """Verbal acts: same type, same actor countries, same day -> one event (the first;
    a later one may give it a more precise place)."""
    final: list[Candidate] = []
    first: dict[tuple[str, str | None, str | None, str | None], Candidate] = {}
    for c in events:
        budget.check("merging verbal acts")
        key = _verbal_key(c)
        same = first.get(key) if key is not None else None
        if same is None:
            final.append(c)
            if key is not None:
                first[key] = c
        elif c.place is not None and (
            same.place is None
            or (same.place.precision == "country" and c.place.precision != "country")
        ):
            same.place, same.admin_place = c.place, c.admin_place
    return final


def _verbal_key(c: Candidate) -> tuple[str, str | None, str | None, str | None] | None:
    """What makes two verbal acts one: type, actor1's country and type, actor2's country."""
    if c.event_type in PHYSICAL or c.actor1 is None:
        return None
    a2 = c.actor2.country if c.actor2 else None
    return (c.event_type, c.actor1.country, c.actor1.type, a2)
