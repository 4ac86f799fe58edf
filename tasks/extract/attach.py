"""References ("the strikes") and weak mentions ("were killed") update the event they
continue: the latest earlier event of their type and day. The events kept so far are
indexed by type and day, so finding that event does not rescan the article."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from tasks.extract.budget import NO_BUDGET, Budget
from tasks.extract.candidates import Candidate
from tasks.extract.merging import other_town, place_key
from tasks.extract.numbers import NUMBER
from tasks.extract.places import PlaceMention
from tasks.extract.tolls import UPDATE_WINDOW, later_toll

# One more of an attack's victims dying ("A second victim died", "Another of the wounded
# died in hospital").
# Or more of them: "Six more people died of their injuries on Saturday", "Another three
# were killed".
_ANOTHER_DEATH = re.compile(
    r"^\W*(?:an?\s+)?(?:second|third|fourth|another|further)\s+(?:[\w\-]+\s+){0,3}?"
    r"(?:died|was\s+(?:also\s+)?killed|succumbed)\b"
    rf"|^\W*(?:(?:another|a\s+further)\s+(?:{NUMBER})|(?:{NUMBER})\s+more)\s+(?:[\w\-]+\s+){{0,3}}?"
    r"(?:died|were\s+(?:also\s+)?killed|succumbed)\b",
    re.I,
)
# A protest met with force whose dead the next sentences may add to.
_CRACKDOWN = ("Protest with intervention", "Excessive force against protesters")
# Bucket of the events of a type whatever their date, and of those without a date.
_ANY_DAY = "any"
_NO_DATE = "none"


@dataclass(slots=True)
class _Kept:
    """The events kept so far, in order, and for each (type, day) bucket its events in
    that order: the latest event a mention can continue is at the end of one or two
    buckets. Removed events are dropped from a bucket's end lazily."""

    # id -> (when it was kept, event), in that order.
    order: dict[int, tuple[int, Candidate]] = field(default_factory=dict)
    buckets: dict[tuple[str, object], list[Candidate]] = field(default_factory=dict)
    added: int = 0

    def add(self, c: Candidate) -> None:
        self.order[id(c)] = (self.added, c)
        self.added += 1
        day = _NO_DATE if c.date is None else ("day", c.date.value)
        for key in ((c.event_type, _ANY_DAY), (c.event_type, day)):
            self.buckets.setdefault(key, []).append(c)

    def remove(self, c: Candidate) -> None:
        # Kept events are never equal field for field (each has its own trigger span,
        # place or actor pair), so removing by identity is list.remove's choice.
        del self.order[id(c)]

    def last(self) -> Candidate | None:
        last = next(reversed(self.order.values()), None)
        return None if last is None else last[1]

    def events(self) -> list[Candidate]:
        return [c for _, c in self.order.values()]

    def _latest(self, key: tuple[str, object]) -> Candidate | None:
        bucket = self.buckets.get(key)
        while bucket and id(bucket[-1]) not in self.order:
            bucket.pop()
        return bucket[-1] if bucket else None

    def target(self, c: Candidate) -> Candidate | None:
        """The latest kept event of ``c``'s type whose day agrees with ``c``'s (either
        has no date, or both the same day)."""
        if c.date is None:
            return self._latest((c.event_type, _ANY_DAY))
        found = [
            k
            for k in (
                self._latest((c.event_type, _NO_DATE)),
                self._latest((c.event_type, ("day", c.date.value))),
            )
            if k is not None
        ]
        return max(found, key=lambda k: self.order[id(k)][0], default=None)


def attach(cands: list[Candidate], budget: Budget = NO_BUDGET) -> list[Candidate]:
    """References ("the strikes") and weak ("were killed") mentions update earlier events."""
    kept = _Kept()
    for c in cands:
        budget.check("attaching references to their events")
        if c.kind == "explicit":
            kept.add(c)
            continue
        target = kept.target(c)
        if target is None and c.kind == "weak":
            target = _more_dead_of(kept, c)
        if (
            c.kind == "weak"
            and target is not None
            and c.place is not None
            and target.place is not None
            and (place_key(c) != place_key(target) or other_town(c, target))
        ):
            target = None  # a toll at another place is another event
        if target is None and c.kind == "weak" and _crackdown_toll(kept.last(), c):
            continue
        if target is None and c.kind == "weak" and _told_again(kept, c):
            continue
        if target is None:
            if c.kind == "weak" or _first_told(c):
                kept.add(replace(c, kind="explicit"))
            continue
        if c.place is not None and (
            target.place is None
            or (
                target.place.precision == "country"
                and c.place.precision != "country"
                and c.place.country == target.place.country
            )
        ):
            target = _place_parts(kept, target, c.places or [[c.place]])
        _add_toll(target, c)
        if target.actor1 is None and c.actor1 is not None:
            target.actor1 = c.actor1
    return kept.events()


