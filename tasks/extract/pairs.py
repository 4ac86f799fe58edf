"""Who an act is between when a sentence names several parties: one verbal act per
subject, one meeting per counterpart ("met X and Y"), and an act each way between two
parties that accused, threatened or traded with each other (SCHEMA rule 1: one event per
pair of actors)."""

from __future__ import annotations

import re
from dataclasses import replace

from tasks.extract.actors import ActorMention
from tasks.extract.arguments import pick_actors
from tasks.extract.candidates import PHYSICAL, Candidate


def dedupe_verbal(cands: list[Candidate], actors: list[ActorMention]) -> list[Candidate]:
    """Pick actors; keep a repeated verbal type only when its subject differs."""
    out: list[Candidate] = []
    for c in cands:
        pick_actors(c, actors)
        if c.event_type not in PHYSICAL and any(
            k.event_type == c.event_type
            and k.actor1 is c.actor1
            and (k.actor2 is None or c.actor2 is None or k.actor2.country == c.actor2.country)
            for k in out
        ):
            continue  # one act, unless aimed at another party ("blamed X and accused Rwanda")
        out.append(c)
    return out


# Verbal acts whose counterparts listed together are each a pair of their own (SCHEMA
# rule 1: one event per pair of actors): "Erdogan hosted Mohamud and Abiy".
PER_COUNTERPART = {"CONSULT"}
_AND = re.compile(r",?\s+and\s+(?:the\s+|then\s+)?|,\s+")


def each_counterpart(cands: list[Candidate], actors: list[ActorMention]) -> list[Candidate]:
    """A meeting with counterparts of several countries named together ("met X and Y"):
    one event with each, when they belong to other countries than actor1 and each other."""
    out: list[Candidate] = []
    for c in cands:
        out.append(c)
        a1, a2 = c.actor1, c.actor2
        if c.event_type not in PER_COUNTERPART or a1 is None or a2 is None or a2.kind == "demonym":
            continue  # "Qatari and Egyptian mediators": one party of two countries
        seen = {a1.country, a2.country}
        last = a2
        for a in actors:
            if a.start < last.end or not _AND.fullmatch(c.sent.text[last.end : a.start]):
                continue
            if a.kind in ("role", "demonym") or a.country is None or a.country in seen:
                break
            out.append(replace(c, actor2=a))
            seen.add(a.country)
            last = a
    return out


_EACH_OTHER = re.compile(r"^\s+(?:[\w\-]+\s+)?(?:each other|one another)\b", re.I)
_EACH_SIDE = re.compile(r"\beach\s+(?:side|country|government|party|army)\b", re.I)
_BOTH_SIDES = re.compile(
    r"\b(?:both sides|the two sides|both countries|the two countries|both governments|"
    r"the two governments|the two neighbou?rs|both armies|the two armies)\b[^,;]*$",
    re.I,
)


def reciprocal(cands: list[Candidate], recent: list[ActorMention]) -> list[Candidate]:
    """ "India and Pakistan accused each other", "both sides traded accusations": one
    verbal act in each direction, between the two parties (the last two countries the
    article named when the sentence says only "both sides")."""
    out: list[Candidate] = []
    for c in cands:
        out.append(c)
        if c.event_type in PHYSICAL:
            continue
        text = c.sent.text
        traded = re.search(r"\b(?:traded|exchanged)\s+$", text[max(0, c.tstart - 10) : c.tstart])
        traded = traded or re.match(r"(?:traded|exchanged)\b", text[c.tstart : c.tend])
        each = _EACH_SIDE.search(text[max(0, c.tstart - 30) : c.tstart]) and re.match(
            r"\s+the\s+other\b", text[c.tend :]
        )  # "with each side accusing the other of firing first"
        if not (_EACH_OTHER.match(text[c.tend :]) or traded or each):
            continue  # "traded accusations", "exchanged threats", "accused each other"
        a, b = c.actor1, c.actor2
        named = a is not None and b is not None and a.country != b.country
        if (_BOTH_SIDES.search(text[: c.tstart]) and not (each and named)) or not named:
            pair: list[ActorMention] = []
            for m in reversed(recent):
                if all(m.country != p.country for p in pair):
                    pair.append(m)
                if len(pair) == 2:
                    break
            if len(pair) < 2:
                continue
            b, a = pair
        c.actor1, c.actor2 = a, b
        out.append(replace(c, actor1=b, actor2=a))
    return out


# A meeting with "both leaders" or "each leader" (separately) is a meeting with each of
# the two parties the passage just named (SCHEMA rule 1: one event per pair of actors).
_BOTH_LEADERS = re.compile(
    r"^[^.;]{0,25}?\b(?:both|each|the two)\s+(?:leaders?|delegations?|presidents?|"
    r"premiers?|prime ministers?|foreign ministers?|heads? of state|sides?)\b",
    re.I,
)


def both_counterparts(cands: list[Candidate], earlier: list[ActorMention]) -> list[Candidate]:
    """ "Trump met each leader separately", "Erdogan held separate meetings with both
    leaders": one meeting with each of the last two named parties of two other countries
    (``earlier``: the parties of the sentences before, latest last)."""
    out: list[Candidate] = []
    for c in cands:
        out.append(c)
        a1 = c.actor1
        if c.event_type not in PER_COUNTERPART or a1 is None:
            continue
        if not _BOTH_LEADERS.match(c.sent.text[c.tend :]):
            continue
        pair: list[ActorMention] = []
        for m in reversed(earlier):
            if m.kind in ("role", "demonym") or m.country is None or m.country == a1.country:
                continue
            if all(m.country != p.country for p in pair):
                pair.append(m)
            if len(pair) == 2:
                break
        if len(pair) < 2:
            continue
        c.actor2 = pair[1]
        out.append(replace(c, actor2=pair[0]))
    return out
