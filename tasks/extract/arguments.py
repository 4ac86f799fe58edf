"""Arguments of a candidate: who acted on whom, and the ACLED type that follows."""

from __future__ import annotations

import re

from tasks.extract.actors import ActorMention
from tasks.extract.candidates import ARMED, MODIFIER_GAP, PHYSICAL, Candidate
from tasks.extract.dates import PREVIOUS_DAY, DateMention, shift
from tasks.extract.lexicon import cue, cue_in

# "in what the president called a coup": the relative "what" opens its speaker's clause.
_CLAUSE_CUT = re.compile(
    r"(?:,\s+(?:and|but|while|as|even as|whereas)\s+|;\s+|\b(?:in|of) what\s+)"
)

_VICTIM_AFTER = re.compile(
    r"^[^.;:]{0,60}?\b(?:were|was|have been|had been|are|being)\s+(?:\w+\s+)?"
    r"(?:killed|wounded|injured|abducted|kidnapped|shot|detained|arrested|targeted|hit)\b",
    re.I,
)
_VICTIM_BEFORE = re.compile(
    r"\b(?:killing|killed|wounding|wounded|abducting|abducted|kidnapping|kidnapped|injuring)"
    r"\s+(?:at least\s+|more than\s+|about\s+)?"
    r"(?:(?!(?:in|by|during|at|on|from|near|when|as|after|while|before|and)\b)[\w\-,]+\s+){0,3}$",
    re.I,
)
# "the army cantonment", "a police station", "an army convoy": a role noun naming a
# facility or unit that is hit, the target rather than the one who acts.
_FACILITY_AFTER = re.compile(
    r"^\s+(?:base|bases|camp|post|posts|outpost|outposts|checkpoints?|station|stations|"
    r"headquarters|barracks|cantonment|convoys?|vehicles?|patrols?|academy|compound|garrison)\b",
    re.I,
)
_ARMED_WORDS = re.compile(r"\b(?:gunmen|attackers|assailants|fighters|bombers?)\b", re.I)
_BETWEEN = re.compile(r"^\s+between\s+", re.I)
# An attribution: a speech_verbs word after the actor, attribution_words before it.
_SPEAKER_AFTER = r"^\s*(?:\w+\s+){0,2}?(?:{LIST})\b"
_SPEAKER_BEFORE = r"\b(?:{LIST})\s+(?:the\s+)?(?:(?!that\b)[\w\-]+\s+){0,3}$"


def _is_speaker(text: str, a: ActorMention) -> bool:
    """An attribution ("..., police said", "according to officials") rather than a party.
    "The army said its aircraft struck" keeps the army: it speaks about its own act."""
    if re.match(
        r"^\s*(?:\w+\s+){0,2}?(?:said|says|announced)\s+(?:\w+\s+){0,3}?(?:that\s+)?"
        r"(?:its|their|it|they)\b",
        text[a.end :],
    ):
        return False
    if cue_in("speech_verbs", _SPEAKER_AFTER).match(text[a.end :]):
        return True
    # "the ministry said Armenian troops had fired": the reported clause's subject acts.
    return bool(
        cue_in("attribution_words", _SPEAKER_BEFORE).search(text[max(0, a.start - 40) : a.start])
        and not (_CLAUSE_VERB.match(text[a.end :]) and _DAY_WORD.search(text))
    )


# A dated reported clause is an account of an act; an undated one ("said the RSF had
# systematically killed men") is an allegation about a campaign.
_DAY_WORD = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|overnight|"
    r"january|february|march|april|june|july|august|september|october|november|december)\b",
    re.I,
)
_CLAUSE_VERB = re.compile(
    r"^\s+(?:[\w\-]+\s+){0,4}?(?:had|have|has|were|was|are|is|would|will|"
    r"(?!cited|quoted)[a-z]{3,}ed)\b"
)


_STRATEGIC = "Strategic developments"
# A trigger that ends in the passive's "by" ("were forcibly recruited by").
_BY_END = re.compile(r"\bby$", re.I)


