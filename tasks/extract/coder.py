"""The event coder: triggers + actors + places + dates + tolls -> Event records."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from tasks.extract.actors import ActorMemory, ActorMention, find_actors
from tasks.extract.budget import NO_BUDGET, Budget
from tasks.extract.candidates import (
    ARMED,
    PHYSICAL,
    Candidate,
    better,
    has_trigger,
    sentence_candidates,
)
from tasks.extract.dates import DateMention, month_before
from tasks.extract.dating import NEXT_DAY, nearest_date, sentence_dates
from tasks.extract.filters import ArticleContext, article_context, drop_candidate
from tasks.extract.finish import PLACED, finish
from tasks.extract.grouping import fallback_groups, place_groups
from tasks.extract.numbers import find_fatalities_at
from tasks.extract.pairs import both_counterparts, dedupe_verbal, each_counterpart, reciprocal
from tasks.extract.place_roles import unknown_place
from tasks.extract.places import PlaceMention, PlaceScan, find_places, scan_places
from tasks.extract.sentences import Sentence, split_sentences
from tasks.extract.tolls import TOLLED, completes_toll, follow_up_toll, place_breakdown

_CLAIM = re.compile(
    r"\b(?:claimed responsibility|claimed by|said it had carried out|said it carried out|"
    r"claimed (?:the|that|Sunday's|Monday's|Tuesday's|Wednesday's|Thursday's|Friday's|"
    r"Saturday's|yesterday's) (?:[\w\-]+ )?(?:attack|bombing|ambush|assault|killings?|raid|"
    r"blast|strike|abduction|kidnapping)|"
    r"said (?:it|they) (?:had )?targeted|was behind|were behind|suspicion fell on)\b",
    re.I,
)


@dataclass(slots=True)
class _Article:
    """What the whole article gives each sentence: its actors, the countries it talks
    about, its first point (for namesakes), and the places of each sentence."""

    sents: list[Sentence]
    active: list[bool]  # whether the sentence has a trigger at all
    actors: list[list[ActorMention]]
    context: Counter[str]
    anchor: tuple[float, float] | None
    ctx: ArticleContext
    published: date | None
    scans: dict[int, PlaceScan]
    placed: dict[int, list[PlaceMention]] = field(default_factory=dict)

    def scan(self, i: int) -> PlaceScan:
        """Sentence ``i``'s place names, found once and resolved in each context."""
        if i not in self.scans:
            self.scans[i] = scan_places(self.sents[i].text)
        return self.scans[i]

    def places(self, i: int) -> list[PlaceMention]:
        """Sentence ``i``'s places, resolved with the article's context and anchor."""
        if i not in self.placed:
            base = self.sents[i].start
            found = find_places(self.scan(i), self.context, self.anchor)
            self.placed[i] = [replace(p, base=base) for p in found]
        return self.placed[i]


@dataclass(slots=True)
class _Walk:
    """What coding carries from one sentence to the next."""

    track_days: bool  # "the following day" needs the last date of even quiet sentences
    out: list[Candidate] = field(default_factory=list)
    lead: DateMention | None = None
    lead_done: bool = False
    last_day: date | None = None
    last_person: ActorMention | None = None
    # The last two named parties of different countries, latest last, for "both sides".
    recent: list[ActorMention] = field(default_factory=list)
    last_attack: Candidate | None = None  # the latest attack in ``out``, for claims

    def emit(self, cands: list[Candidate]) -> None:
        self.out.extend(cands)
        for c in cands:
            if c.event_type == "ASSAULT" and c.kind != "ref":
                self.last_attack = c


def build_candidates(
    text: str, published: date | None, title: str | None, budget: Budget = NO_BUDGET
) -> tuple[list[Candidate], DateMention | None, Counter[str]]:
    """Candidates for every sentence (actors, places, dates, tolls attached), the
    article's lead date (the first day-precise date it gives) and its countries (how
    often its actors, country names and subdivisions name each)."""
    sents = split_sentences(text, budget)
    # Cheap pre-scan: a sentence without any trigger key word cannot yield an event,
    # and an article without one needs no actor, place or date work at all.
    active = []
    for s in sents:
        budget.check("looking for trigger words")
        active.append(has_trigger(s.text))
    if not any(active):
        return [], None, Counter()
    art = _read_article(text, sents, active, published, title, budget)
    walk = _Walk(track_days=bool(NEXT_DAY.search(text)))
    for i in range(len(sents)):
        budget.check("coding sentences")
        if i > 0:
            _remember_parties(walk.recent, art.actors[i - 1])
        _code_sentence(art, walk, i)
        persons = [a for a in art.actors[i] if a.kind == "person"]
        walk.last_person = persons[-1] if persons else walk.last_person
    return walk.out, walk.lead, art.context


