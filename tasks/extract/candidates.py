"""Trigger matching: which words in a sentence report an act, and which do not.

A trigger becomes a :class:`Candidate` (explicit), a weak one (needs a toll), or a
reference to an earlier event ("the attack"); modal, negated, habitual, reported and
background mentions are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from tasks.extract.actors import ActorMention
from tasks.extract.dates import DateMention
from tasks.extract.filters import skip_trigger
from tasks.extract.lexicon import (
    PHYSICAL,
    Trigger,
    cue,
    cue_in,
    trigger_data,
    trigger_keys,
    triggers,
    word_set,
)
from tasks.extract.numbers import find_fatalities
from tasks.extract.places import PlaceMention
from tasks.extract.sentences import Sentence
from tasks.extract.text import trie_alternation

# How many characters before a trigger are searched for a modal/negation word: about
# three words, so "would soon regret the attack" is caught but an earlier clause is not.
MODAL_WINDOW = 22
# Gap (characters) between an actor and a trigger noun for the actor to count as its
# modifier ("Taliban offensive", "Pakistani airstrikes", "Russian guided aerial bombs").
MODIFIER_GAP = 3
ARMED = {"state_forces", "rebel_group", "political_militia", "identity_militia"}


@dataclass(slots=True)
class Candidate:
    """An event in the making, tied to one trigger in one sentence."""

    trigger: Trigger
    kind: str  # "explicit", "weak" or "ref"
    sent: Sentence
    sent_index: int
    tstart: int
    tend: int
    actor1: ActorMention | None = None
    actor2: ActorMention | None = None
    place: PlaceMention | None = None
    admin_place: PlaceMention | None = None
    places: list[list[PlaceMention]] = field(default_factory=list)
    date: DateMention | None = None
    fatalities: tuple[int, str, int] | None = None  # toll, its words, article offset
    # The country of the place a statement about the act came from ("a statement from
    # Bamako"), for an act whose own place is unknown.
    speaker_country: str | None = None
    acled: str | None = None
    sub: str | None = None
    event_type: str = ""


@cache
def _key_scanner() -> tuple[re.Pattern[str], dict[str, frozenset[int]]]:
    """One regex over every word start (a zero-width lookahead, so overlapping keys are
    all seen) giving the longest key there, and for each key the triggers of it and of
    every shorter key it starts with ("killed" also stands for "kill")."""
    keys = trigger_keys()[0]
    ids: dict[str, frozenset[int]] = {}
    for key in keys:
        prefixes = (key[:n] for n in range(1, len(key) + 1))
        ids[key] = frozenset(i for k in prefixes if k in keys for i in keys[k])
    return re.compile(r"\b(?=(" + trie_alternation(keys) + "))"), ids


@lru_cache(maxsize=1024)
def trigger_ids(text: str) -> frozenset[int]:
    """Indices of the triggers whose literal key words occur in ``text`` (at the start of
    a word): only these can match, so the full patterns run on few sentences."""
    scanner, key_ids = _key_scanner()
    ids = set(trigger_keys()[1])
    for m in scanner.finditer(text.lower()):
        ids.update(key_ids[m.group(1)])
    return frozenset(ids)


def has_trigger(text: str) -> bool:
    """Whether any trigger matches ``text``: the key pre-scan first, then the patterns
    ("took" is a key word in many sentences, "took Bukavu" in few)."""
    return bool(trigger_ids(text)) and bool(_match_triggers(text))


@lru_cache(maxsize=256)
def _match_triggers(text: str, crowd: bool = True) -> tuple[tuple[Trigger, int, int], ...]:
    """Trigger matches, longest first where they overlap; triggers that need a crowd are
    left out before that when the sentence has none ("looted" by soldiers is looting,
    not a riot)."""
    found: list[tuple[Trigger, int, int]] = []
    ids = trigger_ids(text)
    all_triggers = triggers()
    for i in sorted(ids):
        trig = all_triggers[i]
        if trig.needs_crowd and not crowd:
            continue
        for m in trig.pattern.finditer(text):
            if m.start() > 0 and m.group(0)[0].isupper():
                continue  # "March 3", "Strike Force": a name, not the verb
            found.append((trig, m.start(), m.end()))
    # "protesters set fire to the parliament building" is a riot, not looting: a trigger that
    # yields to a crowd loses to an overlapping crowd trigger when the crowd comes first.
    crowds = [(s, e) for t, s, e in found if t.needs_crowd]
    first_crowd = min((m.start() for m in _crowd_words(text)), default=len(text))
    found = [
        t
        for t in found
        if not (
            t[0].yields_to_crowd
            and first_crowd < t[1]
            and any(t[1] < e and s < t[2] for s, e in crowds)
        )
    ]
    found.sort(key=lambda t: (-(t[2] - t[1]), -t[0].rank, t[1]))
    kept: list[tuple[Trigger, int, int]] = []
    for t in found:
        if not any(t[1] < k[2] and k[1] < t[2] for k in kept):
            kept.append(t)
    kept.sort(key=lambda t: t[1])
    return tuple(kept)


def _is_anaphoric(text: str, start: int, actor_ends: set[int]) -> bool:
    """ "the attack", "this major border clash": a noun pointing back at a reported event.
    Not when an actor sits right before the trigger ("the gunmen attacked") or the
    words carry a date ("the April 22 massacre")."""
    dets = "|".join(trigger_data()["anaphor_determiners"])
    before = text[max(0, start - 40) : start]
    m = re.search(rf"\b(?:{dets})\s+((?:[\w\-]+\s+){{0,2}})$", before, re.I)
    if not m:
        return False
    if any(start - 3 <= e <= start for e in actor_ends):
        return False
    return not re.search(
        r"\d|\b(?:January|February|March|April|May|June|July|August|"
        r"September|October|November|December)\b",
        m.group(1),
    )


def _is_modal(text: str, start: int) -> bool:
    return bool(cue("modal_words").search(text[max(0, start - MODAL_WINDOW) : start]))


# What a "territory" trigger takes: a name, or one of territory_nouns (case-sensitive).
_TERRITORY = (
    r"^\s*(?:(?:full|total|complete)\s+)?(?:control|over|back)?\s*(?:of\s+)?(?:the\s+|a\s+|several\s+|[\w\-]+\s+){0,3}?"
    r"(?:[A-Z]|{LIST})"
)
_SUBORDINATE = re.compile(r"\b(?:after|because|since|before|until)\s+(?:she|he|they|it|we)\s+$")
_NEGATED_CLAUSE = re.compile(r"\bno\s+[^,.;]{0,50}?\b(?:had|has|have|was|were)\s+(?:been\s+)?$")
_PLUPERFECT = re.compile(r"\b(?:had|who had|which had)\s+(?:\w+\s+)?$")


# A meeting that was the target of an attack (strike_verbs) is no meeting event.
_STRUCK_BEFORE = r"\b(?:{LIST})\s+(?:a|an|the)\s+(?:[\w\-]+\s+)?$"
# Meetings called off or suspended (called_off_words) are not meetings ("stop high-level
# government visits").
_CALLED_OFF = r"\b(?:{LIST})\s+(?:[\w\-]+\s+){0,3}$"


# A second verb of the speaker after the statement ("called the attack an act of terror
# and on Sunday imposed a curfew"): what follows is done, not reported.
_NEXT_VERB = re.compile(
    r"\band\s+(?:on\s+\w+\s+|later\s+|then\s+|also\s+|swiftly\s+)?(?!been\b|had\b)[a-z]{3,}ed\b"
)


# A deployment announced by the government is a MOBILIZE event on the day it is
# announced ("said it would send 1,500 more troops", "ordered soldiers to deploy"):
# triggers flagged "announced", after one of announce_verbs and not on a condition_words.
_ANNOUNCED = (
    r"\b(?:{LIST})\b[^.;]{0,60}?"
    r"(?:\b(?:would|will|to)\s+(?:\w+\s+)?$|\b(?:ordered|ordering)\s+[^.;]{0,50}?\bto\s+$)"
)
_CONDITION = r"\b(?:{LIST})\b"
_SAID_BEFORE = r"\b(?:{LIST})\b"
# "the framework for peace signed with the rebels" (deal_nouns).
_PARTICIPLE_DEAL = r"\b(?:{LIST})\s+$"


# A sentence-opening frame naming the act only by a noun ("In a separate attack,").
_INTRO_FRAME = re.compile(r"\s*(?:In|During|After)\s+(?:a|an|another|the)\s+(?:[\w\-]+\s+)?", re.I)
# Irregular past tenses that open multi-word triggers ("set it on fire", "threw stones")
# are the cue list irregular_past_verbs.
_VERB_END = re.compile(r"(?:ed|\bhit|\bstruck|\bshot|\bfought|\bdrop|\bslammed into)$")


def _accused_participle(trig: Trigger, text: str, s: int) -> bool:
    """ "companies accused of helping": "accused" as a participle, not a verb."""
    return (
        trig.event_type == "ACCUSE"
        and re.match(r"accused of", text[s:]) is not None
        and not re.search(
            r"\b(?:was|were|is|are|been|being|it|they|he|she|we)\s+$", text[max(0, s - 12) : s]
        )
    )


# The main verb after a participle clause ("a woman accused of witchcraft was stoned").
_MAIN_VERB = re.compile(r"\b(?:was|were)\b", re.I)


def _after_participle_clause(text: str, speech: int, s: int) -> bool:
    """An act told after the main verb that ends an "accused of" participle clause: the
    sentence's own act, not the accusation's content ("accused of a shooting attack")."""
    return (
        re.match(r"accused of", text[speech:]) is not None
        and not re.search(
            r"\b(?:was|were|is|are|been|being|it|they|he|she|we)\s+$",
            text[max(0, speech - 12) : speech],
        )
        and _MAIN_VERB.search(text[speech:s]) is not None
    )


def _skip(trig: Trigger, text: str, s: int, e: int, first_speech: int | None, dated: bool) -> bool:
    """Triggers that do not report an act that happened: modal, negated, reported as
    speech content, ongoing campaigns, disasters, undated background."""
    et = trig.event_type
    if skip_trigger(trig, text, s, e, dated):
        return True
    if et == "CONSULT" and (
        _is_modal(text, s)
        or cue_in("called_off_words", _CALLED_OFF).search(text[max(0, s - 40) : s])
    ):
        return True  # "will visit", "a planned meeting", "stop high-level visits"
    if et == "CONSULT" and cue_in("strike_verbs", _STRUCK_BEFORE).search(text[max(0, s - 25) : s]):
        return True  # "said it had targeted a meeting of Ukrainian commanders"
    condition = cue_in("condition_words", _CONDITION)
    if trig.announced and re.search(r"\b(?:would|will)\b", text[s:e]):
        # "troops would be sent": an act only when announced, and not on a condition.
        said = cue_in("announce_verbs", _SAID_BEFORE).search(text[max(0, s - 80) : s])
        return not said or bool(condition.search(text[s : e + 80]))
    if (
        trig.announced
        and cue_in("announce_verbs", _ANNOUNCED).search(text[max(0, s - MODAL_WINDOW - 40) : s])
        and not condition.search(text[max(0, s - MODAL_WINDOW - 40) : s + 80])
    ):
        return False  # "said it would deploy 5,000 troops / suspend aid": announced, coded
    if et == "AGREE" and cue_in("deal_nouns", _PARTICIPLE_DEAL).search(text[max(0, s - 30) : s]):
        return True  # "the framework for peace signed with the rebels": background
    if et in PHYSICAL | {"AGREE", "SANCTION"}:
        reported = (
            first_speech is not None
            and first_speech < s
            and not _NEXT_VERB.search(text[first_speech:s])
            and not _after_participle_clause(text, first_speech, s)
        )
        if _is_modal(text, s) or reported:
            return True
        if _NEGATED_CLAUSE.search(text[max(0, s - 70) : s]):
            return True
    if et == "ASSAULT":
        if cue("ongoing_cues").search(text[e : e + 25]) and not dated:
            return True
        if trig.weak and cue("disaster_cues").search(text):
            return True
    if et not in PHYSICAL:
        if _SUBORDINATE.search(text[max(0, s - 30) : s]):
            return True  # "arrested ... after she criticised the president": background
        if _accused_participle(trig, text, s):
            return True  # "companies accused of helping": a participle, not an act
    return et not in PHYSICAL and not dated and bool(_PLUPERFECT.search(text[max(0, s - 14) : s]))


@dataclass(slots=True)
class _Picked:
    """A sentence's candidates sorted by role while its triggers are read."""

    best: dict[str, Candidate] = field(default_factory=dict)  # the best act of each type
    verbal: list[Candidate] = field(default_factory=list)
    # All attack triggers: kept apart when dated differently.
    extra: list[Candidate] = field(default_factory=list)
    refs: list[Candidate] = field(default_factory=list)
    # "killed" with a toll: an act of its own next to a kidnapping.
    kills: list[Candidate] = field(default_factory=list)

    def add(self, cand: Candidate) -> None:
        et = cand.event_type
        if cand.kind == "ref":
            if et in ("ASSAULT", "PROTEST"):
                self.refs.append(cand)
            return
        if et not in PHYSICAL:
            self.verbal.append(cand)
            return
        if et == "ASSAULT" and cand.kind == "explicit":
            self.extra.append(cand)
        if et == "ASSAULT" and cand.kind == "weak":
            self.kills.append(cand)
        self.keep_best(cand)

    def keep_best(self, cand: Candidate) -> None:
        cur = self.best.get(cand.event_type)
        if cur is None or better(cand, cur):
            self.best[cand.event_type] = cand