def pick_actors(c: Candidate, actors: list[ActorMention]) -> None:
    """Set ``c``'s actor1 (who acts) and actor2 (who is acted on or addressed) from the
    sentence's actor mentions."""
    text = c.sent.text
    actors, victims, by_agent = _parties(c, actors)
    before = [a for a in actors if a.end <= c.tstart]
    if (
        c.trigger.acled == _STRATEGIC
        and by_agent is not None
        and _BY_END.search(text[c.tstart : c.tend])
    ):
        # "were forcibly recruited by al-Shabaab": the agent after "by" acts.
        c.actor1, c.actor2 = by_agent, (before[-1] if before else None)
        return
    if c.event_type not in PHYSICAL and before:
        c.actor1, c.actor2 = _verbal_pair(c, actors, before)
        return
    a1 = _subject(c, before, victims, by_agent)
    a2 = _target(c, actors, victims, a1, by_agent)
    if a1 is None and c.event_type == "ASSAULT":
        for a in actors:
            if a is not a2 and a.type in ARMED | {None} and a not in victims:
                a1 = a
                break
    first = _first_conjunct(a1, actors, text)
    if first is not None and a1 is not None:
        if a2 is None and c.trigger.mutual:
            a1, a2 = first, a1  # "the SDF and Turkish-backed factions clashed": both sides
        elif re.search(r"\b(?:their|its)\s+$", text[first.end : a1.start]):
            a1 = first  # "Malian troops and their Russian allies withdrew": the principal
    between = _BETWEEN.match(text[c.tend :])
    if between and c.event_type in ("ASSAULT", "PROTEST"):
        # "clashes between the army and the KIA": the two parties, in order.
        start = c.tend + between.end()
        pair = [a for a in actors if start <= a.start <= start + 80][:2]
        if len(pair) == 2 and re.search(r"\band\b", text[pair[0].end : pair[1].start]):
            a1, a2 = pair
    held = before[-1] if before else None
    if (
        c.event_type == "COERCE"
        and held is not None
        and a1 is not None
        and a1 is not held
        and _PASSIVE.search(text[held.end : c.tstart])
    ):
        # "..., where SNS supporters had set up a camp, and police said 22 people were
        # detained": the arrest's subject is the one right before its passive verb.
        a1 = held
    if (
        c.event_type in PASSIVE_TYPES
        and a1 is not None
        and a1.end <= c.tstart
        and _PASSIVE.search(text[a1.end : c.tstart])
    ):
        # "47 people had been detained": the subject is the one acted on; the agent is
        # the one named after "by", else the state body that reports it.
        a2 = a1
        a1 = by_agent or next(
            (a for a in actors if a is not a2 and a.type in ("state_forces", "government")),
            None,
        )
    c.actor1, c.actor2 = a1, a2


def _parties(
    c: Candidate, actors: list[ActorMention]
) -> tuple[list[ActorMention], list[ActorMention], ActorMention | None]:
    """The mentions that may be parties to the act, those named as its victims, and the
    agent named after "by" ("were killed by gunmen")."""
    text = c.sent.text
    # Actors inside the trigger are dropped; one that starts before it is its modifier
    # ("Israeli fighter jets" over the trigger "fighter jets").
    actors = [a for a in actors if not (c.tstart <= a.start < c.tend)]
    if c.event_type in ("ASSAULT", "PROTEST"):
        # Attributions are not parties to violence; for deployments, aid and arrests the
        # one who announces it is usually the one who does it.
        actors = [a for a in actors if not _is_speaker(text, a)]
    victims = [
        a
        for a in actors
        if (
            _VICTIM_AFTER.match(text[a.end :])
            or _VICTIM_BEFORE.search(text[max(0, a.start - 40) : a.start])
            or (a.kind == "role" and _FACILITY_AFTER.match(text[a.end :]))
        )
        and a.end <= c.tstart + 200
    ]
    by_agent = None
    for a in actors:
        if a.start > c.tend and re.search(
            r"\bby\s+(?:the\s+)?(?:[\w\-]+\s+){0,2}$", text[max(0, a.start - 30) : a.start]
        ):
            by_agent = a
            break
    # "M23 rebels backed by Rwanda captured ...": the backer is not the one acting.
    actors = [
        a for a in actors if not _BACKER.search(text[max(0, a.start - 30) : a.start])
    ] or actors
    return actors, victims, by_agent


