"""Turn candidates into events: fill places, dates and actors from context, set types,
confidence and evidence (references and repeats are settled in merging.py first)."""

from __future__ import annotations

import re
from collections import Counter
from typing import cast

from tasks.extract.actors import ActorMention
from tasks.extract.attach import attach
from tasks.extract.budget import NO_BUDGET, Budget
from tasks.extract.candidates import PHYSICAL, Candidate
from tasks.extract.canonical import canonical_name
from tasks.extract.dates import DateMention
from tasks.extract.folding import fold
from tasks.extract.grouping import best_place
from tasks.extract.merging import merge, refine
from tasks.extract.places import PlaceMention
from tasks.models import ActorType, DatePrecision, Event, GeoPrecision, PloverType

# Confidence: a base for any coded trigger plus a bonus per grounded field; weak
# triggers ("killed" alone) and inherited places/dates lower it.
BASE_CONFIDENCE = 0.4
FIELD_BONUS = 0.1
INHERITED_PENALTY = 0.05
# A meeting, visit or deal named without a place happened where the passage around it
# says ("held talks in Kabul on Saturday. Dar met Muttaqi ..."): the nearest place named
# at most this many sentences before it (within this many paragraphs back) or after it.
# Further away, a place belongs to another part of the story.
MEETING_SENTENCES_BACK = 4
MEETING_SENTENCES_AHEAD = 1
MEETING_PARAGRAPHS_BACK = 1
MEETING_TYPES = {"CONSULT", "AGREE", "COOPERATE", "REQUEST"}
# Talks held in a country the article names at most this often (its actors, its name,
# the host's officials) were hosted there: parties without a country of their own are
# not the host's.
HOST_MENTIONS = 2
# An act with no place anywhere in the article's coded acts is in the country the article
# names most, when it names it at least this many times as often as the next one.
HOME_MARGIN = 2


_ARMED = re.compile(
    r"\b(?:gunmen|gunman|attackers|assailants|bandits|militants|fighters|bombers?|kidnappers|"
    r"abductors|raiders|jihadists?|insurgents?|rebels?|militiamen|militias?|terrorists?|"
    r"extremists?|armed\s+(?:men|group|groups|individuals))\b",
    re.I,
)
# Forces and gangs named as the subject of an act against civilians ("a UN report said
# soldiers gang-raped women"), when the actor reading left the act without an actor.
_FORCES = re.compile(
    r"\b(?:soldiers|troops|policemen|police officers|security forces|gang members)\b", re.I
)
POLITICAL_TYPES = {
    "state_forces",
    "government",
    "rebel_group",
    "political_militia",
    "identity_militia",
    "external_other",
}


def _political(c: Candidate) -> bool:
    """Whether a candidate is a political event at all: sports "rallied to win", business
    "meetings" and "asked" in interviews have no state, armed or organised actor."""
    if c.trigger.political_act:
        return True  # "handed the base to the army", "a mass grave was found"
    actors = [a for a in (c.actor1, c.actor2) if a is not None]
    organised = any(
        a.type in POLITICAL_TYPES
        or a.kind in ("group", "country")
        or _ARMED.search(a.text)
        or (a.type is None and a.kind == "role")  # "masked men", "hooded men", "raiders"
        for a in actors
    )
    if c.event_type == "ASSAULT":
        # "Militiamen subjected women to rape": an armed subject the actor reading missed.
        armed_subject = c.trigger.separate_act and bool(
            _ARMED.search(c.sent.text[: c.tstart]) or _FORCES.search(c.sent.text[: c.tstart])
        )
        return organised or c.fatalities is not None or c.trigger.weapon or armed_subject
    if c.event_type == "PROTEST":
        return True  # the trigger itself names a demonstration or riot
    if c.event_type == "COERCE" and c.actor1 is None and _unnamed_arrest(c):
        return True  # "Police said 22 people were detained": the arrests of the day
    if c.event_type == "MOBILIZE" and c.actor1 is None and _unnamed_deployment(c):
        return True  # "The Centre ordered 50 companies of armed police to Manipur"
    if (
        c.event_type == "ACCUSE"
        and c.actor1 is not None
        and c.actor1.type in ("civilians", "protesters")
        and c.actor2 is not None
        and c.actor2.type == "state_forces"
    ):
        return True  # "residents blamed security forces": civilians accuse the forces
    return c.actor1 is not None and (
        c.actor1.type in POLITICAL_TYPES
        or c.actor1.kind in ("group", "country")
        or (c.event_type == "CONCEDE" and bool(_ARMED.search(c.actor1.text)))  # "gunmen freed"
    )


