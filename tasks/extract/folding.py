"""Fold events that report one act twice in one article into one event.

The coder reads sentence by sentence, so an act told in two ways ("a protest turned
violent" and "a protester was shot dead", "arrested in Beni" and "nine activists were
arrested") can come out as two events, and a story-set linker then counts two incidents.
SCHEMA rule 1 is one event per action, pair of actors, place and day; rule 2 makes a
sentence that only repeats an act no new event. These rules run on finished events of
one article, after places and dates are filled in.
"""

from __future__ import annotations

import re

from tasks.models import Event

# A killing at a demonstration by the police or by no named party ("A protester was
# killed ... when a demonstration turned violent", "One young man was shot dead when
# police dispersed a protest") is the demonstration's own violence: ACLED and the gold
# code one event, the protest (violent demonstration or excessive force) with its dead.
# Attacks by armed groups on a crowd stay attacks of their own.
_FOLDABLE_ATTACKERS = frozenset({None, "state_forces"})
_CROWD_VICTIMS = frozenset({None, "civilians", "protesters", "rioters"})
# Protest words in the killing's own sentence, or a protest that was not peaceful, tie
# the killing to the demonstration of that day.
_PROTEST_WORDS = re.compile(
    r"\b(?:protest\w*|demonstrat\w*|rall(?:y|ies)|march(?:es|ed)?|unrest|riot\w*)\b", re.I
)
_UNPEACEFUL = frozenset(
    {"Violent demonstration", "Excessive force against protesters", "Protest with intervention"}
)


_MET_WITHOUT_DEATHS = frozenset({"Peaceful protest", "Protest with intervention"})
# A killing's own words that say someone died ("fatally shot a teenager").
_LETHAL = re.compile(r"\b(?:fatally|shot\s+dead|gunned\s+down|killed|killing|died|dead)\b", re.I)


def fold(events: list[Event]) -> list[Event]:
    """The article's events with protest killings folded into their protest and less
    precise repeats folded into the precise report of the same act."""
    events = _fold_toll_reports(_fold_seizures(events))
    return _fold_repeats(_fold_raids(_fold_protest_killings(events)))


# Weapons seized in a fight ("said it had taken the camp and seized weapons and vehicles",
# "came under fire as they entered the community and seized four rifles") are the spoils
# of that fight, not an act of their own: ACLED and the labelled sets code the fight
# alone. A seizure on another day or at another place (an arms cache found in a search)
# stays an event.
_SEIZURE = "Disrupted weapons use"
_FIGHTS = frozenset({"Armed clash", "Attack", "Non-state actor overtakes territory"})


# A sentence that only gives the dead of an act told before ("Police initially put the
# death toll at 15, but a community leader said on Thursday that eight more bodies had
# been found, bringing the number of dead to 23", "At least five people were shot dead
# there") is no new act (SCHEMA rule 2): its trigger is a death or toll word, it names no
# place of its own (the coder lent it the place of an earlier sentence), and an act at
# that place was told before, on its day or up to TOLL_REPORT_DAYS days earlier (a toll
# is often dated by the day it was given).
TOLL_REPORT_DAYS = 2
_DEATH_WORDS = re.compile(
    r"(?:(?:death\s+)?toll|(?:shot\s+)?dead|killed|died|deaths?|bodies|number\s+of\s+dead)",
    re.I,
)
_TOLL_WORDS = re.compile(r"toll|bodies|number\s+of\s+dead", re.I)
# The wounded of the act dying later ("Three of the injured died in hospital on
# Wednesday", "the constable, who had been airlifted to a hospital, died on Tuesday").
_WOUNDED_DIED = re.compile(
    r"\b(?:of\s+the\s+(?:injured|wounded)|(?:died|dies)\s+(?:of|from)\s+(?:his|her|their|the)\s+"
    r"(?:wounds|injuries)|(?:died|dies)\s+in\s+(?:a\s+|the\s+)?hospital|succumbed|airlifted)",
    re.I,
)
_TOLD_ACTS = frozenset({"ASSAULT", "PROTEST"})


def _fold_toll_reports(events: list[Event]) -> list[Event]:
    kept: list[Event] = []
    for e in events:
        host = None
        if _toll_report(e):
            host = next((k for k in kept if _told_before(k, e)), None)
        if host is None:
            kept.append(e)
        else:
            _take_toll(host, e)
    return kept


def _toll_report(e: Event) -> bool:
    if e.event_type != "ASSAULT" or e.event_date is None:
        return False
    if not _DEATH_WORDS.fullmatch(e.evidence.get("event_type", "")):
        return False
    span = _span_in_sentence(e)
    return span is None or span[0] < 0 or span[1] > len(e.sentence or "")