def _verbal_pair(
    c: Candidate, actors: list[ActorMention], before: list[ActorMention]
) -> tuple[ActorMention, ActorMention | None]:
    """Verbal acts: the clause subject, i.e. the first actor before the verb, and the
    party it addresses (the second of "Israel and Hamas agreed", else the next after)."""
    text = c.sent.text
    cut = max((m.end() for m in _CLAUSE_CUT.finditer(text[: c.tstart])), default=0)
    clause = [a for a in before if a.start >= cut] or before
    subj = clause[0] if clause else before[-1]
    nxt = next((a for a in before if a.start > subj.end), None)
    a2c = None
    if nxt is not None and re.fullmatch(r"\s+and\s+(?:the\s+)?", text[subj.end : nxt.start]):
        a2c = nxt  # "Israel and Hamas agreed": the pair
    others = [a for a in actors if a.start >= c.tend and a is not subj]
    return subj, a2c or (others[0] if others else None)


def _subject(
    c: Candidate,
    before: list[ActorMention],
    victims: list[ActorMention],
    by_agent: ActorMention | None,
) -> ActorMention | None:
    """Who does a physical act: the mention right before the trigger, else the agent
    after "by", else the nearest non-victim before it."""
    text = c.sent.text
    a1: ActorMention | None = None
    for a in reversed(before):
        gap = text[a.end : c.tstart]
        if len(gap) <= MODIFIER_GAP or re.fullmatch(r"\s*(?:[a-z\-]+\s+){0,2}", gap):
            if a not in victims:
                a1 = a
            break
    if a1 is None and by_agent is not None:
        a1 = by_agent
    if a1 is None:
        for a in reversed(before):
            if a not in victims and a.type != "civilians":
                a1 = a
                break
    if a1 is None and c.event_type not in ("ASSAULT",):
        a1 = before[-1] if before else None
    return a1


def _target(
    c: Candidate,
    actors: list[ActorMention],
    victims: list[ActorMention],
    a1: ActorMention | None,
    by_agent: ActorMention | None,
) -> ActorMention | None:
    """Who a physical act is aimed at: the first victim of an attack, else the first
    mention after the trigger that is not its subject's side."""
    if c.event_type == "ASSAULT" and victims and victims[0] is not a1:
        return victims[0]
    for a in actors:
        if (
            a.start >= c.tend
            and a is not a1
            and a is not by_agent
            and (a1 is None or a.country != a1.country or a.type != a1.type)
        ):
            return a
    return None


# Acts whose grammatical subject in the passive is their target.
PASSIVE_TYPES = {"COERCE", "ASSAULT"}
_PASSIVE = re.compile(
    r"^\s*(?:\w+\s+)?(?:was|were|had been|have been|has been|been|being|is being|are being)"
    r"\s+(?:\w+\s+)?$",
    re.I,
)


_BACKER = re.compile(
    r"\b(?:backed|supported|funded|armed|sponsored|aided) by\s+(?:the\s+)?$"
    r"|\b(?:loyal|allied|affiliated|linked) (?:to|with)\s+(?:the\s+)?$",
    re.I,
)
_AND = re.compile(r"\s+and\s+(?:the\s+|their\s+|its\s+)?", re.I)


def _first_conjunct(
    a: ActorMention | None, actors: list[ActorMention], text: str
) -> ActorMention | None:
    """The actor joined to ``a`` by "and" right before it ("X and Y clashed"), if any."""
    if a is None:
        return None
    for p in actors:
        if p.end <= a.start and _AND.fullmatch(text[p.end : a.start]):
            return p
    return None


