"""Actor mentions: named groups, people, demonym/country + role noun, country metonyms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tasks.extract.actor_patterns import (
    NAMED_ORG,
    NEW_ORG,
    bare_role_regex,
    country_first_words,
    demonym_regex,
    group_regex,
    org_type,
    plural_demonym_regex,
    role_after_regex,
    role_type,
    title_regex,
)
from tasks.extract.canonical import NON_STATE_ARMED, dictionary_name
from tasks.extract.lexicon import actor_data, country_names, country_only_names, demonyms
from tasks.extract.text import fold

_LOCATIVE_BEFORE = re.compile(
    r"\b(?:in|at|near|outside|around|across|into|inside|from|towards|toward|through|"
    r"throughout|of|over|within|on|to|between)\s+(?:the\s+)?"
    r"(?:(?:north|south|east|west|central|northern|southern|eastern|western)[\w\-]*\s+)?$",
    re.I,
)
_WEAPON = re.compile(
    r"^(?:[\w\-]+\s+){0,2}?(?:air ?strikes?|airstrikes?|strikes?|jets?|warplanes?|bombs?|"
    r"artillery|shelling|drones?|missiles?|rockets?|troops|tanks|incursions?|offensive|"
    r"raids?|attacks?|aircraft)\b",
    re.I,
)


# A capital heading its clause and followed by a verb acts for its government ("Kyiv asked
# the OPCW", "Islamabad summoned the envoy", "Kinshasa on Sunday called the move ...").
_CLAUSE_START = re.compile(r"(?:^|[,;:]\s+|\band\s+|\bbut\s+|\bwhile\s+)\s*$")
_SUBJECT_VERB = re.compile(
    r"^\s*(?:,\s*)?(?:on\s+\w+day\s+|also\s+|later\s+|then\s+|quickly\s+)?"
    r"(?:[a-z]{3,}ed|said|says|sent|met|told|took|struck|hit|made|gave|sought|held|won|"
    r"urges|asks|calls|demands|condemns|accuses|warns|rejects|denies|insists|wants|plans)\b"
)


@dataclass(slots=True)
class ActorMention:
    """An actor named in a sentence."""

    start: int
    end: int
    text: str
    country: str | None
    type: str | None
    kind: str  # group, person, demonym, country, role
    has_role: bool = True
    base: int = 0  # offset of its sentence in the article (start/end are in the sentence)
    # The actor's canonical name when the text settles it: a dictionary entry's, a
    # person's full name for a surname, the one named group "the militants" refers back
    # to. None: canonical.py names it from its type and country.
    canonical: str | None = None


@dataclass(slots=True)
class ActorMemory:
    """People met earlier in the article (name or surname -> country, type)."""

    people: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)  # demonyms naming a place
    # Organisations the dictionary lacks, introduced with their acronym: name -> type.
    orgs: dict[str, str | None] = field(default_factory=dict)
    # The fullest name met for a person's name or surname, an organisation's acronym.
    full_names: dict[str, str] = field(default_factory=dict)
    # Named non-state armed groups met so far (canonical name, country), latest last:
    # what "the militants" can refer back to.
    armed: list[tuple[str, str | None]] = field(default_factory=list)


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


@dataclass(slots=True)
class _Found:
    """Mentions found so far in a sentence and the spans they take: a later (weaker) rule
    does not claim words an earlier one took."""

    sentence: str
    out: list[ActorMention] = field(default_factory=list)
    taken: list[tuple[int, int]] = field(default_factory=list)

    def add(self, m: ActorMention) -> None:
        self.out.append(m)
        self.taken.append((m.start, m.end))

    def free(self, start: int, end: int) -> bool:
        return not _overlaps((start, end), self.taken)


def find_actors(sentence: str, memory: ActorMemory, light: bool = False) -> list[ActorMention]:
    """Actor mentions in ``sentence`` in textual order (no overlaps). ``light`` skips bare
    role nouns ("police"): enough for a sentence read only for context and names. The
    rules run from the most specific (a titled person) to the least (a role noun)."""
    found = _Found(sentence)
    _titled_people(found, memory)
    _known_groups(found)
    _new_orgs(found, memory)
    _remembered(found, memory)
    _demonym_actors(found, memory)
    memory.countries.extend(
        demonyms()[m.group("d")] for m in plural_demonym_regex().finditer(sentence)
    )
    _country_actors(found)
    if not light:
        _role_actors(found)
        _the_group(found, memory)
    found.out.sort(key=lambda a: a.start)
    joined = _join_roles(sentence, found.out)
    _refer_back(joined, memory)
    return joined


def _titled_people(found: _Found, memory: ActorMemory) -> None:
    """Titled people: "Afghan Foreign Minister Amir Khan Muttaqi", "President William
    Ruto"; they are remembered by full name and surname."""
    sentence = found.sentence
    external = set(actor_data()["external_titles"])
    for m in title_regex().finditer(sentence):
        if not found.free(m.start(), m.end()):
            continue
        before = sentence[max(0, m.start() - 40) : m.start()]
        country = _country_before(before)
        typ = "external_other" if m.group("title") in external else "government"
        if typ == "external_other" or re.search(r"\b(?:UN|U\.N\.|United Nations)\s*$", before):
            typ, country = "external_other", None
        name = m.group("name")
        name = re.sub(r"\s+(?:On|In|At|Said|Of)$", "", name)
        name = name.removesuffix("'s").removesuffix("\u2019s")
        known = group_regex()[1].get(name)
        if known is not None and country is None:
            country = known[1]
        start = m.start()
        if country is not None:
            pm = re.search(r"[A-Z][\w\-]+(?:'s|\u2019s)?\s+$", before)
            if pm:
                start = m.start() - (len(before) - pm.start())
        end = m.start("name") + len(name)
        full = (dictionary_name(name, known[0], country) if known else None) or name
        found.add(
            ActorMention(start, end, sentence[start:end], country, typ, "person", canonical=full)
        )
        memory.people[name] = (country, typ)
        memory.people[name.split()[-1]] = (country, typ)
        memory.full_names[name] = memory.full_names[name.split()[-1]] = full