def _unnamed_arrest(c: Candidate) -> bool:
    """An arrest told with no arrester ("dozens of people had been arrested", "224 people
    have been detained since the protests began"): the police's, when the sentence names
    who was held. drop_candidate has already asked for a political context."""
    return c.trigger.mode == "arrest" and c.actor2 is not None


# The forces a deployment order names in its own words ("ordered 50 more companies of
# central armed police to", "were sent to").
_FORCES_SENT = re.compile(
    r"\b(?:troops|soldiers|police|policemen|personnel|forces|reinforcements|battalions?|"
    r"companies|units|marines|gendarmes|paratroopers|peacekeepers|warships)\b",
    re.I,
)


# Deployment verbs that tell a decision ("ordered", "sent", "deployed"), not a move in
# a fight ("reinforcements were rushed from the police station").
_ORDERED = re.compile(
    r"^(?:ordered|sen[dt]|sending|deploy|dispatch|mobili|took|reinforced|tightened|stepped|"
    r"beefed|heightened|(?:were|was|had been|have been) (?:sent|dispatched|flown|deployed))",
    re.I,
)


def _unnamed_deployment(c: Candidate) -> bool:
    """A deployment of forces told with no one ordering it: the government's."""
    words = c.sent.text[c.tstart : c.tend]
    return bool(_ORDERED.match(words) and _FORCES_SENT.search(words))


def to_events(
    cands: list[Candidate],
    lead_date: DateMention | None,
    budget: Budget = NO_BUDGET,
    dateline: PlaceMention | None = None,
    article_countries: Counter[str] | None = None,
) -> list[Event]:
    """Final Event records, with places and dates filled from the article where missing
    (``dateline`` is where the report was filed: a meeting or statement with no place
    named around it was made there, and an event with no country is in its country;
    ``article_countries`` counts the countries the whole article names)."""
    settled = merge(refine(attach(cands, budget), budget), budget)
    cands = [c for c in settled if _political(c)]
    nearby = _places_by_sentence(settled)
    # Where the article's acts on the ground are: the parties to talks held abroad come
    # from there, not from the host country; a tie of places goes to the acts' country.
    acts = Counter(
        c.place.country for c in cands if c.place is not None and c.event_type in PHYSICAL
    )
    acts_country = acts.most_common(1)[0][0] if acts else None
    countries = Counter(c.place.country for c in cands if c.place is not None)
    top = countries.most_common(2)
    main_country = top[0][0] if top else None
    if len(top) == 2 and top[0][1] == top[1][1] and acts_country in (top[0][0], top[1][0]):
        main_country = acts_country
    counted = article_countries or Counter()
    home = _home_country(counted)
    events: list[Event] = []
    last_place_by_para: dict[int, Candidate] = {}
    last_place: Candidate | None = None
    last_attacker: ActorMention | None = None
    last_actor: tuple[ActorMention, str | None] | None = None
    for c in cands:
        budget.check("filling events from context")
        inherited = False
        place, admin = c.place, c.admin_place
        if place is None and c.event_type in MEETING_TYPES:
            place, admin = _meeting_place(c, nearby)
            inherited = place is not None
            if place is not None:
                # The talks go on there: a request or deal reported after this one.
                nearby.setdefault(c.sent_index, (c.sent.paragraph, (place, admin)))
        if place is None and dateline is not None and c.event_type in MEETING_TYPES:
            place, admin, inherited = dateline, None, True
        if place is None and c.event_type in PHYSICAL:
            prev = last_place_by_para.get(c.sent.paragraph, last_place)
            if prev is not None:
                place, admin, inherited = prev.place, prev.admin_place, True
        if place is not None and c.event_type in PHYSICAL and not inherited:
            last_place_by_para[c.sent.paragraph] = last_place = c
        dm = c.date
        if dm is None and lead_date is not None:
            # No date words in the sentence: the article's lead date (a weekday with no
            # publication date stays unresolved, it is not replaced).
            dm, inherited = lead_date, True
        country = place.country if place else c.speaker_country
        if country is None and c.event_type in PHYSICAL:
            country = main_country
        if country is None and last_actor is not None and _same_person(last_actor[0], c.actor1):
            country = last_actor[1]  # the same actor, still where we left them
        if country is None and c.event_type in PHYSICAL:
            # No place anywhere: "Pakistani forces killed 12 militants" happened at home
            # when the parties name one country only.
            known = {a.country for a in (c.actor1, c.actor2) if a is not None and a.country}
            country = known.pop() if len(known) == 1 else None
        if country is None and dateline is not None and dateline.country in _countries(c):
            # "OUAGADOUGOU - ... the communications ministry suspended TV5Monde": a party of
            # the dateline's country acting with no place named acts at home.
            country = dateline.country
        if country is None and c.event_type in PHYSICAL and _countries(c) <= {home}:
            # No place in any coded act: "protesters in central Antananarivo ... Gendarmes
            # fired tear gas at the crowd" is in the country the article is about.
            country = home
        if c.event_type == "ACCUSE" and c.actor2 is None:
            c.actor2 = last_attacker
        if c.event_type == "ASSAULT" and c.actor1 is not None:
            last_attacker = c.actor1
        host = place is not None and counted[place.country] <= HOST_MENTIONS
        parties = acts_country if host and c.event_type in MEETING_TYPES else None
        events.append(_event(c, place, admin, dm, country, inherited, main_country, parties))
        last_actor = (c.actor1, country) if c.actor1 is not None else None
    return fold(events)