def _more_dead_of(kept: _Kept, c: Candidate) -> Candidate | None:
    """ "A second soldier died of his wounds on Monday", "Another victim died later": a
    death that adds to the attack just told, though on a later day."""
    last = kept._latest((c.event_type, _ANY_DAY))
    prev = kept.last()
    if (
        prev is not None
        and prev.event_type == "PROTEST"
        and prev.sub in _CRACKDOWN
        and prev.fatalities is not None
        and (last is None or kept.order[id(prev)][0] > kept.order[id(last)][0])
    ):
        last = prev  # "Police fired on demonstrators, killing six. Six more died on Saturday."
    if (
        last is None
        or c.fatalities is None
        or not 0 < c.sent_index - last.sent_index <= UPDATE_WINDOW
        or not _ANOTHER_DEATH.search(c.sent.text)
    ):
        return None
    return last


# Dead named with the definite article ("the six soldiers killed in the ambush", "the 25
# dead"): dead the article has already counted.
_DEFINITE = re.compile(r"\b(?:the|those|these|all)\s+$", re.I)


def _told_again(kept: _Kept, c: Candidate) -> bool:
    """A weak mention that names dead already told ("the six soldiers killed in the ambush
    would be buried in Kinshasa"), the toll of an event kept: no event of its own."""
    if c.fatalities is None or c.fatalities[0] == 0:
        return False
    value, _, at = c.fatalities
    if not _DEFINITE.search(c.sent.text[: at - c.sent.start]):
        return False
    return any(
        k.event_type == c.event_type and k.fatalities is not None and k.fatalities[0] == value
        for k in kept.events()
    )


def _first_told(c: Candidate) -> bool:
    """A reference that is the article's first word of its event and gives its toll ("The
    death toll from Monday's explosion on the Damboa road has risen to 12"): the event,
    told as an update of news the reader is assumed to have seen."""
    return (
        c.kind == "ref"
        and c.event_type in ("ASSAULT", "PROTEST")
        and c.fatalities is not None
        and c.fatalities[0] > 0
    )


def _place_parts(kept: _Kept, target: Candidate, groups: list[list[PlaceMention]]) -> Candidate:
    """The reference names where the earlier event happened: one event per place group, in
    place of the earlier one. Returns the last part."""
    kept.remove(target)
    part = target
    for g in groups:
        part = replace(target)
        part.place = min(g, key=lambda p: {"point": 0, "admin1": 1, "country": 2}[p.precision])
        part.admin_place = next((p for p in g if p.precision == "admin1"), None)
        kept.add(part)
    return part


def _add_toll(target: Candidate, c: Candidate) -> None:
    """A mention's toll completes its event's, or adds to it ("Two rebels also died in
    the firefight": more dead in the same event)."""
    if target.fatalities is None and c.fatalities is not None and len(c.places) <= 1:
        target.fatalities = c.fatalities
    elif target.fatalities is not None and c.fatalities is not None:
        # a revised figure replaces a smaller one; more dead add to it
        target.fatalities = later_toll(target.fatalities, c.fatalities, c.sent)


def _crackdown_toll(prev: Candidate | None, c: Candidate) -> bool:
    """ "Police opened fire on protesters ... Nineteen people were killed": a toll right
    after a protest met with force (``prev``, the last event kept), with no attack of its
    own, is that protest's dead (ACLED: excessive force against protesters). True when it
    was attached."""
    if (
        c.fatalities is None
        or prev is None
        or (c.place is not None and place_key(c) != place_key(prev))
        or prev.event_type != "PROTEST"
        or prev.sub not in _CRACKDOWN
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