def _read_article(
    text: str,
    sents: list[Sentence],
    active: list[bool],
    published: date | None,
    title: str | None,
    budget: Budget,
) -> _Article:
    """Actors of every sentence, then the article's countries and its first point."""
    memory = ActorMemory()
    actors_per: list[list[ActorMention]] = []
    for s, a in zip(sents, active, strict=True):
        budget.check("finding actors")
        acts = find_actors(s.text, memory, light=not a)
        for m in acts:
            m.base = s.start
        actors_per.append(acts)
    context: Counter[str] = Counter()
    for acts in actors_per:
        context.update(a.country for a in acts if a.country)
    context.update(memory.countries)
    # Places give context only from the title and sentences with a trigger: the
    # countries of the rest are already counted through their actors.
    scans: dict[int, PlaceScan] = {}
    for i, s in enumerate(sents):
        if active[i]:
            budget.check("finding place names")
            scans[i] = scan_places(s.text)
    texts = ([scan_places(title)] if title else []) + list(scans.values())
    for scan in texts:
        budget.check("counting the article's countries")
        context.update(
            p.country
            for p in find_places(scan, Counter())
            if p.precision == "country" or p.admin_hint or p.qualified
        )
    anchor: tuple[float, float] | None = None
    for scan in texts:
        budget.check("finding the article's first place")
        for p in find_places(scan, context):
            if p.precision == "point" and p.lat is not None and p.lon is not None:
                if p.landmark:
                    continue  # "Martyrs' Square": its city may be Beirut or Tripoli
                anchor = (p.lat, p.lon)
                break
        if anchor is not None:
            break
    ctx = article_context(text, published)
    return _Article(sents, active, actors_per, context, anchor, ctx, published, scans)


def _remember_parties(recent: list[ActorMention], actors: list[ActorMention]) -> None:
    """Keep, latest last, the last named party and the last one of another country: all
    that "both sides" can refer to (so the memory stays two mentions long)."""
    for a in actors:
        if not a.country or a.kind == "role":
            continue
        if recent and recent[-1].country == a.country:
            recent[-1] = a
        else:
            recent.append(a)
            del recent[:-2]


def _code_sentence(art: _Article, walk: _Walk, i: int) -> None:
    """Code sentence ``i``: its dates always (they date later sentences), its acts when it
    has a trigger; a sentence without an act of its own may complete the last toll."""
    sent = art.sents[i]
    if i >= LEAD_SENTENCES:
        walk.lead_done = True
    if not art.active[i] and walk.lead_done and not walk.track_days:
        follow_up_toll(walk.out, sent, i)
        return
    dates = _sentence_dates(sent, art.published, walk)
    if place_breakdown(walk.out, sent, i):
        return  # "Six of the dead were in Dakar and three in Ziguinchor": tolls only
    if not art.active[i]:
        follow_up_toll(walk.out, sent, i)
        return
    actors = art.actors[i]
    cands = sentence_candidates(
        sent, i, any(d.value is not None for d in dates), {a.end for a in actors}
    )
    if not cands or (
        walk.out and all(c.kind != "explicit" for c in cands) and completes_toll(sent.text)
    ):
        # No act of its own, or only a revised count or nobody ("put the dead at 35",
        # "Nobody died in the blast"): the toll of the attack before it. Only when there
        # is one: a first sentence that kills and revises ("killed seven; police later
        # raised the figure to nine") is the attack itself.
        follow_up_toll(walk.out, sent, i)
        return
    if all(c.event_type not in TOLLED for c in cands) and completes_toll(sent.text):
        # A revised count beside an act of another kind ("... said 59 people had been
        # buried, and local leaders warned the figure could rise"): the attack's toll too.
        follow_up_toll(walk.out, sent, i)
    groups = _place_groups(art, i, cands, walk)
    cands = each_counterpart(reciprocal(dedupe_verbal(cands, actors), walk.recent), actors)
    earlier = [a for j in range(max(0, i - BOTH_LOOKBACK), i) for a in art.actors[j]]
    cands = both_counterparts(cands, earlier)
    for c in cands:
        if (
            c.actor1 is None
            and walk.last_person is not None
            and _PRONOUN.search(sent.text[: c.tstart])
        ):
            c.actor1 = walk.last_person
        c.date = nearest_date(dates, c.tstart, c.event_type in PHYSICAL, sent.text)
    cands = _one_assault_per_day(cands)
    _share_subject(cands, art.published)
    walk.emit(
        [
            c
            for c in finish(cands, groups, find_fatalities_at(sent.text))
            if not _background(c, art.published)
            and (_completes_attack(c, walk) or not drop_candidate(c, art.ctx))
        ]
    )
    if _CLAIM.search(sent.text):
        _apply_claim(walk.last_attack, actors)