def _known_groups(found: _Found) -> None:
    """Named groups, organisations and well-known people from the dictionary; a role noun
    right after can make a group government or protesters ("Hamas authorities")."""
    sentence = found.sentence
    pat, table = group_regex()
    for m in pat.finditer(sentence):
        if not found.free(m.start(), m.end()):
            continue
        name, country, typ = table[m.group(0)]
        role, rtyp = role_type(sentence[m.end() : m.end() + 40].lstrip())
        if role and rtyp in ("government", "protesters", "rioters") and typ != "external_other":
            typ = rtyp
        full = dictionary_name(m.group(0), name, country)
        found.add(
            ActorMention(m.start(), m.end(), m.group(0), country, typ, "group", canonical=full)
        )


def _new_orgs(found: _Found, memory: ActorMemory) -> None:
    """Organisations the dictionary lacks: named with their acronym ("the Permanent
    Strategic Framework (CSP)", a mention; the name and acronym are remembered), or by a
    name ending in an organisation word (remembered, found by :func:`_remembered`)."""
    sentence = found.sentence
    if "(" in sentence:
        for m in NEW_ORG.finditer(sentence):
            if not found.free(m.start("name"), m.end("name")):
                continue
            name, acronym = m.group("name"), m.group("acr")
            if fold(name) in country_names():
                continue  # "Democratic Republic of Congo (DRC)"
            typ = org_type(name)
            memory.orgs[name] = memory.orgs[acronym] = typ
            memory.full_names[name] = memory.full_names[acronym] = name
            found.add(
                ActorMention(
                    m.start("name"), m.end("name"), name, None, typ, "group", canonical=name
                )
            )
            found.taken.append(m.span("acr"))  # the bracketed acronym is the same mention
    for m in NAMED_ORG.finditer(sentence):
        # "The Miyetti Allah Cattle Breeders Association": a name that ends in an
        # organisation word is an organisation, even one the dictionary lacks. Its owner
        # ("Sudan's Security and Defence Council") is left to the possessive rules below.
        name = re.split(r"\S+(?:'s|\u2019s)\s+", m.group("name"))[-1]
        start = m.end("name") - len(name)
        if " " not in name or not found.free(start, m.end("name")):
            continue
        if fold(name) in country_names() or m.group("name") != name:
            continue
        memory.orgs[name] = org_type(name)