def assault_type(c: Candidate) -> None:
    t = c.trigger
    a1, a2 = c.actor1, c.actor2
    if t.territory and a2 is not None and a2.type == "civilians":
        c.acled, c.sub = "Violence against civilians", "Attack"  # a raid on residents
        return
    if t.territory and _UNOPPOSED.search(c.sent.text):
        c.acled, c.sub = "Strategic developments", "Non-violent transfer of territory"
        return
    if t.territory:
        # "retook", "recaptured", "regained": taking back, which is what governments do
        # unless a non-state group is named as the one acting.
        back = c.sent.text[c.tstart : c.tend].lower().startswith(("re", "liberat")) and (
            a1 is None
            or a1.type in ("state_forces", "government")
            or bool(_STATE_SUBJECT.search(c.sent.text[: c.tstart]))  # "forces and allied militia"
        )
        c.acled = "Battles"
        c.sub = (
            "Government regains territory"
            if back or (a1 is not None and a1.type == "state_forces")
            else "Non-state actor overtakes territory"
        )
        return
    if t.acled:
        c.acled, c.sub = t.acled, t.sub
        return
    word = c.sent.text[c.tstart : c.tend].lower()
    # "US forces struck a boat", "Israel struck Damascus": a state's strike abroad (or at
    # sea) comes from the air; at home "troops struck" may be a ground raid.
    where = c.places[0][0].country if c.places and c.places[0] else None
    abroad = where is None or (a1 is not None and where != a1.country)
    if (
        (word in ("strike", "strikes") or (word == "struck" and abroad))
        and a1 is not None
        and a1.kind in ("country", "demonym")
        and a1.type in ("state_forces", "government")
    ):
        # "Israel resumed strikes across Gaza": a state's strikes come from the air.
        c.acled, c.sub = "Explosions/Remote violence", "Air/drone strike"
        return
    armed2 = a2 is not None and (a2.type in ARMED or bool(_ARMED_WORDS.search(a2.text)))
    if armed2:
        c.acled, c.sub = "Battles", "Armed clash"
    else:
        c.acled, c.sub = "Violence against civilians", "Attack"


# State forces named first in the subject, before an allied militia the actors may pick.
_STATE_SUBJECT = re.compile(
    r"^(?:the\s+)?(?:[A-Z][\w\-]+\s+)?(?:government\s+)?(?:forces|troops|army|soldiers)\b"
)
_UNOPPOSED = re.compile(
    r"\bwithout (?:meeting |encountering )?(?:a |any )?(?:fight|fighting|resistance|opposition|"
    r"a shot being fired|firing a shot)\b"
    r"|\b(?:handed over|ceded|vacated|abandoned by|peacefully|unopposed)\b",
    re.I,
)
# How far (characters) after its trigger "a day earlier" still dates that act ("detained
# 11 suspects in raids in Kabul and in the province of Balkh a day earlier").
EARLIER_WINDOW = 110
_DAY_AFTER = re.compile(r"\b(?:a|one) day after\b", re.I)
_DAY_EARLIER = re.compile(r"\b(?:a|one) day (?:earlier|before)\b|\bthe previous day\b", re.I)
CROWD_TYPES = {"protesters", "rioters"}
_AT_CROWD = re.compile(
    r"^\s+(?:(?:on|at|upon|into)\s+)?(?:the\s+|a\s+)?(?:[\w\-]+\s+)?"
    r"(?:protesters|demonstrators|crowds?|marchers|rioters)\b",
    re.I,
)


def shift_day(c: Candidate) -> None:
    """ "..., a day after protesters broke in" / "an attack a day earlier": one day back."""
    if c.date is None or c.date.value is None or PREVIOUS_DAY.fullmatch(c.date.text):
        return  # no day, or the day already counted back from "a day earlier"
    text = c.sent.text
    after = _DAY_AFTER.search(text)
    earlier = _DAY_EARLIER.search(text, c.tend)
    if (after and after.end() <= c.tstart and c.date.start < after.start()) or (
        earlier and earlier.start() - c.tend < EARLIER_WINDOW
    ):
        d = c.date
        c.date = DateMention(d.start, d.end, d.text, shift(d.value, -1), d.precision, d.base)


def crowd_event(c: Candidate) -> bool:
    """Violence between a crowd and police or a militia is coded as a demonstration."""
    types = {a.type for a in (c.actor1, c.actor2) if a is not None}
    at_crowd = _AT_CROWD.match(c.sent.text[c.tend :])  # "opened fire on protesters"
    if c.trigger.territory:
        # "crowds stormed the parliament": a riot, not a battle for territory.
        crowd_first = _CROWD_SUBJECT.match(c.sent.text[: c.tstart])  # before "police lines"
        return bool(crowd_first) or (
            c.actor1 is not None
            and (c.actor1.type in CROWD_TYPES or bool(_CROWD_NOUN.fullmatch(c.actor1.text)))
        )
    if _armed_crowd(c):
        return False
    if mob_act(c):
        return True
    return (bool(types & CROWD_TYPES) or bool(at_crowd)) and c.trigger.crowd_violence