def _completes_attack(c: Candidate, walk: _Walk) -> bool:
    """A toll right after an attack ("A roadside bomb hit a minibus. Nine passengers were
    killed."): the attack's dead, political because the attack is, whatever words the
    article uses."""
    last = walk.last_attack
    return (
        c.kind == "weak"
        and c.event_type == "ASSAULT"
        and last is not None
        and 0 <= c.sent_index - last.sent_index <= 1
    )


def _sentence_dates(sent: Sentence, published: date | None, walk: _Walk) -> list[DateMention]:
    """The sentence's dates; they update the last day the article gave and, in its
    opening sentences, its lead date."""
    lead = walk.lead.value if walk.lead is not None else None
    dates = sentence_dates(sent, published, walk.last_day, lead)
    # The day of the last act the article dated, rather than of a statement about it.
    act_days = [d.value for d in dates if d.value is not None and not d.speech]
    any_days = [d.value for d in dates if d.value is not None]
    if act_days or any_days:
        walk.last_day = (act_days or any_days)[-1]
    if walk.lead is None and not walk.lead_done:
        # The article's first date expression dates its lead; if it cannot be
        # resolved (a weekday with no publication date), there is no lead date.
        first = next((d for d in dates if d.precision in ("day", "unknown", "relative")), None)
        if first is not None:
            walk.lead, walk.lead_done = (first if first.value is not None else None), True
    return dates


def _place_groups(
    art: _Article, i: int, cands: list[Candidate], walk: _Walk
) -> list[list[PlaceMention]]:
    """The sentence's places of action; for an act named without one, the capital ("in
    the capital") or the place of the sentence before. Where a speaker was ("officials in
    Kyiv said") is the act's place only when nothing else says where it was: not the
    sentence, not the one before, not an act placed earlier in the article."""
    sent = art.sents[i]
    places = art.places(i)
    acts = any(c.event_type in PLACED and c.kind != "ref" for c in cands)
    spoken = [p for p in places if p.speaker] if acts else []
    if spoken:
        places = [p for p in places if not p.speaker]
    groups = place_groups(places, art.actors[i], sent.text)
    if not groups and acts:
        prev = art.sents[i - 1] if i > 0 else None
        groups = fallback_groups(
            sent,
            prev,
            art.places(i - 1) if i > 0 else [],
            art.actors[i - 1] if i > 0 else [],
            art.context,
            _recent_country(art, i),
        )
    if not groups and spoken:
        if any(c.place is not None for c in walk.out) or unknown_place(sent.text, places):
            for c in cands:
                c.speaker_country = spoken[0].country
        else:
            groups = place_groups(art.places(i), art.actors[i], sent.text)
    return groups


# "met both leaders" refers to the parties named at most this many sentences before.
BOTH_LOOKBACK = 3
# "in the capital" is the capital of the country of the places named at most this many
# sentences before it (a passage about one country in an article about several).
CAPITAL_LOOKBACK = 4


def _recent_country(art: _Article, i: int) -> str | None:
    """The country of the nearest place named in the sentences just before ``i``."""
    for j in range(i - 1, max(-1, i - CAPITAL_LOOKBACK - 1), -1):
        found = [p for p in art.places(j) if not p.speaker]
        if found:
            return found[-1].country
    return None


def _share_subject(cands: list[Candidate], published: date | None) -> None:
    """The sentence's subject belongs to its first attack, unless a later one has a day of
    its own ("captured Goma in January and took Bukavu on February 16")."""
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
        if later.actor1 is lead_attack.actor1 and not later.trigger.separate_act and not own_day:
            later.actor1 = None


def _background(c: Candidate, published: date | None) -> bool:
    """ "captured Goma in late January": an earlier month and no day is background that
    SCHEMA rule 4 does not make an event (it still owns its places and its subject)."""
    return c.date is not None and month_before(c.date, published)


# The lead date is the first day-precise date within this many opening sentences; a
# date first given deep in a long article dates a later passage, not the lead.
LEAD_SENTENCES = 8
# A pronoun before a trigger: the act is the last named person's.
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
                    and k.trigger.separate_act == c.trigger.separate_act
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


def _apply_claim(attack: Candidate | None, actors: list[ActorMention]) -> None:
    """'X claimed responsibility': X becomes actor1 of the latest attack (``attack``) if it
    has no named one."""
    claimant = next((a for a in actors if a.type in ARMED and a.kind == "group"), None)
    if claimant is None or attack is None:
        return
    if attack.actor1 is None or attack.actor1.kind == "role":
        attack.actor1 = claimant
