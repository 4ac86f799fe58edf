"""Filters that keep non-political and non-factual mentions out of the event list.

Two levels: :func:`skip_trigger` looks at the words around one trigger (figurative
"attack", a "rocket" launch, "his refusal", "amid protests"); :func:`drop_candidate`
looks at a candidate with its actors, date and toll, and at the article as a whole
(an arrest in a drugs story, a kidnapping with no armed actor, a meeting "next month").
The cue word lists live in ``data/triggers.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from tasks.extract.actors import ActorMention
from tasks.extract.lexicon import PHYSICAL, Trigger, cue, cue_in, trigger_data

if TYPE_CHECKING:
    from tasks.extract.candidates import Candidate

# Characters after a trigger searched for the object of a figurative attack/protest
# ("attacked each other's policies"): about five words.
OBJECT_WINDOW = 40
# Characters before a trigger searched for "amid", "months of": about four words.
BACKGROUND_WINDOW = 35
# The word lists of these filters are cue lists in data/triggers.json, compiled once:
# weapon_nouns (weapons that name an attack only when the sentence says they were used),
# determiners, act_nouns (verbal-act nouns that, after "the"/"his", point back at an act
# already reported), gunfire_words, hazard_words, objection_before/objection_verbs,
# stance_words.
_WEAPON_NOUN = "^(?:{LIST})$"
_DETERMINED = r"\b(?:{LIST})\s+(?:[a-z\-]+\s+)?$"
_ACT_NOUN = "^(?:{LIST})$"
# Words that may follow "protested"/"attacked" when they report a physical act.
_PROTEST_NEXT = re.compile(
    r"^\s*(?:$|[,.;:!?)\u201d\"'\u2019-]|(?:against|outside|in|at|on|near|over|for|across|"
    r"throughout|through|after|before|as|when|while|to|with|since|during|along|peacefully|"
    r"again|and|but|by|from|into|inside|until|demanding|calling|chanting|carrying|holding|"
    r"waving|the\s+(?:killing|death|arrest|detention|decision|election|result|ban|law|bill|"
    r"verdict|ruling|coup|war|government|visit))\b)",
    re.I,
)


def skip_trigger(trig: Trigger, text: str, s: int, e: int, dated: bool) -> bool:
    """Trigger words that, from their own sentence, report no political act."""
    et = trig.event_type
    word = text[s:e]
    before = text[max(0, s - BACKGROUND_WINDOW) : s]
    after = text[e : e + OBJECT_WINDOW]
    close = text[max(0, s - 14) : s]
    fig = cue("figurative_before").search(close)
    if fig and fig.end() >= len(close) - 1:
        return True  # "heart attack", "box-office bomb", "bowling strike"
    if (
        trig.figurative_object
        and not cue_in("gunfire_words", _GUNFIRE).match(word)
        and cue("figurative_objects").match(after.lstrip())
    ):
        return True  # "attacked each other's policies", "met with laughter"
    if _WEEKS_AFTER.search(text[max(0, s - 60) : s]):
        return True  # "weeks after Zambada was detained": background to another event
    if cue("habitual_cues").search(text[max(0, s - 45) : s]) or _FOR_YEARS.match(after):
        return True  # "has repeatedly used", "have long refused", "warning about for years"
    if word.lower().endswith("ing") and _LISTED.search(text[max(0, s - 3) : s]):
        clause = re.split(r"[.;:]", text[max(0, s - HABIT_REACH) : s])[-1]
        if cue("habitual_cues").search(clause):
            return True  # "have for years raided villages, killing residents, kidnapping them"
    if not dated and word.lower().endswith("s") and _GENERIC_AFTER.match(after):
        return True  # "Mass abductions for ransom have become a lucrative business"
    if (
        et != "PROTEST"
        and not dated
        and word.lower().endswith("s")  # acts counted in the plural: "strikes", "attacks"
        and not cue_in("weapon_nouns", _WEAPON_NOUN).match(word)  # "dozens of rockets": a barrage
        and _AGGREGATE.search(text[max(0, s - AGGREGATE_WINDOW) : s])
    ):
        return True  # "has carried out hundreds of strikes", "a surge in attacks": a tally
    if (
        (et in _STRATEGIC or (et in _PERFECT_TYPES and not word.lower().endswith("s")))
        and trig.sub != _BASE
        and not dated
        and _PERFECT_BEFORE.search(text[max(0, s - 30) : s])
    ):
        return True  # "Burundi has also sent troops", "the ADF has pledged allegiance"
    if et in _REQUESTABLE and _REQUESTED.search(text[max(0, s - REQUEST_REACH) : s]):
        return True  # "appealed to Juba to send more troops", "will not allow ... to deploy"
    if trig.event_type == "MOBILIZE" and _ARRIVED_DURING.search(text[max(0, s - 30) : e + 20]):
        return True  # "withdrew when reinforcements arrived": part of the clash
    if et in PHYSICAL and _CHARGED_WITH.search(text[max(0, s - 60) : s]):
        return True  # "detained for 'attacking police officers'": the charge, not a new act
    if et in PHYSICAL and _RISK_OF.search(text[max(0, s - 45) : s]):
        return True  # "confined to their villages by the risk of clashes and landmines"
    if (
        et == "ACCUSE"
        and not dated
        and _REPUTED.search(text[max(0, s - 25) : s])
        and not _BY_AGENT.match(after)
    ):
        return True  # "the ADF is blamed for the deaths of 6,000 civilians": a reputation
    if et == "SANCTION" and _EASED.search(text[max(0, s - 30) : s]):
        return True  # "moved to ease sanctions on Syria": sanctions lifted, none imposed
    if trig.hazard_sense and (
        cue_in("hazard_words", _HAZARD_BEFORE).search(text[max(0, s - 30) : s])
        or cue_in("hazard_words", _HAZARD_AFTER).match(after)
    ):
        return True  # "an earthquake struck", "firefighters battled wildfires"
    if et == "ASSAULT":
        if cue("non_violent_context").search(text) and not cue("violence_cues").search(text):
            return True  # sports, games, markets, photography
        if cue_in("weapon_nouns", _WEAPON_NOUN).match(word) and not cue("weapon_use_cues").search(
            text
        ):
            return True  # "produce two rockets a year", "missile defence budget"
    if et == "PROTEST":
        if trig.objection_sense and cue("objection_before").search(text[max(0, s - 80) : s]):
            return True  # "summoned the envoy to protest against ...": a diplomatic protest
        if (
            trig.objection_sense
            and cue("objection_verbs").fullmatch(word)
            and not _PROTEST_NEXT.match(after)
            and not cue("crowd_words").search(text)
        ):
            return True  # "providers protested longer detention periods": objected
        if not dated and cue("background_before").search(before):
            return True  # "amid months of protests": a backdrop, not a reported protest
    if et == "ACCUSE" and word.lower() == "accused" and _ADJ_BEFORE.search(close):
        return True  # "checked on accused sex trafficker X": an adjective
    if et == "AGREE" and re.search(r"\b(?:its|their|his|her|the|previously|already)\s+$", close):
        return True  # "its agreed cuts": an adjective
    if trig.stance and cue("stance_words").match(word) and not dated:
        return True  # "Officials denied the claim", "Rwanda denies backing M23": a stance
    if et == "THREATEN" and word.lower().startswith("warn") and _forecast(text[e:]):
        return True  # "officials warned the toll could rise": a forecast, not a threat
    if et in ("REQUEST", "THREATEN") and cue("weather_cues").search(text):
        return True  # safety advice about the weather or an epidemic
    if et not in ("ASSAULT", "PROTEST", "MOBILIZE", "RETREAT", "AID"):
        # A verbal act named by a noun after "the" or "his" is a reference ("his
        # refusal", "the phone call", "his arrest"), unless the sentence dates it.
        close_before = text[max(0, s - 30) : s]
        if cue_in("act_nouns", _ACT_NOUN).match(word) and (
            (not dated and cue_in("determiners", _DETERMINED).search(close_before))
            or _OBJECT_POSSESSOR.search(close_before)
            or (not dated and _POSSESSOR.search(close_before))
        ):
            return True  # also "the students' demands", "Russia's demands": a reference
        if cue("not_an_act").match(text[s:]):
            return True  # "asked not to be identified", "agreed to an interview"
        if (
            cue("business_cues").search(text)
            and not cue("state_cues").search(text)
            and not cue("conflict_cues").search(text)  # "armed groups announced a merger"
        ):
            return True  # a company deal, a singer's row with her label
    return False


# Trigger words that name gunfire itself: their object is never figurative ("fired on
# its positions" is not "attacked its positions on tax").
_GUNFIRE = r"(?:{LIST})\b"
# A natural hazard right before or after the trigger (hazard_words).
_HAZARD_BEFORE = r"\b(?:{LIST})\s+(?:[\w\-]+\s+)?$"
_HAZARD_AFTER = r"^\s+(?:the\s+|a\s+)?(?:[\w\-]+\s+)?(?:{LIST})\b"
_WEEKS_AFTER = re.compile(
    r"\b(?:hours|days|weeks|months|years|decades) (?:after|before)\s+(?:[\w'\u2019\-]+\s+){0,5}$",
    re.I,
)
# Characters before a trigger searched for a tally of many acts ("hundreds of air strikes
# since the overthrow", "a surge in attacks on police"): background, not one event
# (SCHEMA rule 4: history is an event when the text dates it). Not for protests, whose
# crowds are counted so ("thousands of protesters"). "A series of suicide bombings ... on
# Saturday" is one event of several blasts: only tallies of hundreds or dozens count.
# "Repeated attacks on its ports", "frequent raids": acts told as recurring, no one act.
AGGREGATE_WINDOW = 40
_AGGREGATE = re.compile(
    r"\b(?:(?:hundreds|thousands|dozens|scores)\s+of"
    r"|(?:repeated|frequent|recurring|persistent|incessant|near-daily|nightly)"
    r"|(?:a|the)\s+(?:surge|rise|increase|upsurge|wave)\s+(?:in|of))\s+(?:[\w\-]+\s+)?$",
    re.I,
)
# A participle listed after a habitual verb ("bandits have for years raided villages,
# killing residents, kidnapping them for ransom") shares its habit: no one act (SCHEMA
# rule 4 makes history an event only when dated). Characters searched back for the habit.
HABIT_REACH = 120
_LISTED = re.compile(r",\s*$")
# Acts in the plural said to be common ("abductions for ransom have become a business",
# "attacks are frequent"): a generalisation, no event.
_GENERIC_AFTER = re.compile(
    r"^\s+(?:[\w\-]+\s+){0,3}?(?:(?:have|has)\s+become\b|(?:are|remain|have\s+been)\s+"
    r"(?:common|commonplace|frequent|routine|rife|widespread|rare)\b)",
    re.I,
)
# Strategic developments (deployments, allegiances, mergers, recruitment) told in the
# present perfect without a day ("Burundi has also sent troops", "the ADF, which has
# pledged allegiance to the Islamic State group"): the group's standing, background that
# SCHEMA rule 4 makes an event only when the text dates it. Reporting an act that happened
# this week is done with a dated simple past ("sent reinforcements on Thursday").
# A base or headquarters set up is the exception: "JNIM fighters have set up a base in the
# Kodjoari forest" reports the new base itself (ACLED's "Headquarters or base established").
_STRATEGIC = frozenset({"MOBILIZE", "COOPERATE"})
_BASE = "Headquarters or base established"
# An attack told in the undated present perfect as a party's record ("the two countries
# have fought two wars over the region", "the group has carried out bombings in Russia"):
# background with no date (SCHEMA rule 4). Verb triggers only: a plural noun ("have
# strikes") is no perfect. Verbal acts stay: labellers date "has accused" to the report.
_PERFECT_TYPES = frozenset({"ASSAULT"})
_PERFECT_BEFORE = re.compile(
    r"\b(?:has|have)\s+(?:(?:also|already|now|since|previously|recently)\s+)?$", re.I
)
# A physical act named as the content of a request or a permission ("appealed to the
# government to send more troops", "called on donors to speed up the deployment", "will
# not allow hostile forces to deploy"): nothing happened yet; the request itself is the
# event (SCHEMA rule 3, REQUEST), not the act asked for. Characters searched back for
# the governing verb: about a dozen words within the clause.
REQUEST_REACH = 90
_REQUESTED = re.compile(
    r"\b(?:appeal(?:ed|s|ing)?|call(?:ed|s|ing)?\s+(?:on|upon)|urg(?:ed|es|ing|e)|"
    r"ask(?:ed|s|ing)?|allow(?:ed|s|ing)?|permit(?:ted|ting)|press(?:ed|es|ing)|"
    r"request(?:ed|s|ing)?|plead(?:ed|s)?|implor(?:ed|es))\b[^.;:]{0,70}?"
    r"\bto\s+(?:(?:speed\s+up|step\s+up|hasten|accelerate|expedite|increase|allow)\s+"
    r"(?:the\s+)?|(?:(?!(?:after|when|as|since|while|because|where|who|which|that)\b)[\w\-']+\s+){1,5})?$",
    re.I,
)
# Acts that can be the content of a request: the physical ones and a penalty ("called
# on donors to impose sanctions on the settlers").
_REQUESTABLE = PHYSICAL | {"SANCTION"}
# An act named as the charge in an arrest or a trial ("detained for 'attacking police
# officers'", "arrested during the unrest for sabotage and attacking security forces"):
# the arrest is the event; the act charged is either reported already (SCHEMA rule 2) or
# a claim with no day, place or actor of its own.
_CHARGED_WITH = re.compile(
    r"\b(?:detained|arrested|held|charged|jailed|sentenced|convicted|prosecuted|indicted)\b"
    r"[^.;:]{0,40}?\b(?:for|with|over)\s+[\"\u201c']?(?:[\w\-]+\s+(?:and|or)\s+)?$",
    re.I,
)
# A danger or a fear of violence names no act that happened ("the risk of clashes and
# landmines", "fears of reprisal attacks").
_RISK_OF = re.compile(
    r"\b(?:risks?|threats?|fears?|dangers?|spectre|prospect|possibility)\s+of\s+"
    r"(?:[\w\-]+\s+(?:and\s+|or\s+)?){0,3}$",
    re.I,
)
# A group's reputation, told in the present passive with no accuser ("the ADF is blamed
# for the deaths of more than 6,000 civilians since 2014"): no one made an accusation
# (SCHEMA rule 3 codes a condemnation as the act of the party that made it).
_REPUTED = re.compile(
    r"\b(?:is|are|has\s+been|have\s+been)\s+(?:widely\s+|often\s+|also\s+|largely\s+|"
    r"frequently\s+|long\s+)?$",
    re.I,
)
_BY_AGENT = re.compile(r"^\s+(?:[\w\-]+\s+){0,2}?by\b", re.I)
# Sanctions eased or lifted are no SANCTION (PLOVER: imposing a penalty).
_EASED = re.compile(
    r"\b(?:eas(?:e|ed|es|ing)|lift(?:ed|s|ing)?|relax(?:ed|es|ing)?|remov(?:e|ed|es|ing)|"
    r"roll(?:ed|s|ing)?\s+back|scrap(?:ped|s|ping)?)\s+(?:the\s+|its\s+|their\s+|all\s+)?"
    r"(?:[\w\-]+\s+)?$",
    re.I,
)
# Reinforcements that arrive while a clash goes on ("until army reinforcements arrived",
# "withdrew when reinforcements arrived") are part of that clash, not a deployment of
# their own (SCHEMA rule 1: one event per action; rule 2: no event for a detail of it).
_ARRIVED_DURING = re.compile(
    r"\b(?:when|after|until|till|before|as|once)\s+(?:the\s+)?(?:[\w\-]+\s+){0,2}?"
    r"reinforcements\s+(?:had\s+)?arrived\b",
    re.I,
)
# A possessor before a verbal-act noun works like "his" ("has not responded to the
# students' demands"): the noun points back at an act, it reports none (SCHEMA rule 2).
_POSSESSOR = re.compile(r"\b[\w\-]+(?:'s|s'|\u2019s|s\u2019)\s+(?:[a-z\-]+\s+)?$")
# "rejected the protesters' demands", "dismissed Kyiv's accusations": a verbal-act noun
# owned by another party and governed by the sentence's own verb ("the") names that
# party's earlier act, never a new one, even in a dated sentence (SCHEMA rule 2).
_OBJECT_POSSESSOR = re.compile(
    r"\b(?:rejected|dismissed|ignored|denied|welcomed|heeded|met|answered|refused)\s+"
    r"(?:the\s+)?[\w\-]+(?:'s|s'|\u2019s|s\u2019)\s+(?:[a-z\-]+\s+)?$",
    re.I,
)
_ADJ_BEFORE = re.compile(r"\b(?:on|the|an|a|of|for|with|to|his|her|their|its)\s+$", re.I)
# A warning whose clause only foresees a harm, with no party that will cause it under a
# condition ("warned that the death toll could rise", "warned the country risked sliding
# into war"), is a forecast: PLOVER's THREATEN needs a threatened act by the speaker.
# Characters after "warned" searched for the forecast word: the clause, up to ~18 words
# ("warned that a shortage of workers and a late frost could weigh on the harvest").
FORECAST_REACH = 110


def _forecast(after: str) -> bool:
    clause = re.split(r"[.;:]", after[:FORECAST_REACH])[0]
    return bool(cue("forecast_words").search(clause)) and not re.search(
        r"\b(?:if|unless|would|will)\b", clause, re.I
    )


_FOR_YEARS = re.compile(r"^\s*(?:[\w\-]+\s+){0,3}?for (?:years|decades|months)\b", re.I)


@cache
def _genre_regex() -> re.Pattern[str]:
    """The genre cues for lower-cased text (without re.I: several times faster)."""
    words = trigger_data()["genre_cues"]
    return re.compile(r"\b(?:" + "|".join(words) + r")\b")


@dataclass(slots=True)
class ArticleContext:
    """What the whole article says about itself; scanned only when a candidate asks."""

    text: str
    published: date | None
    _conflict: bool | None = None
    _genre: int | None = None

    @property
    def genre(self) -> int:
        """How many distinct sports, game or history words the article uses."""
        if self._genre is None:
            found = _genre_regex().findall(self.text[:GENRE_CHARS].lower())
            self._genre = len(set(found))
        return self._genre

    @property
    def conflict(self) -> bool:
        """Armed-conflict or protest vocabulary anywhere in the article."""
        if self._conflict is None:
            self._conflict = bool(cue("conflict_cues").search(self.text))
        return self._conflict


def article_context(text: str, published: date | None) -> ArticleContext:
    return ArticleContext(text, published)


# ", which has been fighting the army since last year,": an aside about the subject, not
# about the statement that follows it.
RELATIVE_CLAUSE = re.compile(r",\s+(?:which|who|whose)\b[^,;]*,")
# Characters after a statement's verb that can still date it as history.
STATEMENT_REACH = 25
# "in 2003", "since early 2017", "during the 2020-2022 war", "in the 1990s", "since a
# 2020 truce", "after a 2023 coup". A year with an article names an earlier event: it
# dates a statement or a deal, not an attack compared with it ("the attack, the deadliest
# since a 2019 massacre, left nine dead").
_IN_YEAR = re.compile(
    r"\b(?:in|since|during|after) (?:the |(?P<art>a |an |its |their ))?(?:early |late |mid-)?"
    r"(?P<year>(?:1[0-9]|20)\d\d)"
    r"(?:s|[-\u2013](?:(?:1[0-9]|20)\d\d|\d\d))?\b",
    re.I,
)
# An earlier year dates the act when it comes before the trigger or within this many
# characters after it; one further on dates a clause of its own ("asked Rwanda to stay in
# Cabo Delgado, where the insurgency has displaced a million people since 2017").
YEAR_WINDOW = 40
_ERA = re.compile(r"\b\d{1,4}\s*(?:BC|BCE|B\.C\.)\b")
# An article with this many distinct sports, game-review or history words is about a
# match, a game or the past: its "attacks", "battles" and "resignations" are not events.
GENRE_MIN = 3
# The genre shows in the opening paragraphs; scanning only these keeps long texts cheap.
GENRE_CHARS = 1500
_FUTURE_DATE = re.compile(r"(?:next|later this|coming)\b", re.I)
# Actor types that make an arrest, abduction or killing part of a political conflict.
# People whose arrest is political whatever the article's vocabulary.
_POLITICAL_TARGETS = {"protesters", "rioters", "rebel_group", "political_militia", "government"}
_NON_STATE_ARMED = {"rebel_group", "political_militia", "identity_militia"}


def _armed_actor(a: ActorMention | None) -> bool:
    if a is None:
        return False
    if a.type in _NON_STATE_ARMED or a.type is None and a.kind == "role":
        return True  # rebels, militias, "gunmen", "bandits"
    if a.kind == "country" and a.type in ("government", "state_forces"):
        return True  # "India launched strikes": a state's own act of war
    return a.type == "state_forces" and a.kind != "role"  # "Nigerian troops", the IDF


# An act told in the perfect inside a non-restrictive relative clause describes one of
# the sentence's parties ("the ADF, which has carried out attacks in Russia, ...", "the
# rulers, who have expelled French troops, ..."): background, not the sentence's news
# (SCHEMA rules 2 and 4), unless the clause gives the act its own date. A simple-past
# clause ("the envoy, who criticised the meeting on Monday") often is the news: kept.
_ASIDE_OPEN = re.compile(r",\s+(?:which|who)\s+(?:has|have|had)\b[^,;:()\u2014]*$", re.I)


def _aside(c: Candidate) -> bool:
    text = c.sent.text
    m = _ASIDE_OPEN.search(text[: c.tstart])
    if m is None:
        return False
    close = re.search(r"[,;:()\u2014]", text[c.tend :])
    end = c.tend + close.start() if close else len(text)
    if c.date is None:
        return True
    at = c.date.base + c.date.start - c.sent.start
    return not m.start() <= at < end


# A protest still to come: announced ("more demonstrations would be held in Amuda") or
# called ("students have called a new rally for Saturday"). The call may be an event of
# its own; the protest is not one yet (SCHEMA rule 4: it has not happened).
_PROTEST_TO_COME = re.compile(
    r"^[\w\s]{0,20}?\b(?:would|will|are\s+to|is\s+to)\s+(?:be\s+)?"
    r"(?:held|staged|take\s+place|go\s+ahead)\b",
    re.I,
)
_PROTEST_CALLED = re.compile(
    r"\bcall(?:ed|s|ing)?\s+(?:for\s+)?(?:a|an|another|new|fresh|more|further)\s+"
    r"(?:[\w\-]+\s+){0,2}$",
    re.I,
)


def _protest_to_come(c: Candidate) -> bool:
    text = c.sent.text
    return c.event_type == "PROTEST" and bool(
        _PROTEST_TO_COME.match(text[c.tend :]) or _PROTEST_CALLED.search(text[: c.tstart])
    )


def _threatened_day(c: Candidate, published: date | None) -> bool:
    """A threat's future date is the day of what is threatened or demanded ("vowed to end
    Maoism by March 2026", "ordered a lockdown for next week, warning that ..."): threats
    are reported once made, so the date is not the threat's."""
    if c.event_type != "THREATEN" or c.date is None:
        return False
    day = c.date.value
    return (day is not None and published is not None and day > published) or bool(
        _FUTURE_DATE.match(c.date.text)
    )