# A sentence that opens with a crowd: "Anti-government demonstrators broke through police
# lines and stormed parliament".
_CROWD_SUBJECT = re.compile(
    r"^(?:[\w\-]+\s+){0,2}?(?:protesters|demonstrators|rioters|crowds?|mobs?)\b", re.I
)


# A crowd that carries guns or machetes, or an armed group that fires on a crowd ("Armed
# youths raided cattle camps, killing seventeen", "young men armed with machetes and guns
# attacked a Fulani settlement", "protesters were shot dead by armed groups") commits an
# attack, not a demonstration: the event is an ASSAULT on its victims (SCHEMA: the
# event type follows the act; ACLED codes armed mobs' killings as violence against
# civilians). Stones, sticks and petrol bombs keep a riot a riot.
_ARMED_CROWD = re.compile(
    r"\barmed\s+(?:youths?|young\s+men|men|groups?|gangs?|civilians|villagers|herders|"
    r"militiamen|vigilantes)\b|\barmed\s+with\s+(?:[\w\-]+,?\s+(?:and\s+)?){0,4}?"
    r"(?:guns|rifles|firearms|machetes|weapons|AK-47s?|pistols)\b",
    re.I,
)


def _armed_crowd(c: Candidate) -> bool:
    subject = c.sent.text[: c.tstart]
    clause = subject[max(subject.rfind(","), subject.rfind(";")) + 1 :]
    if _ARMED_CROWD.search(clause) or (c.actor1 is not None and _ARMED_CROWD.search(c.actor1.text)):
        return True
    return bool(
        c.actor2 is not None
        and c.actor2.type in CROWD_TYPES
        and c.actor1 is not None
        and c.actor1.type in ("rebel_group", "political_militia", "identity_militia")
    )


# A crowd that is not demonstrating: residents, villagers, a mob.
_MOB_ACTOR = re.compile(
    r"(?:(?:dozens|hundreds|scores)\s+of\s+)?"
    r"(?:the\s+|an?\s+)?(?:(?:angry|irate)\s+)?(?:crowds?|mobs?|residents|villagers|neighbou?rs|"
    r"locals|onlookers|youths|(?:a\s+)?group\s+of\s+(?:men|youths|residents|villagers))\b",
    re.I,
)
_PROTEST_WORDS = re.compile(r"\b(?:protest\w*|demonstrat\w*|rall(?:y|ies)|march\w*)\b", re.I)


def mob_act(c: Candidate) -> bool:
    """A crowd that is not a demonstration attacking people ("Residents caught two
    suspected thieves and beat them to death"): ACLED's mob violence."""
    a1 = c.actor1
    subject = _SCENE.sub("", c.sent.text[: c.tstart].strip())
    return (
        (c.trigger.crowd_violence or c.trigger.sub == _SEIZED)
        and (a1 is None or a1.type not in ("state_forces", "rebel_group", "political_militia"))
        and bool(_MOB_ACTOR.match(subject))
        and not _SAID.search(subject)
        and not _PROTEST_WORDS.search(c.sent.text)
    )


# A crowd that seizes people and kills them ("residents seized three men and beat them
# to death") is a mob, not kidnappers.
_SEIZED = "Abduction/forced disappearance"
# "Residents said the checkpoint had been targeted": the crowd speaks, it does not act.
_SAID = re.compile(r"\b(?:said|say|says|told|reported|accused|blamed|claimed)\b", re.I)
# A scene-setting opening before the subject: "In Antananarivo, a crowd set upon ...".
_SCENE = re.compile(r"^(?:In|At|On|Near)\s[^,]{1,60},\s*")


_CROWD_NOUN = re.compile(
    r"(?:the\s+)?(?:crowds?|mobs?|protesters|demonstrators|rioters|youths|residents)", re.I
)


