"""One event per action, actor pair, place and day (SCHEMA rules 1-2): references ("the
strikes") and bare tolls attach to the event they continue, precise mentions refine a
country-level one, and repeated mentions merge."""

from __future__ import annotations

import re
from dataclasses import replace

from tasks.extract.actors import ActorMention
from tasks.extract.candidates import PHYSICAL, Candidate
from tasks.extract.text import fold, name_key


def attach(cands: list[Candidate]) -> list[Candidate]:
    """References ("the strikes") and weak ("were killed") mentions update earlier events."""
    kept: list[Candidate] = []
    for c in cands:
        if c.kind == "explicit":
            kept.append(c)
            continue
        target = None
        for k in reversed(kept):
            if k.event_type == c.event_type and (
                c.date is None or k.date is None or k.date.value == c.date.value
            ):
                target = k
                break
        if (
            c.kind == "weak"
            and target is not None
            and c.place is not None
            and target.place is not None
            and (_place_key(c) != _place_key(target) or _other_town(c, target))
        ):
            target = None  # a toll at another place is another event
        if target is None and c.kind == "weak" and _crackdown_toll(kept, c):
            continue
        if target is None:
            if c.kind == "weak":
                kept.append(replace(c, kind="explicit"))
            continue
        if c.place is not None and (
            target.place is None
            or (
                target.place.precision == "country"
                and c.place.precision != "country"
                and c.place.country == target.place.country
            )
        ):
            # The reference names where the earlier event happened: one event per place.
            kept.remove(target)
            for g in c.places or [[c.place]]:
                part = replace(target)
                part.place = min(
                    g, key=lambda p: {"point": 0, "admin1": 1, "country": 2}[p.precision]
                )
                part.admin_place = next((p for p in g if p.precision == "admin1"), None)
                kept.append(part)
            target = kept[-1]
        if target.fatalities is None and c.fatalities is not None and len(c.places) <= 1:
            target.fatalities = c.fatalities
        elif target.fatalities is not None and c.fatalities is not None and c.fatalities[0] > 0:
            start = c.fatalities[2] - c.sent.start
            if _MORE_DEAD.search(c.sent.text[max(0, start - 20) : start + len(c.fatalities[1])]):
                # "Two rebels also died in the firefight": more dead in the same event.
                total = target.fatalities[0] + c.fatalities[0]
                target.fatalities = (total, target.fatalities[1], target.fatalities[2])
        if target.actor1 is None and c.actor1 is not None:
            target.actor1 = c.actor1
    return kept


def _crackdown_toll(kept: list[Candidate], c: Candidate) -> bool:
    """ "Police opened fire on protesters ... Nineteen people were killed": a toll right
    after a protest met with force, with no attack of its own, is that protest's dead
    (ACLED: excessive force against protesters). True when it was attached."""
    prev = kept[-1] if kept else None
    if (
        c.fatalities is None
        or prev is None
        or (c.place is not None and _place_key(c) != _place_key(prev))
        or prev.event_type != "PROTEST"
        or prev.sub not in ("Protest with intervention", "Excessive force against protesters")
        or not 0 <= c.sent_index - prev.sent_index <= 1
        or prev.sent.paragraph != c.sent.paragraph
        or (c.date is not None and prev.date is not None and c.date.value != prev.date.value)
        or prev.fatalities is not None
    ):
        return False
    prev.fatalities = c.fatalities
    if c.fatalities[0] > 0:
        prev.acled, prev.sub = "Protests", "Excessive force against protesters"
    return True


# A toll that adds to the one already given for the same event.
_MORE_DEAD = re.compile(r"\b(?:also|another|further|more)\b", re.I)
# How many sentences after a country-level attack a more precise one may refine it.
REFINE_WINDOW = 2


def refine(cands: list[Candidate]) -> list[Candidate]:
    """ "India fired missiles at sites in Pakistan" then "strikes on ... Bahawalpur and ...
    Muzaffarabad": the precise mentions replace the country-level event, inheriting its
    attacker and weapon."""
    dropped: set[int] = set()
    for i, c in enumerate(cands):
        if c.event_type != "ASSAULT" or c.place is None or c.place.precision == "country":
            continue
        for k in reversed(cands[:i]):
            if (
                k.event_type == "ASSAULT"
                and k.place is not None
                and k.place.precision == "country"
                and k.place.country == c.place.country
                and 0 < c.sent_index - k.sent_index <= REFINE_WINDOW
                and (k.date is None or c.date is None or k.date.value == c.date.value)
                and (c.actor1 is None or _same_actor(c.actor1, k.actor1))
            ):
                c.actor1 = c.actor1 or k.actor1
                if c.trigger.generic and k.acled:
                    c.trigger, c.acled, c.sub = k.trigger, k.acled, k.sub
                c.date = c.date or k.date
                dropped.add(id(k))
                break
    return [c for c in cands if id(c) not in dropped]


def _place_key(c: Candidate) -> tuple[str, str] | None:
    if c.place is None:
        return None
    name = c.place.text.removesuffix("'s").removesuffix("\u2019s")
    return (c.place.country, name_key(c.place.admin1 or name))


def _other_town(a: Candidate, b: Candidate) -> bool:
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


def merge(cands: list[Candidate]) -> list[Candidate]:
    """One event per action, actor pair, place and day (SCHEMA rules 1-2)."""
    out: list[Candidate] = []
    for c in cands:
        for k in out:
            same_place = (
                _place_key(k) is not None
                and _place_key(k) == _place_key(c)
                and not _other_town(k, c)
            )
            nearby = (
                c.event_type in PHYSICAL
                and (k.place is None or c.place is None)
                and abs(c.sent_index - k.sent_index) <= NEARBY_SENTENCES
            )
            if c.sent_index != k.sent_index and _SEPARATE.search(c.sent.text[: c.tend]):
                continue  # "In a second strike the same afternoon, a drone hit ..."
            if (
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
            ):
                if k.event_type == "PROTEST" and _VIOLENCE.get(c.sub or "", 0) > _VIOLENCE.get(
                    k.sub or "", 0
                ):
                    k.acled, k.sub = c.acled, c.sub
                if k.trigger.generic and not c.trigger.generic:
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
                break
        else:
            out.append(c)
    # Verbal acts: same type, same actor countries, same day -> one event.
    final: list[Candidate] = []
    for c in out:
        same = next(
            (
                k
                for k in final
                if c.event_type not in PHYSICAL
                and k.event_type == c.event_type
                and k.actor1 is not None
                and c.actor1 is not None
                and k.actor1.country == c.actor1.country
                and k.actor1.type == c.actor1.type
                and (k.actor2.country if k.actor2 else None)
                == (c.actor2.country if c.actor2 else None)
            ),
            None,
        )
        if same is None:
            final.append(c)
        elif c.place is not None and (
            same.place is None
            or (same.place.precision == "country" and c.place.precision != "country")
        ):
            same.place, same.admin_place = c.place, c.admin_place
    return final