def _crowd_words(text: str) -> list[re.Match[str]]:
    """The sentence's crowd words that are not only the source of the report: in
    "soldiers ransacked shops, residents said" the residents tell of the act, they are
    no crowd that rioted."""
    told = cue_in("speech_verbs", r"\s+(?:{LIST})\b")
    return [m for m in cue("crowd_words").finditer(text) if not told.match(text, m.end())]


def _has_crowd(text: str) -> bool:
    return bool(_crowd_words(text))


def sentence_candidates(
    sent: Sentence, idx: int, dated: bool, actor_ends: set[int]
) -> list[Candidate]:
    """The sentence's candidates in textual order: the best trigger of each act type,
    repeated verbal acts in clauses of their own, every differently worded attack, and a
    reference to an earlier attack when the sentence reports none of its own."""
    text = sent.text
    crowd = _has_crowd(text)
    matches = _match_triggers(text, crowd)
    first_speech = min((s for t, s, _ in matches if t.speech), default=None)
    toll = any(t.weak for t, _, _ in matches) and find_fatalities(text) is not None
    picked = _Picked()
    for trig, s, e in matches:
        if trig.needs_crowd and not crowd:
            continue
        if _skip(trig, text, s, e, first_speech, dated):
            continue
        if trig.territory and not cue_in("territory_nouns", _TERRITORY, 0).search(text[e : e + 50]):
            continue  # "captured a fourth gunman alive" is not taking ground
        if _INTRO_FRAME.fullmatch(text[:s]) and any(
            t.event_type == "ASSAULT" and ts > e for t, ts, _ in matches
        ):
            continue  # "In a separate attack, gunmen killed ...": the verb names the act
        kind = _kind(trig, text, s, e, toll, actor_ends)
        picked.add(Candidate(trig, kind, sent, idx, s, e, event_type=trig.event_type))
    for cand in picked.verbal:
        picked.keep_best(cand)
    _settle_pairs(picked, text, crowd)
    return _collect(picked, text)