def _told_before(host: Event, e: Event) -> bool:
    if host.event_type not in _TOLD_ACTS or host.event_date is None or e.event_date is None:
        return False
    if host.char_start == e.char_start or host.country != e.country:
        return False
    if e.location is not None and e.location != host.location:
        return False
    days = (e.event_date - host.event_date).days
    if days == 0:
        return True
    # A later day only for a toll told as one ("the death toll rose") or dated by the
    # same words as the act (the day shifted by the coder, not by the text).
    toll_word = bool(_TOLL_WORDS.search(e.evidence.get("event_type", ""))) or bool(
        _WOUNDED_DIED.search(e.sentence or "")
    )
    same_day_words = e.evidence.get("event_date_span") == host.evidence.get("event_date_span")
    return 0 < days <= TOLL_REPORT_DAYS and (toll_word or same_day_words)


def _fold_seizures(events: list[Event]) -> list[Event]:
    fights = [e for e in events if e.event_type == "ASSAULT" and e.acled_sub_event_type in _FIGHTS]
    if not fights:
        return events
    return [
        e
        for e in events
        if not (
            e.event_type == "COERCE"
            and e.acled_sub_event_type == _SEIZURE
            and any(_same_scene(e, f) for f in fights)
        )
    ]


def _same_scene(a: Event, b: Event) -> bool:
    """One day, one country, and one place (or one of them placed no finer than the
    province the other lies in)."""
    if a.event_date is None or a.event_date != b.event_date or a.country != b.country:
        return False
    if a.location is not None and a.location == b.location:
        return True
    if a.admin1 is not None and a.admin1 == b.admin1:
        return True
    return (_unplaced(a) or _unplaced(b)) and None in (a.admin1, b.admin1)


def _span_in_sentence(e: Event) -> tuple[int, int] | None:
    """Where the event's place words lie in its sentence."""
    span = e.evidence.get("location_span")
    if span is None or e.char_start is None:
        return None
    start, _, end = span.partition(":")
    try:
        return int(start) - e.char_start, int(end) - e.char_start
    except ValueError:
        return None


def _fold_protest_killings(events: list[Event]) -> list[Event]:
    protests = [e for e in events if e.event_type == "PROTEST" and e.event_date is not None]
    if not protests:
        return events
    kept: list[Event] = []
    for e in events:
        host = _protest_of(e, protests)
        if host is None:
            kept.append(e)
            continue
        if _GRIEVANCE.match(str(e.evidence.get("fatalities", ""))):
            continue  # the crowd's grievance: folded in, its dead not the protest's
        _take_toll(host, e)
        if (
            e.actor1_type == "state_forces"
            and host.acled_sub_event_type in _MET_WITHOUT_DEATHS
            and ((e.fatalities or 0) > 0 or _LETHAL.search(e.sentence or ""))
        ):
            # Demonstrators killed by the police or the army: ACLED's excessive force.
            host.acled_event_type = "Protests"
            host.acled_sub_event_type = "Excessive force against protesters"
    return kept


# A killing the crowd protests ("protested against the killing of 30 civilians"): its
# dead are the grievance, not the protest's.
_GRIEVANCE = re.compile(r"(?:massacre|killings?|deaths?|murders?)\s+of\b", re.I)


def _protest_of(e: Event, protests: list[Event]) -> Event | None:
    """The demonstration a killing belongs to, if it is one of the crowd's dead."""
    if (
        e.event_type != "ASSAULT"
        or e.acled_sub_event_type != "Attack"
        or e.actor1_type not in _FOLDABLE_ATTACKERS
    ):
        return None
    told_at_protest = bool(_PROTEST_WORDS.search(e.sentence or ""))
    # A death with no attacker named, told in the protest's own words ("A protester was
    # killed when a demonstration outside the government building turned violent"), is
    # the crowd's whatever target the coder read; otherwise the victims must be a crowd.
    if e.actor2_type not in _CROWD_VICTIMS and not (e.actor1 is None and told_at_protest):
        return None
    for p in protests:
        if p.event_date != e.event_date or p.country != e.country:
            continue
        if e.admin1 is not None and p.admin1 is not None and e.admin1 != p.admin1:
            continue
        if told_at_protest or p.acled_sub_event_type in _UNPEACEFUL:
            return p
    return None


