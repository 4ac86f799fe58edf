"""The event coder: triggers + actors + places + dates + tolls -> Event records."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date

from tasks.extract.actors import ActorMemory, ActorMention, find_actors
from tasks.extract.arguments import assault_type, crowd_event, protest_type, shift_day
from tasks.extract.candidates import (
    ARMED,
    PHYSICAL,
    SEPARATE_ACTS,
    Candidate,
    better,
    has_trigger,
    sentence_candidates,
)
from tasks.extract.dates import (
    DateMention,
    find_dates,
    mark_speech,
    month_before,
    relative_days,
    shift,
)
from tasks.extract.filters import RELATIVE_CLAUSE, article_context, drop_candidate
from tasks.extract.grouping import (
    BETWEEN_BEFORE,
    COORDINATED,
    best_place,
    fallback_groups,
    gap,
    place_groups,
)
from tasks.extract.numbers import find_fatalities_at
from tasks.extract.pairs import dedupe_verbal, each_counterpart, reciprocal
from tasks.extract.places import PlaceMention, find_places
from tasks.extract.sentences import split_sentences
from tasks.extract.tolls import completes_toll, follow_up_toll, place_tolls

_CLAIM = re.compile(
    r"\b(?:claimed responsibility|claimed by|said it had carried out|said it carried out|"
    r"claimed (?:the|that|Sunday's|Monday's|Tuesday's|Wednesday's|Thursday's|Friday's|"
    r"Saturday's|yesterday's) (?:[\w\-]+ )?(?:attack|bombing|ambush|assault|killings?|raid|"
    r"blast|strike|abduction|kidnapping)|"
    r"said (?:it|they) (?:had )?targeted|was behind|were behind|suspicion fell on)\b",
    re.I,
)


def _nearest_date(
    dates: list[DateMention], pos: int, physical: bool, text: str = ""
) -> DateMention | None:
    """The date nearest the trigger; for an act (not a statement) a date of the act beats
    the day it was reported ("said on Tuesday it had captured the town on Monday")."""
    if not physical:
        # A date inside a relative clause before a statement dates that clause ("The CSP,
        # which has been fighting the army since last year, accused ..."). An act's own
        # clause often dates it ("The drone, which hit ... early on Friday, killed one").
        aside = [m.span() for m in RELATIVE_CLAUSE.finditer(text) if m.end() <= pos]
        dates = [d for d in dates if not any(s <= d.start < e for s, e in aside)]
        # "warned the families of protesters killed last year": that date is the killing's.
        dates = [d for d in dates if not _participle_date(text, d, pos)]
    if not dates:
        return None
    own = [
        d
        for d in dates
        if d.precision == "month"
        and (
            0 < d.start - pos <= MONTH_AFTER
            or (0 <= pos - d.end <= MONTH_BEFORE and not _OTHER_CLAUSE.search(text[d.end : pos]))
        )
    ]
    if own:
        return own[0]  # "captured Goma in late January and took Bukavu on February 16"
    # A month named further away dates another clause ("the ceasefire agreed in November").
    rest = [d for d in dates if d.precision != "month"]
    if not rest:
        return None
    return min(rest, key=lambda d: (d.value is None, physical and d.speech, abs(d.start - pos)))


_PARTICIPLE_BEFORE = re.compile(r"\b[a-z]{3,}ed\s+(?:in\s+|on\s+|since\s+)?$")


def _participle_date(text: str, d: DateMention, pos: int) -> bool:
    """A date right after a past participle that comes after the statement's verb."""
    base = max(0, d.start - 25)
    m = _PARTICIPLE_BEFORE.search(text[base : d.start])
    return m is not None and base + m.start() > pos


# A month named this close after a trigger ("captured Goma in late January") or before it
# ("In March, rebels seized ...") dates that act, even when a day-precise date further on
# dates another; a month further away dates some other clause.
MONTH_AFTER = 30
MONTH_BEFORE = 40
# Between a month and a later trigger: another verb's clause ("in late January and took").
_OTHER_CLAUSE = re.compile(r"\band\b|\bwhile\b|;|\bthen\b")