def _remembered(found: _Found, memory: ActorMemory) -> None:
    """Organisations and people met earlier in the article (a person by surname alone)."""
    sentence = found.sentence
    for name, typ in memory.orgs.items():
        if name not in sentence:
            continue
        full = memory.full_names.get(name, name)
        for m in re.finditer(rf"(?<![\w\-]){re.escape(name)}(?![\w\-])", sentence):
            if found.free(m.start(), m.end()):
                found.add(
                    ActorMention(m.start(), m.end(), name, None, typ, "group", canonical=full)
                )
    for name, (country, ptyp) in memory.people.items():
        if name not in sentence:
            continue  # cheap substring test before the word-boundary regex
        full = memory.full_names.get(name, name)
        for m in re.finditer(rf"(?<![\w\-]){re.escape(name)}(?![\w\-])", sentence):
            if found.free(m.start(), m.end()):
                found.add(
                    ActorMention(m.start(), m.end(), name, country, ptyp, "person", canonical=full)
                )


def _demonym_actors(found: _Found, memory: ActorMemory) -> None:
    """Demonym (+ role noun): "Pakistani soldiers", "Russian and Syrian warplanes"; "the
    Ukrainian city of Kherson" is no actor, but counts that country as the article's."""
    sentence = found.sentence
    dem = demonyms()
    for m in demonym_regex().finditer(sentence):
        if not found.free(m.start(), m.end()):
            continue
        rest = sentence[m.end() :]
        rest2 = (
            re.sub(r"^\s+and\s+[A-Z][\w\-]+\s+", " ", rest)
            if re.match(r"^\s+and\s+[A-Z]", rest)
            else rest
        )
        role, typ = role_type(rest2.lstrip())
        if not role:
            if _WEAPON.match(rest2.lstrip()):
                typ, role = "state_forces", True
            elif re.match(
                r"^\s*(?:border|capital|city|side|territory|soil|airspace|region|town|village|port|coast)",
                rest2,
                re.I,
            ):
                # "the Ukrainian city of Kherson": not an actor, but the article is about
                # that country (its places must not lose to namesakes elsewhere).
                memory.countries.append(dem[m.group(0)])
                continue
        end = m.end()
        rm = role_after_regex().match(rest2)
        if role and rm and rest2 is rest:
            end = m.end() + rm.end()
        found.add(
            ActorMention(
                m.start(),
                end,
                sentence[m.start() : end],
                dem[m.group(0)],
                typ or "government",
                "demonym",
                role,
            )
        )


def _country_actors(found: _Found) -> None:
    """Countries and capitals used as actors ("Kabul said", "Rwanda denies", "Pakistan's
    army"); a place after "in" or "near" is left to the place rules."""
    sentence = found.sentence
    names = country_names()
    only = country_only_names()
    first_words = country_first_words()
    for m in re.finditer(
        r"(?=[A-Z])(?<![\w\-])[A-Z][\w\-\u00c0-\u024f]*(?:\s+(?:of\s+)?[A-Z][\w\-\u00c0-\u024f]*){0,4}",
        sentence,
    ):
        if not any(fold(w) in first_words for w in m.group(0).split()):
            continue
        for s, e in _subspans(m.start(), m.group(0)):
            if not found.free(s, e):
                continue
            key = fold(sentence[s:e])
            if key not in names:
                continue
            before = sentence[max(0, s - 30) : s]
            after = sentence[e : e + 40]
            poss = re.match(r"^(?:'s|\u2019s)\s+", after)
            if poss:
                role, typ = role_type(after[poss.end() :])
                if not role:
                    continue
                rm = re.match(r"^(?:[\w\-]+\s+){0,3}?[\w\-]+", after[poss.end() :])
                end = e + poss.end() + (rm.end() if rm else 0)
                found.add(ActorMention(s, end, sentence[s:end], names[key], typ, "country"))
                break
            if _LOCATIVE_BEFORE.search(before) and not re.search(
                r"\b(?:on|to)\s+(?:the\s+)?$", before
            ):
                continue
            if key not in only and not _acts_as_government(before, after):
                continue
            found.add(ActorMention(s, e, sentence[s:e], names[key], "government", "country"))
            break


def _acts_as_government(before: str, after: str) -> bool:
    """Whether a capital (or a country name that is also a place) stands for its
    government: the object of a verbal act, or the subject of a verb."""
    return bool(
        re.search(
            r"\b(?:with|against|on|to|accused|accusing|blamed|urged|warned|condemned|"
            r"criticised|criticized|told|met|called on)\s+$",
            before,
        )
        or re.match(
            r"^\s*(?:said|says|has|had|have|was|is|cut|accused|denied|denies|announced|agreed|warned|rejected|responded|blamed|would|will)\b",
            after,
        )
        or (_CLAUSE_START.search(before) and _SUBJECT_VERB.match(after))
    )