# A raid in which the attackers kill some and carry off others ("stormed a mosque and
# abducted 23 worshippers"; "abducted 43 people in a raid ... shot dead three men who tried
# to resist") is one act, coded once as the abduction with the raid's dead (SCHEMA rule 1:
# one event per action, pair of actors, place and day; the labelled sets code it so).
_ABDUCTION = "Abduction/forced disappearance"


def _fold_raids(events: list[Event]) -> list[Event]:
    abductions = [
        e for e in events if e.event_type == "ASSAULT" and e.acled_sub_event_type == _ABDUCTION
    ]
    if not abductions:
        return events
    kept: list[Event] = []
    for e in events:
        host = None
        if e.event_type == "ASSAULT" and e.acled_sub_event_type == "Attack":
            host = next((a for a in abductions if _one_raid(e, a)), None)
        if host is None:
            kept.append(e)
        else:
            _take_toll(host, e)
    return kept


def _one_raid(attack: Event, abduction: Event) -> bool:
    """Whether an attack and an abduction of one article are one raid: same day, same
    place (or one of them placed only by its province), attackers that are not the state
    and not told apart (one sentence, or the same or an unnamed attacker)."""
    if attack.event_date is None or attack.event_date != abduction.event_date:
        return False
    if attack.country != abduction.country or "state_forces" in (
        attack.actor1_type,
        abduction.actor1_type,
    ):
        return False
    unplaced = _unplaced(attack) or _unplaced(abduction)
    same_province = None in (attack.admin1, abduction.admin1) or attack.admin1 == abduction.admin1
    same_place = attack.location == abduction.location or (unplaced and same_province)
    if not same_place:
        return False
    if attack.sentence is not None and attack.sentence == abduction.sentence:
        return True
    return (
        attack.actor1 is None
        or abduction.actor1 is None
        or attack.actor1_canonical == abduction.actor1_canonical
    )


# Fields two reports of one act share; the less precise one (no place, or only the
# province or country the precise one lies in) is a repeat of it (SCHEMA rule 2).
def _act_key(e: Event) -> tuple[object, ...]:
    return (
        e.event_type,
        e.acled_sub_event_type,
        e.event_date,
        e.actor1_canonical,
        e.actor2_canonical,
        e.country,
    )


def _fold_repeats(events: list[Event]) -> list[Event]:
    kept: list[Event] = []
    for e in events:
        twin = next((k for k in kept if _repeats(k, e, events)), None)
        if twin is None:
            kept.append(e)
            continue
        if _coarser(twin, e):
            kept[kept.index(twin)] = e  # the precise report stands for the act
            e, twin = twin, e
        _take_toll(twin, e)
    return kept


def _repeats(a: Event, b: Event, article: list[Event]) -> bool:
    if a.event_date is None or _act_key(a) != _act_key(b):
        return False
    if a.location is not None and a.location == b.location:
        return True  # one act at one place on one day, told twice
    coarse, fine = (a, b) if _coarser(a, b) else (b, a)
    if not _unplaced(coarse) or _unplaced(fine) or not _within(coarse, fine):
        return False  # two named towns or districts: two acts (SCHEMA rule 1)
    # A summary over several placed acts ("an offensive along the border" and clashes in
    # Kunar and in Helmand) is an event of its own: fold only into a single placed act.
    placed = [e for e in article if _act_key(e) == _act_key(coarse) and not _unplaced(e)]
    return sum(_within(coarse, e) for e in placed) == 1


def _within(coarse: Event, fine: Event) -> bool:
    return coarse.admin1 is None or coarse.admin1 == fine.admin1


def _take_toll(host: Event, other: Event) -> None:
    """The higher toll of two reports of one act, with the words that gave it."""
    if other.fatalities is None or (host.fatalities or 0) >= other.fatalities:
        return
    host.fatalities = other.fatalities
    for key in ("fatalities", "fatalities_span"):
        if key in other.evidence:
            host.evidence[key] = other.evidence[key]


def _unplaced(e: Event) -> bool:
    """An event placed no finer than its province or country: no place, or a place that
    names the province itself ("in Plateau State"). A district matched at province level
    ("Muidumbe") is a place of its own."""
    if e.location is None or e.geo_precision in ("country", "unknown"):
        return True
    name = e.location.lower()
    return e.geo_precision == "admin1" and e.admin1 is not None and name in e.admin1.lower()


def _coarser(a: Event, b: Event) -> bool:
    return _RANK.get(a.geo_precision or "unknown", 3) > _RANK.get(b.geo_precision or "unknown", 3)


# Geographic precisions from finest to coarsest.
_RANK = {"point": 0, "admin1": 1, "country": 2, "unknown": 3}