def build_candidates(
    text: str, published: date | None, title: str | None
) -> tuple[list[Candidate], DateMention | None]:
    """Candidates for every sentence (actors, places, dates, tolls attached) and the
    article's lead date: the first day-precise date it gives."""
    sents = split_sentences(text)
    # Cheap pre-scan: a sentence without any trigger key word cannot yield an event,
    # and an article without one needs no actor, place or date work at all.
    active = [has_trigger(s.text) for s in sents]
    if not any(active):
        return [], None
    ctx = article_context(text, published)
    memory = ActorMemory()
    actors_per = [
        find_actors(s.text, memory, light=not a) for s, a in zip(sents, active, strict=True)
    ]
    for s, acts in zip(sents, actors_per, strict=True):
        for a in acts:
            a.base = s.start
    context: Counter[str] = Counter()
    for acts in actors_per:
        context.update(a.country for a in acts if a.country)
    context.update(memory.countries)
    # Places give context only from the title and sentences with a trigger: the
    # countries of the rest are already counted through their actors.
    texts = ([title] if title else []) + [s.text for s, a in zip(sents, active, strict=True) if a]
    for t in texts:
        context.update(
            p.country for p in find_places(t, Counter()) if p.precision == "country" or p.admin_hint
        )
    anchor: tuple[float, float] | None = None
    for t in texts:
        for p in find_places(t, context):
            if p.precision == "point" and p.lat is not None and p.lon is not None:
                anchor = (p.lat, p.lon)
                break
        if anchor is not None:
            break
    out: list[Candidate] = []
    lead: DateMention | None = None
    lead_done = False
    last_day: date | None = None
    last_person: ActorMention | None = None
    recent: list[ActorMention] = []  # named parties met so far, for "both sides"
    # "the following day" needs the last date of earlier sentences, even quiet ones.
    track_days = bool(_NEXT_DAY.search(text))
    for i, sent in enumerate(sents):
        persons = [a for a in actors_per[i] if a.kind == "person"]
        if i > 0:
            recent.extend(a for a in actors_per[i - 1] if a.country and a.kind != "role")
        if i >= LEAD_SENTENCES:
            lead_done = True
        if not active[i] and lead_done and not track_days:
            last_person = persons[-1] if persons else last_person
            follow_up_toll(out, sent, i)
            continue
        dates = mark_speech(
            sent.text, [replace(d, base=sent.start) for d in find_dates(sent.text, published)]
        )
        dates += relative_days(sent.text, sent.start, dates, last_day)
        nxt = _NEXT_DAY.search(sent.text)
        if nxt and last_day is not None and not any(d.value for d in dates):
            # "the following day": one day after the last date the article gave ("the
            # same day", "later that day": that date).
            days = 0 if re.search(r"same|that day", nxt.group(0), re.I) else 1
            dates.append(
                DateMention(
                    nxt.start(), nxt.end(), nxt.group(0), shift(last_day, days), "day", sent.start
                )
            )
        # The day of the last act the article dated, rather than of a statement about it.
        act_days = [d.value for d in dates if d.value is not None and not d.speech]
        any_days = [d.value for d in dates if d.value is not None]
        if act_days or any_days:
            last_day = (act_days or any_days)[-1]
        if lead is None and not lead_done:
            # The article's first date expression dates its lead; if it cannot be
            # resolved (a weekday with no publication date), there is no lead date.
            first = next((d for d in dates if d.precision in ("day", "unknown", "relative")), None)
            if first is not None:
                lead, lead_done = (first if first.value is not None else None), True
        if not active[i]:
            last_person = persons[-1] if persons else last_person
            follow_up_toll(out, sent, i)
            continue
        cands = sentence_candidates(
            sent, i, any(d.value is not None for d in dates), {a.end for a in actors_per[i]}
        )
        if not cands or (all(c.kind != "explicit" for c in cands) and completes_toll(sent.text)):
            # No act of its own, or only a revised count or nobody ("put the dead at 35",
            # "Nobody died in the blast"): the toll of the attack before it.
            last_person = persons[-1] if persons else last_person
            follow_up_toll(out, sent, i)
            continue
        places = [replace(p, base=sent.start) for p in find_places(sent.text, context, anchor)]
        groups = place_groups(places, actors_per[i], sent.text)
        if not groups and any(c.event_type in PLACED and c.kind != "ref" for c in cands):
            prev = sents[i - 1] if i > 0 else None
            groups = fallback_groups(
                sent, prev, actors_per[i - 1] if i > 0 else [], context, anchor
            )
        cands = each_counterpart(
            reciprocal(dedupe_verbal(cands, actors_per[i]), recent), actors_per[i]
        )
        for c in cands:
            if (
                c.actor1 is None
                and last_person is not None
                and _PRONOUN.search(sent.text[: c.tstart])
            ):
                c.actor1 = last_person
            c.date = _nearest_date(dates, c.tstart, c.event_type in PHYSICAL, sent.text)
        cands = _one_assault_per_day(cands)
        attacks = [
            c
            for c in cands
            if c.event_type == "ASSAULT" and c.kind != "ref" and not _background(c, published)
        ]
        for later in attacks[1:]:
            lead_attack = attacks[0]
            own_day = (
                later.date is not None
                and later.date.value is not None
                and (lead_attack.date is None or lead_attack.date.value != later.date.value)
            )
            # The sentence's subject belongs to its first attack, unless the later one has
            # a day of its own ("captured Goma in January and took Bukavu on February 16").
            if (
                later.actor1 is lead_attack.actor1
                and later.trigger.id not in SEPARATE_ACTS
                and not own_day
            ):
                later.actor1 = None
        out.extend(
            c
            for c in _finish(cands, groups, find_fatalities_at(sent.text))
            if not _background(c, published) and not drop_candidate(c, ctx)
        )
        if _CLAIM.search(sent.text):
            _apply_claim(out, actors_per[i])
        last_person = persons[-1] if persons else last_person
    return out, lead