# A riot by a mob, not by demonstrators: ACLED's mob violence.
_MOB = re.compile(r"(?:the\s+|an?\s+)?(?:(?:angry|irate|armed)\s+)?mobs?\b", re.I)


# People of a place, not a crowd that gathered: their riot is mob violence ("Residents of
# Soweto set fire to a shop"); "crowds stormed parliament" stays a violent demonstration.
_LOCALS = re.compile(
    r"(?:the\s+|some\s+)?(?:(?:angry|irate|enraged)\s+)?(?:residents|villagers|locals|"
    r"neighbou?rs|onlookers|(?:a\s+)?group\s+of\s+(?:residents|villagers))\b",
    re.I,
)


def _subject_words(c: Candidate) -> str:
    return _SCENE.sub("", c.sent.text[: c.tstart].strip())


# Force against protesters that ACLED counts as excessive even when nobody died: live
# fire that hit people, maimings, beatings that put people in hospital.
_SEVERE = re.compile(
    r"\b(?:wounding|injuring|blinding|blinded|maiming|hospitali[sz]ed|in\s+hospital|critically|"
    r"fractur\w*|"
    r"(?:head|serious)\s+injuries|seriously\s+(?:injured|"
    r"wounded)|birdshot|live\s+(?:ammunition|rounds|fire|bullets)|shot\s+(?:and\s+)?(?:wounded|"
    r"injured))\b",
    re.I,
)


# A passive verb right before the trigger: the crowd before it is acted on.
_PASSIVE_END = re.compile(r"\b(?:was|were|been|being)\s+(?:[a-z]+ly\s+)?$", re.I)


# A crowd opening the sentence as the subject of a passive ("Two demonstrators were
# killed when soldiers opened fire"): the crowd suffers the act, it does not riot.
_CROWD_ACTED_ON = re.compile(
    r"^(?:[\w\-]+\s+){0,2}?(?:protesters|demonstrators|marchers)\s+(?:were|was|had\s+been|"
    r"have\s+been)\s+(?:[a-z]+ly\s+)?(?:killed|shot|wounded|injured|beaten|hurt)\b",
    re.I,
)


def protest_type(c: Candidate) -> None:
    text = c.sent.text
    a1 = c.actor1
    if (
        c.trigger.event_type == "ASSAULT"
        and a1 is not None
        and a1.type == "state_forces"
        and (
            not _CROWD_SUBJECT.match(text[: c.tstart])  # "demonstrators broke through police"
            or _PASSIVE_END.search(text[: c.tstart])  # "demonstrators were shot at by police"
            or _CROWD_ACTED_ON.match(text[: c.tstart])  # "demonstrators were killed when ..."
        )
    ):
        killed = c.fatalities is not None and c.fatalities[0] > 0
        c.acled = "Protests"
        c.sub = "Excessive force against protesters" if killed else "Protest with intervention"
        return
    if c.trigger.event_type == "ASSAULT":
        c.acled, c.sub = "Riots", ("Mob violence" if mob_act(c) else "Violent demonstration")
        return
    if c.trigger.fixed_sub and c.trigger.acled == "Riots" and _MOB.match(_subject_words(c)):
        c.acled, c.sub = "Riots", "Mob violence"  # "a mob of youths set the station ablaze"
    elif (
        c.trigger.fixed_sub
        and c.trigger.acled == "Riots"
        and _LOCALS.match(_subject_words(c))
        and not _PROTEST_WORDS.search(text)
    ):
        c.acled, c.sub = "Riots", "Mob violence"  # "residents set fire to a shop": no protest
    elif c.trigger.fixed_sub:
        c.acled, c.sub = c.trigger.acled, c.trigger.sub  # "rioting", "lynched"
    elif cue("riot_cues").search(text):
        c.acled, c.sub = "Riots", "Violent demonstration"
    elif cue("intervention_cues").search(text):
        killed = c.fatalities is not None and c.fatalities[0] > 0
        c.acled = "Protests"
        c.sub = (
            "Excessive force against protesters"
            if killed or _SEVERE.search(text)
            else "Protest with intervention"
        )
    else:
        c.acled, c.sub = "Protests", "Peaceful protest"