def _role_actors(found: _Found) -> None:
    """Bare role nouns: "police", "gunmen", "protesters"."""
    sentence = found.sentence
    low = sentence.lower()
    roles = actor_data()["roles"]
    if len(low) == len(sentence):
        for m in bare_role_regex().finditer(low):
            if not found.free(m.start(), m.end()):
                continue
            typ = roles[int((m.lastgroup or "r0")[1:])]["type"]
            found.add(
                ActorMention(m.start(), m.end(), sentence[m.start() : m.end()], None, typ, "role")
            )
    else:  # lower-casing changed the length (rare letters): scan case-insensitively
        for m in re.finditer(bare_role_regex().pattern, sentence, re.I):
            if found.free(m.start(), m.end()):
                _, rtyp = role_type(m.group(0))
                found.add(ActorMention(m.start(), m.end(), m.group(0), None, rtyp, "role"))


def _join_roles(sentence: str, out: list[ActorMention]) -> list[ActorMention]:
    """A role noun right after a demonym, country or group joins it ("Sudan's army"
    + "soldiers" -> one mention; a group keeps its own type)."""
    merged: list[ActorMention] = []
    for a in out:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and a.kind == "role"
            and prev.kind in ("demonym", "country", "group")
            and sentence[prev.end : a.start].strip() in ("", ")")
        ):
            prev.end, prev.text = a.end, sentence[prev.start : a.end]
            if a.type and prev.kind != "group":
                prev.type = a.type
            continue
        merged.append(a)
    return merged


# Role nouns that refer back to the one named armed group an article is about ("TTP
# fighters attacked a post ... the militants withdrew"); "gunmen" and "bandits" do not
# (the text leaves them unattributed).
_BACK_REFERENCE = re.compile(
    r"(?:militants?|insurgents?|rebels?|jihadists?|fighters|extremists|terrorists?|"
    r"islamists?|guerrillas?|separatists?)$",
    re.I,
)


# "the group" (or "the militant group") refers back to a named armed group.
_THE_GROUP = re.compile(r"\b[Tt]he\s+(?:(?:armed|militant|jihadist|insurgent|rebel)\s+)?group\b")


def _the_group(found: _Found, memory: ActorMemory) -> None:
    """ "the group" when one named non-state armed group is in play: that group."""
    if "group" not in found.sentence or len({n for n, _ in memory.armed}) != 1:
        return
    name, country = memory.armed[-1]
    for m in _THE_GROUP.finditer(found.sentence):
        if found.free(m.start(), m.end()):
            typ = "rebel_group"
            found.add(
                ActorMention(m.start(), m.end(), m.group(0), country, typ, "role", canonical=name)
            )


def _refer_back(mentions: list[ActorMention], memory: ActorMemory) -> None:
    """Within an article: remember the named non-state armed groups met (in text order),
    and name a bare "militants" after the one named group in play (of its country, if it
    gives one). Two groups in play: which one is meant is left open."""
    for a in mentions:
        if a.kind == "group" and a.type in NON_STATE_ARMED and a.canonical:
            entry = (a.canonical, a.country)
            if entry in memory.armed:
                memory.armed.remove(entry)
            memory.armed.append(entry)
        elif (
            a.kind in ("role", "demonym")
            and a.canonical is None
            and a.type in NON_STATE_ARMED
            and _BACK_REFERENCE.search(a.text)
            and len({name for name, _ in memory.armed}) == 1
        ):
            name, country = memory.armed[-1]
            if a.country is None or country is None or a.country == country:
                a.canonical = name


def _country_before(before: str) -> str | None:
    """Country of a demonym or possessive right before a title ("Afghan", "Congo's")."""
    m = re.search(r"([A-Z][\w\-]+(?:\s+[A-Z][\w\-]+)?)(?:'s|\u2019s)?\s+$", before)
    if not m:
        return None
    word = m.group(1)
    for cand in (word, word.split()[-1]):
        if cand in demonyms():
            return demonyms()[cand]
        if fold(cand) in country_names():
            return country_names()[fold(cand)]
    return None


def _subspans(offset: int, text: str) -> list[tuple[int, int]]:
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    out = []
    for i in range(len(words)):
        for j in range(len(words) - 1, i - 1, -1):
            out.append((offset + words[i][0], offset + words[j][1]))
    out.sort(key=lambda x: (-(x[1] - x[0]), x[0]))
    return out