def _background(c: Candidate, published: date | None) -> bool:
    """ "captured Goma in late January": an earlier month and no day is background that
    SCHEMA rule 4 does not make an event (it still owns its places and its subject)."""
    return c.date is not None and month_before(c.date, published)


# The lead date is the first day-precise date within this many opening sentences; a
# date first given deep in a long article dates a later passage, not the lead.
LEAD_SENTENCES = 8
_NEXT_DAY = re.compile(
    r"\b(?:the following day|the next day|a day later|the day after|(?:on )?the same day|"
    r"that same day|later that day)\b",
    re.I,
)
_PRONOUN = re.compile(r"\b(?:His|Her|He|She|his|her|he|she)\b")


def _one_assault_per_day(cands: list[Candidate]) -> list[Candidate]:
    """Several attack triggers in a sentence are one event unless they carry different
    dates ("fired missiles on Wednesday in retaliation for the April 22 massacre")."""
    out: list[Candidate] = []
    for c in cands:
        if c.event_type == "ASSAULT" and c.kind != "ref":
            day = c.date.value if c.date else None
            same = next(
                (
                    k
                    for k in out
                    if k.event_type == "ASSAULT"
                    and k.kind != "ref"
                    and (k.date.value if k.date else None) == day
                    and not _other_party(k, c)
                    and (k.trigger.id in SEPARATE_ACTS) == (c.trigger.id in SEPARATE_ACTS)
                ),
                None,
            )
            if same is not None:
                if better(c, same):
                    out[out.index(same)] = c
                continue
        out.append(c)
    return out


def _other_party(first: Candidate, later: Candidate) -> bool:
    """Whether a later attack trigger in the sentence is another side's act: its own
    subject, of another country or type, in a clause of its own ("Israeli strikes killed
    12 in Gaza, while Hezbollah fired rockets at Kiryat Shmona")."""
    a, b = first.actor1, later.actor1
    if a is None or b is None or a is b:
        return False
    if a.country == b.country and a.type == b.type:
        return False
    between = later.sent.text[first.tend : later.tstart]
    return bool(_NEW_CLAUSE.search(between)) and b.end <= later.tstart