_Placed = tuple[PlaceMention, PlaceMention | None]


def _places_by_sentence(cands: list[Candidate]) -> dict[int, tuple[int, _Placed]]:
    """Sentence index -> (paragraph, its first place of action) over every coded act."""
    out: dict[int, tuple[int, _Placed]] = {}
    for c in cands:
        if c.sent_index in out:
            continue
        groups = [g for g in c.places if any(p.precision != "country" for p in g)]
        if groups:
            out[c.sent_index] = (c.sent.paragraph, best_place(groups[0]))
    return out


def _meeting_place(
    c: Candidate, nearby: dict[int, tuple[int, _Placed]]
) -> _Placed | tuple[None, None]:
    """The place named nearest a meeting that names none: the sentences just before it
    (in its paragraph or the one before), then the one after it (in its paragraph)."""
    i, para = c.sent_index, c.sent.paragraph
    order = list(range(i - 1, i - MEETING_SENTENCES_BACK - 1, -1))
    order += list(range(i + 1, i + MEETING_SENTENCES_AHEAD + 1))
    for j in order:
        hit = nearby.get(j)
        if hit is None:
            continue
        p_para, placed = hit
        if j < i and para - p_para <= MEETING_PARAGRAPHS_BACK or j > i and p_para == para:
            return placed
    return None, None


def _home_country(counts: Counter[str]) -> str | None:
    """The country an article names clearly most often (None on a tie)."""
    top = counts.most_common(2)
    if not top or len(top) == 2 and top[1][1] * HOME_MARGIN > top[0][1]:
        return None
    return top[0][0]


def _countries(c: Candidate) -> set[str]:
    """The countries of a candidate's actors."""
    return {a.country for a in (c.actor1, c.actor2) if a is not None and a.country}


def _same_person(a: ActorMention | None, b: ActorMention | None) -> bool:
    """Whether two mentions name the same person ("Amir Khan Muttaqi" ... "Muttaqi")."""
    if a is None or b is None or a.kind != "person" or b.kind != "person":
        return False
    return a.text.endswith(b.text) or b.text.endswith(a.text)


def _actor_fields(
    a: ActorMention | None, country: str | None
) -> tuple[str | None, str | None, str | None]:
    """Name, country and type; an actor without a country belongs where the event is (or,
    for events without a place, to the country the article is mostly about)."""
    if a is None:
        return None, None, None
    iso = a.country
    if iso is None and a.type != "external_other":
        iso = country
    return a.text, iso, a.type


def _evidence(
    c: Candidate, place: PlaceMention | None, admin: PlaceMention | None, dm: DateMention | None
) -> dict[str, str]:
    """Field -> the words that set it, and "<field>_span" -> "start:end", their offsets
    in the article text (for ``eventpipe explain``)."""
    out: dict[str, str] = {}

    def put(name: str, words: str, start: int) -> None:
        out[name] = words
        out[f"{name}_span"] = f"{start}:{start + len(words)}"

    put("event_type", c.sent.text[c.tstart : c.tend], c.sent.start + c.tstart)
    for name, a in (("actor1", c.actor1), ("actor2", c.actor2)):
        if a is not None:
            put(name, a.text, a.base + a.start)
    if place is not None:
        put("location", place.text, place.base + place.start)
    if admin is not None and admin is not place:
        put("admin1", admin.text, admin.base + admin.start)
    if dm is not None:
        put("event_date", dm.text, dm.base + dm.start)
    if c.fatalities is not None:
        put("fatalities", c.fatalities[1], c.fatalities[2])
    return out