def drop_candidate(c: Candidate, ctx: ArticleContext) -> bool:
    """Candidates that are not political events once actors, date and toll are known."""
    text = c.sent.text
    if _protest_to_come(c):
        return True  # "more demonstrations would be held", "called a new rally"
    day = c.date.value if c.date is not None else None
    if _threatened_day(c, ctx.published):
        # "vowed to end Maoism by March 31, 2026", "would hold protests next week unless":
        # the day is the threatened act's; the threat itself is made now.
        c.date = None
        day = None
    if day is not None and ctx.published is not None and day > ctx.published:
        return True  # "a meeting next month", "will visit on Friday": not yet happened
    if c.date is not None and _FUTURE_DATE.match(c.date.text):
        return True  # "next month", "later this week"
    undated = day is None or c.date is None or c.date.precision != "day"
    # A statement is history only by words before it or right after its verb: "warned the
    # families of protesters killed last year" is this week's warning.
    told = (
        text
        if c.event_type in PHYSICAL
        else RELATIVE_CLAUSE.sub(",", text[: c.tend + STATEMENT_REACH])
    )
    if undated and cue("history_cues").search(told):
        return True  # "last year", "in the 14th century": history without a day
    years = [
        int(m.group("year"))
        for m in _IN_YEAR.finditer(text)
        if (m.start() < c.tstart or m.start() - c.tend < YEAR_WINDOW)
        and (not m.group("art") or c.event_type not in PHYSICAL)
    ]
    if undated and years and ctx.published and min(years) < ctx.published.year:
        return True  # "In 2003, authorities were accused ...": an earlier year, no day
    if undated and _ERA.search(text):
        return True  # "in 218 BC"
    if _aside(c):
        return True  # "the rulers, who took power in a coup, ...": a description
    if ctx.genre >= GENRE_MIN:
        return True  # a rugby report, a game review, a battlefield-tourism piece
    if c.event_type == "COERCE" and c.trigger.needs_political_context:
        political = (
            ctx.conflict
            or _armed_actor(c.actor1)
            or (c.actor2 is not None and c.actor2.type in _POLITICAL_TARGETS)
            or bool(cue("political_cues").search(text))
        )
        if not political:
            return True  # a drugs raid or burglary arrest is not a political arrest
        if cue("crime_cues").search(text) and not cue("conflict_cues").search(text):
            return True
    if c.event_type == "ASSAULT":
        armed = _armed_actor(c.actor1) or _armed_actor(c.actor2)
        if not (ctx.conflict or armed or c.trigger.weapon or c.trigger.political_act):
            return True  # a murder or a kidnapping in a crime story
        if c.trigger.needs_armed_context and not (armed or cue("conflict_cues").search(text)):
            return True  # "a girl was kidnapped in broad daylight"
        if (
            c.trigger.generic
            and not armed
            and c.fatalities is None
            and not cue("violence_cues").search(text)
        ):
            return True  # "under near-constant attack", "Republican attacks"
    if (
        c.event_type == "PROTEST"
        and c.actor1 is None
        and c.place is None
        and c.date is None
        and not cue("crowd_words").search(text)
    ):
        return True  # "the collection was a protest against fast fashion": no one, nowhere
    # "solar project deployment": a deployment of no troops, police or weapons, by no
    # armed actor ("Karen rebels set up a new headquarters" is one).
    return c.event_type == "MOBILIZE" and not (
        cue("security_cues").search(text)
        or cue("conflict_cues").search(text)
        or _armed_actor(c.actor1)
    )