_NEW_CLAUSE = re.compile(r"(?:,\s+(?:while|whereas|as|and|but)\b|;|\bwhile\b)", re.I)


# Acts whose places are shared out when a sentence reports several of them.
PLACED = {"ASSAULT", "PROTEST", "COERCE", "MOBILIZE", "RETREAT", "AID"}
# Acts that are one event per place when their sentence names several (SCHEMA rule 1):
# attacks, protests, arrests ("detained suspects in raids in Kabul and Balkh").
SPLIT_BY_PLACE = {"ASSAULT", "PROTEST", "COERCE"}


def _owner(group: list[PlaceMention], acts: list[Candidate]) -> Candidate:
    """The act a place belongs to: the last trigger before it, else the nearest one."""
    before = [k for k in acts if k.tstart <= group[0].start]
    if before:
        return max(before, key=lambda k: k.tstart)
    return min(acts, key=lambda k: abs(k.tstart - group[0].start))


def _finish(
    cands: list[Candidate],
    groups: list[list[PlaceMention]],
    toll: tuple[int, str, int] | None,
) -> list[Candidate]:
    """Attach places, toll and ACLED types; split an attack, protest or arrests over the
    places of one country."""
    physical = [c for c in cands if c.event_type in PLACED and c.kind != "ref"]
    owner = {id(g): _owner(g, physical) for g in groups} if len(physical) > 1 else {}
    out: list[Candidate] = []
    for c in cands:
        mine = groups
        if owner and c in physical:
            # Several acts in one sentence: each place goes to the act it follows
            # ("killed two in Jenin and arrested 12 in Nablus").
            mine = [g for g in groups if owner[id(g)] is c]
            nxt = next((k for k in physical if k.tstart > c.tstart), None)
            if not mine and nxt is not None and " and " in c.sent.text[c.tend : nxt.tstart]:
                # "killed five villagers and abducted 20 others in Zamfara": shared place.
                mine = [g for g in groups if owner[id(g)] is nxt]
        if c.event_type in SPLIT_BY_PLACE and len(mine) > 1:
            # One event per place, within one country: a place abroad in the same
            # sentence belongs to another (background) event, unless it is coordinated
            # with the first ("strikes in Iraq and Syria": one event in each).
            first = mine[0]
            mine = [
                g
                for g in mine
                if g[0].country == first[0].country
                or (
                    COORDINATED.fullmatch(gap(c.sent.text, first[-1], g[0]))
                    and not BETWEEN_BEFORE.search(c.sent.text[: first[-1].start])
                )
            ]
        c.places = mine
        split = c.event_type in SPLIT_BY_PLACE and len(mine) > 1 and c.kind != "ref"
        if (
            toll is not None
            and c.event_type in ("ASSAULT", "PROTEST")
            and not split
            and (len(physical) < 2 or min(physical, key=lambda k: abs(k.tstart - toll[2])) is c)
        ):
            c.fatalities = (toll[0], toll[1], c.sent.start + toll[2])
        shift_day(c)
        if c.event_type == "ASSAULT" and crowd_event(c):
            c.event_type = "PROTEST"
        if c.event_type == "ASSAULT":
            assault_type(c)
        elif c.event_type == "PROTEST":
            protest_type(c)
        else:
            c.acled, c.sub = c.trigger.acled, c.trigger.sub
        if split:
            for g, toll_here in zip(mine, place_tolls(c, mine), strict=True):
                part = replace(c)
                part.place, part.admin_place = best_place(g)
                part.places = [g]
                part.fatalities = toll_here
                out.append(part)
            continue
        if mine:
            c.place, c.admin_place = best_place(mine[0])
        out.append(c)
    return out


def _apply_claim(cands: list[Candidate], actors: list[ActorMention]) -> None:
    """'X claimed responsibility': X becomes actor1 of the latest attack without a named one."""
    claimant = next((a for a in actors if a.type in ARMED and a.kind == "group"), None)
    if claimant is None:
        return
    for c in reversed(cands):
        if c.event_type == "ASSAULT" and c.kind != "ref":
            if c.actor1 is None or c.actor1.kind == "role":
                c.actor1 = claimant
            break