def _event(
    c: Candidate,
    place: PlaceMention | None,
    admin: PlaceMention | None,
    dm: DateMention | None,
    country: str | None,
    inherited: bool,
    main_country: str | None,
    parties_country: str | None = None,
) -> Event:
    # The parties to talks held abroad come from the country of the article's acts, not
    # the host's ("President Maia Sandu met von der Leyen in Brussels").
    home = parties_country
    a1, a1c, a1t = _actor_fields(c.actor1, home or country or main_country)
    if c.actor1 is None and c.event_type == "COERCE" and _unnamed_arrest(c):
        a1, a1c, a1t = "police", country or main_country, "state_forces"
    if c.actor1 is None and c.event_type == "MOBILIZE" and _unnamed_deployment(c):
        a1, a1c, a1t = "government", country or main_country, "government"
    a2, a2c, a2t = _actor_fields(c.actor2, home or country or main_country)
    acled, sub = c.acled, c.sub
    if (
        c.event_type == "RETREAT"
        and sub is None
        and place is not None
        and place.precision != "country"
    ):
        # Giving up a named place without a fight.
        acled, sub = "Strategic developments", "Non-violent transfer of territory"
    if c.event_type == "PROTEST" and a1t != "state_forces":
        a1t = "rioters" if c.acled == "Riots" else "protesters"
        if c.actor1 is None:
            a1, a1c = "protesters", country
    if c.event_type == "ASSAULT" and c.acled == "Violence against civilians" and c.actor2 is None:
        a2, a2c, a2t = "civilians", country, "civilians"
    elif c.actor2 is None:
        # Unnamed target: by default someone of the country where it happened (or the
        # article is about); the name and type stay unknown.
        a2c = country or main_country
    crowd = c.event_type == "PROTEST"
    a1n = canonical_name(*_named(c.actor1, a1), a1t, a1c, acled, crowd)
    a2n = canonical_name(*_named(c.actor2, a2), a2t, a2c, acled, crowd)
    precision = {"point": "point", "admin1": "admin1", "country": "country"}
    fields = sum(x is not None for x in (c.actor1, c.place, c.date))
    confidence = BASE_CONFIDENCE + FIELD_BONUS * fields + (0.1 if c.kind == "explicit" else 0.0)
    if inherited:
        confidence -= INHERITED_PENALTY
    evidence = _evidence(c, place, admin, dm)
    admin1 = (admin.admin1 if admin is not None else None) or (place.admin1 if place else None)
    # Types, actor types and precisions come from the data files as plain strings;
    # Event.problems() checks them against the vocabularies before anything is stored.
    return Event(
        event_type=cast(PloverType, c.event_type),
        acled_event_type=acled,
        acled_sub_event_type=sub,
        actor1=a1,
        actor1_country=a1c,
        actor1_type=cast(ActorType | None, a1t),
        actor2=a2,
        actor2_country=a2c,
        actor2_type=cast(ActorType | None, a2t),
        country=country,
        admin1=admin1,
        location=place.text.removesuffix("'s").removesuffix("\u2019s") if place else None,
        latitude=place.lat if place else None,
        longitude=place.lon if place else None,
        event_date=dm.value if dm else None,
        fatalities=c.fatalities[0] if c.fatalities else None,
        event_mode=c.trigger.mode,
        cameo_code=c.trigger.cameo,
        date_text=dm.text if dm else None,
        date_precision=cast(DatePrecision, dm.precision if dm else "unknown"),
        geo_precision=cast(
            GeoPrecision,
            precision[place.precision] if place else ("country" if country else "unknown"),
        ),
        sentence=c.sent.text,
        char_start=c.sent.start,
        char_end=c.sent.end,
        confidence=round(min(1.0, confidence), 3),
        actor1_canonical=a1n,
        actor2_canonical=a2n,
        evidence=evidence,
    )


def _named(a: ActorMention | None, text: str | None) -> tuple[str | None, str | None, str | None]:
    """The text, kind and preset canonical name of an event's actor (a party the coder
    supplied, "civilians" or "protesters", has no mention: no kind, no preset)."""
    if a is None or text != a.text:
        return text, None, None
    return text, a.kind, a.canonical