def _kind(trig: Trigger, text: str, s: int, e: int, toll: bool, actor_ends: set[int]) -> str:
    """ "explicit"; "weak" for a trigger that needs a toll ("killed"); "ref" for a noun
    pointing back at a reported event, or a weak trigger without a toll."""
    kind = "weak" if trig.weak else "explicit"
    # "that killed", "its drones had hit": a verb, so not a noun pointing back.
    low_words = text[s:e].lower().split()
    verb = (
        trig.territory
        or bool(_VERB_END.search(text[s:e].lower()))
        or (
            len(low_words) > 1
            and (low_words[0].endswith("ed") or low_words[0] in word_set("irregular_past_verbs"))
        )
    )
    if (
        trig.event_type in ("ASSAULT", "PROTEST", "AGREE")
        and not verb
        and _is_anaphoric(text, s, actor_ends)
    ) or (trig.weak and not toll):
        kind = "ref"
    return kind


def _settle_pairs(picked: _Picked, text: str, crowd: bool) -> None:
    """Two act types that are one act between them: the crowd an attack is aimed at, the
    demand of a march, the killing an arrest is over; and a kidnapping beside killings
    that stay an act of their own."""
    best = picked.best
    if (
        "PROTEST" in best
        and "ASSAULT" in best
        and re.fullmatch(
            r"protesters|demonstrators", text[best["PROTEST"].tstart : best["PROTEST"].tend], re.I
        )
    ):
        # "police fired tear gas at protesters": the crowd is the attack's target; the
        # attack becomes the demonstration event once its actors are known.
        del best["PROTEST"]
    if "PROTEST" in best and "ASSAULT" in best and crowd:
        del best["ASSAULT"]
    if (
        "PROTEST" in best
        and "REQUEST" in best
        and re.search(
            r"\bto\s+$", text[max(0, best["REQUEST"].tstart - 4) : best["REQUEST"].tstart]
        )
    ):
        del best["REQUEST"]  # "marched ... to demand": the protest's aim, not a new act
    if (
        "COERCE" in best
        and best.get("ASSAULT")
        and best["ASSAULT"].kind == "weak"
        and best["ASSAULT"].tstart > best["COERCE"].tstart
    ):
        del best["ASSAULT"]  # "arrested three men over the killing of ...": the cause
    if best.get("ASSAULT") and best["ASSAULT"].trigger.separate_act and picked.kills:
        # "killed five villagers and abducted 20 others": two acts, two events.
        picked.extra.append(replace(picked.kills[0], kind="explicit"))


def _collect(picked: _Picked, text: str) -> list[Candidate]:
    """The sentence's candidates, in textual order."""
    best = picked.best
    out = list(best.values())
    # A second act of the same verbal type in its own clause ("A condemned ..., and B
    # accused ..."): kept; duplicates are removed once actors are known.
    out += [
        c
        for c in picked.verbal
        if c is not best[c.event_type]
        and (
            re.search(r"(?:,|;)\s+(?:and\s+|while\s+)?", text[: c.tstart])
            or text[: c.tstart].endswith(" and ")  # "blamed X ... and accused Rwanda"
        )
    ]
    if "ASSAULT" in best:
        out += [c for c in picked.extra if c is not best["ASSAULT"]]
    if not any(c.event_type == "ASSAULT" for c in out) and picked.refs:
        out.append(picked.refs[0])
    out.sort(key=lambda c: c.tstart)
    return out


def better(a: Candidate, b: Candidate) -> bool:
    if (a.kind == "weak") != (b.kind == "weak"):
        return b.kind == "weak"
    return a.trigger.rank > b.trigger.rank
