"""Actor mentions: named groups, people, demonym/country + role noun, country metonyms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from tasks.extract.lexicon import actor_data, country_names, country_only_names, demonyms
from tasks.extract.text import fold, trie_alternation

_LOCATIVE_BEFORE = re.compile(
    r"\b(?:in|at|near|outside|around|across|into|inside|from|towards|toward|through|"
    r"throughout|of|over|within|on|to|between)\s+(?:the\s+)?"
    r"(?:(?:north|south|east|west|central|northern|southern|eastern|western)[\w\-]*\s+)?$",
    re.I,
)
_NAME = r"(?:[A-Z][\w\u00c0-\u024f'\u2019\-]+|al-[A-Z][\w\-]+|bin|de|al)(?![\w\-])"
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


@dataclass(slots=True)
class ActorMemory:
    """People met earlier in the article (name or surname -> country, type)."""

    people: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)  # demonyms naming a place
    # Organisations the dictionary lacks, introduced with their acronym: name -> type.
    orgs: dict[str, str | None] = field(default_factory=dict)


@cache
def _group_regex() -> tuple[re.Pattern[str], dict[str, tuple[str, str | None, str | None]]]:
    table: dict[str, tuple[str, str | None, str | None]] = {}
    for section in ("groups", "people"):
        for g in actor_data()[section]:
            for alias in g["aliases"]:
                table[alias] = (g["name"], g["country"], g["type"])
    alts = list(table)
    pat = re.compile(_first_chars(alts) + r"(?<![\w\-])" + trie_alternation(alts) + r"(?![\w\-])")
    return pat, table


def _first_chars(words: list[str]) -> str:
    """A lookahead on the words' first letters: lets the regex engine skip other
    positions quickly (about 3x faster than the bare alternation)."""
    return "(?=[" + re.escape("".join(sorted({w[0] for w in words}))) + "])"


@cache
def _role_regex() -> list[tuple[re.Pattern[str], str | None]]:
    return [
        (re.compile(rf"^(?:(?:[\w\-]+\s+){{0,3}}?)(?:{r['pattern']})\b", re.I), r["type"])
        for r in actor_data()["roles"]
    ]


@cache
def _bare_role_regex() -> re.Pattern[str]:
    """Role nouns, one named group per role (``r3`` is roles[3]); run on lower-cased text
    without re.I, which is several times faster than a case-insensitive scan."""
    alts = "|".join(f"(?P<r{i}>{r['pattern']})" for i, r in enumerate(actor_data()["roles"]))
    return re.compile(rf"(?<![\w\-])(?:{alts})\b")


@cache
def _role_after_regex() -> re.Pattern[str]:
    alts = "|".join(f"(?:{r['pattern']})" for r in actor_data()["roles"])
    return re.compile(rf"^\s+(?:[\w\-]+\s+){{0,3}}?(?:{alts})\b", re.I)


@cache
def _country_first_words() -> frozenset[str]:
    """Folded first words of country names and capitals: a capitalised run that starts
    with none of them cannot name a country."""
    return frozenset(k.split(" ")[0] for k in country_names())


def role_type(text: str) -> tuple[bool, str | None]:
    """(found, actor type) for the role noun at the start of ``text`` (3 words max)."""
    for pat, typ in _role_regex():
        if pat.match(text):
            return True, typ
    return False, None


@cache
def _demonym_regex() -> re.Pattern[str]:
    alts = list(demonyms())
    return re.compile(_first_chars(alts) + r"(?<![\w\-])" + trie_alternation(alts) + r"(?![\w\-])")


@cache
def _plural_demonym_regex() -> re.Pattern[str]:
    """ "two Palestinians", "Afghans": people of a country (context, not an actor)."""
    alts = list(demonyms())
    return re.compile(
        _first_chars(alts) + r"(?<![\w\-])(?P<d>" + trie_alternation(alts) + r")s(?![\w\-])"
    )


@cache
def _title_regex() -> re.Pattern[str]:
    titles = actor_data()["titles"] + actor_data()["external_titles"]
    alt = trie_alternation(titles)
    return re.compile(
        rf"{_first_chars(titles)}\b(?P<title>{alt})\s*,?\s+(?P<name>{_NAME}(?:\s+{_NAME}){{0,3}})"
    )


# A capitalised name of two to seven words followed by its acronym in brackets.
_NEW_ORG = re.compile(
    r"(?P<name>(?!The\s)[A-Z][\w\-'\u2019]+(?:\s+(?:of|for|the|and|de|du|des|la|al|[A-Z][\w\-'\u2019]+)){1,6})"
    r"\s+\((?P<acr>[A-Z][A-Z0-9\-/&]{1,9})\)"
)
_ORG_WORD = (
    r"(?:Association|Union|Council|Committee|Party|Movement|Front|Federation|Coalition|"
    r"Alliance|Network|Organi[sz]ation|Society|Forum|Congress|League|Brigades?|Army|Forces|"
    r"Militia|Guard|Commission|Agency|Bureau|Authority|Group)"
)
_NAMED_ORG = re.compile(
    rf"(?<![\w\-])(?P<name>(?!The\s)[A-Z][\w\-'\u2019]+"
    rf"(?:\s+(?:of|for|the|and|[A-Z][\w\-'\u2019]+)){{1,5}}?\s+{_ORG_WORD})(?![\w\-])"
)
# Armed groups name themselves by their last word ("... Liberation Army", "... Defence
# Forces") or by the struggle ("Liberation", "Jihad"); councils, parties and unions do not.
_ARMED_NAME = re.compile(
    r"\b(?:Army|Forces|Front|Brigades?|Militia|Movement|Resistance|Mujahideen|Framework|"
    r"Coalition|Alliance)$|\b(?:Liberation|Jihad|Mujahideen)\b"
)


def _org_type(name: str) -> str | None:
    """An unknown organisation's actor type from its name ("... Liberation Army"): armed
    groups name themselves so; anything else (a party, a union, an NGO) stays untyped."""
    return "rebel_group" if _ARMED_NAME.search(name) else None


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def find_actors(sentence: str, memory: ActorMemory, light: bool = False) -> list[ActorMention]:
    """Actor mentions in ``sentence`` in textual order (no overlaps). ``light`` skips bare
    role nouns ("police"): enough for a sentence read only for context and names."""
    out: list[ActorMention] = []
    taken: list[tuple[int, int]] = []

    def add(m: ActorMention) -> None:
        out.append(m)
        taken.append((m.start, m.end))

    typ: str | None
    country: str | None
    external = set(actor_data()["external_titles"])
    # Titled people: "Afghan Foreign Minister Amir Khan Muttaqi", "President William Ruto".
    for m in _title_regex().finditer(sentence):
        if _overlaps((m.start(), m.end()), taken):
            continue
        before = sentence[max(0, m.start() - 40) : m.start()]
        country = _country_before(before)
        typ = "external_other" if m.group("title") in external else "government"
        if typ == "external_other" or re.search(r"\b(?:UN|U\.N\.|United Nations)\s*$", before):
            typ, country = "external_other", None
        name = m.group("name")
        name = re.sub(r"\s+(?:On|In|At|Said|Of)$", "", name)
        name = name.removesuffix("'s").removesuffix("\u2019s")
        known = _group_regex()[1].get(name)
        if known is not None and country is None:
            country = known[1]
        start = m.start()
        if country is not None:
            pm = re.search(r"[A-Z][\w\-]+(?:'s|\u2019s)?\s+$", before)
            if pm:
                start = m.start() - (len(before) - pm.start())
        end = m.start("name") + len(name)
        add(ActorMention(start, end, sentence[start:end], country, typ, "person"))
        memory.people[name] = (country, typ)
        memory.people[name.split()[-1]] = (country, typ)
    # Named groups, organisations and well-known people.
    pat, table = _group_regex()
    for m in pat.finditer(sentence):
        if _overlaps((m.start(), m.end()), taken):
            continue
        name, country, typ = table[m.group(0)]
        found, rtyp = role_type(sentence[m.end() : m.end() + 40].lstrip())
        if found and rtyp in ("government", "protesters", "rioters") and typ != "external_other":
            typ = rtyp
        add(ActorMention(m.start(), m.end(), m.group(0), country, typ, "group"))
    # Organisations the dictionary lacks, named with their acronym: "the Permanent
    # Strategic Framework (CSP)"; the full name and the acronym are remembered.
    if "(" in sentence:
        for m in _NEW_ORG.finditer(sentence):
            if _overlaps((m.start("name"), m.end("name")), taken):
                continue
            name, acronym = m.group("name"), m.group("acr")
            if fold(name) in country_names():
                continue  # "Democratic Republic of Congo (DRC)"
            typ = _org_type(name)
            memory.orgs[name] = memory.orgs[acronym] = typ
            add(ActorMention(m.start("name"), m.end("name"), name, None, typ, "group"))
            taken.append(m.span("acr"))  # the bracketed acronym is the same mention
    for m in _NAMED_ORG.finditer(sentence):
        # "The Miyetti Allah Cattle Breeders Association": a name that ends in an
        # organisation word is an organisation, even one the dictionary lacks. Its owner
        # ("Sudan's Security and Defence Council") is left to the possessive rules below.
        name = re.split(r"\S+(?:'s|\u2019s)\s+", m.group("name"))[-1]
        start = m.end("name") - len(name)
        if " " not in name or _overlaps((start, m.end("name")), taken):
            continue
        if fold(name) in country_names() or m.group("name") != name:
            continue
        memory.orgs[name] = _org_type(name)
    for name, typ in memory.orgs.items():
        if name not in sentence:
            continue
        for m in re.finditer(rf"(?<![\w\-]){re.escape(name)}(?![\w\-])", sentence):
            if not _overlaps((m.start(), m.end()), taken):
                add(ActorMention(m.start(), m.end(), name, None, typ, "group"))
    # People remembered from earlier sentences (surname alone).
    for name, (country, typ) in memory.people.items():
        if name not in sentence:
            continue  # cheap substring test before the word-boundary regex
        for m in re.finditer(rf"(?<![\w\-]){re.escape(name)}(?![\w\-])", sentence):
            if not _overlaps((m.start(), m.end()), taken):
                add(ActorMention(m.start(), m.end(), name, country, typ, "person"))
    # Demonym (+ role noun): "Pakistani soldiers", "Russian and Syrian warplanes".
    dem = demonyms()
    for m in _demonym_regex().finditer(sentence):
        if _overlaps((m.start(), m.end()), taken):
            continue
        rest = sentence[m.end() :]
        rest2 = (
            re.sub(r"^\s+and\s+[A-Z][\w\-]+\s+", " ", rest)
            if re.match(r"^\s+and\s+[A-Z]", rest)
            else rest
        )
        found, typ = role_type(rest2.lstrip())
        if not found:
            if _WEAPON.match(rest2.lstrip()):
                typ, found = "state_forces", True
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
        rm = _role_after_regex().match(rest2)
        if found and rm and rest2 is rest:
            end = m.end() + rm.end()
        add(
            ActorMention(
                m.start(),
                end,
                sentence[m.start() : end],
                dem[m.group(0)],
                typ or "government",
                "demonym",
                found,
            )
        )
    memory.countries.extend(dem[m.group("d")] for m in _plural_demonym_regex().finditer(sentence))
    # Countries and capitals used as actors ("Kabul said", "Rwanda denies", "Pakistan's army").
    names = country_names()
    only = country_only_names()
    first_words = _country_first_words()
    for m in re.finditer(
        r"(?=[A-Z])(?<![\w\-])[A-Z][\w\-\u00c0-\u024f]*(?:\s+(?:of\s+)?[A-Z][\w\-\u00c0-\u024f]*){0,4}",
        sentence,
    ):
        if not any(fold(w) in first_words for w in m.group(0).split()):
            continue
        for s, e in _subspans(m.start(), m.group(0)):
            if _overlaps((s, e), taken):
                continue
            key = fold(sentence[s:e])
            if key not in names:
                continue
            before = sentence[max(0, s - 30) : s]
            after = sentence[e : e + 40]
            poss = re.match(r"^(?:'s|\u2019s)\s+", after)
            if poss:
                found, typ = role_type(after[poss.end() :])
                if not found:
                    continue
                rm = re.match(r"^(?:[\w\-]+\s+){0,3}?[\w\-]+", after[poss.end() :])
                end = e + poss.end() + (rm.end() if rm else 0)
                add(ActorMention(s, end, sentence[s:end], names[key], typ, "country"))
                break
            if _LOCATIVE_BEFORE.search(before) and not re.search(
                r"\b(?:on|to)\s+(?:the\s+)?$", before
            ):
                continue
            if (
                key not in only
                and not re.search(
                    r"\b(?:with|against|on|to|accused|accusing|blamed|urged|warned|condemned|"
                    r"criticised|criticized|told|met|called on)\s+$",
                    before,
                )
                and not re.match(
                    r"^\s*(?:said|says|has|had|have|was|is|cut|accused|denied|denies|announced|agreed|warned|rejected|responded|blamed|would|will)\b",
                    after,
                )
                and not (_CLAUSE_START.search(before) and _SUBJECT_VERB.match(after))
            ):
                continue
            add(ActorMention(s, e, sentence[s:e], names[key], "government", "country"))
            break
    # Bare role nouns: "police", "gunmen", "protesters".
    low = sentence.lower()
    roles = actor_data()["roles"]
    if light:
        pass
    elif len(low) == len(sentence):
        for m in _bare_role_regex().finditer(low):
            if _overlaps((m.start(), m.end()), taken):
                continue
            typ = roles[int((m.lastgroup or "r0")[1:])]["type"]
            add(ActorMention(m.start(), m.end(), sentence[m.start() : m.end()], None, typ, "role"))
    else:  # lower-casing changed the length (rare letters): scan case-insensitively
        for m in re.finditer(_bare_role_regex().pattern, sentence, re.I):
            if not _overlaps((m.start(), m.end()), taken):
                found, typ = role_type(m.group(0))
                add(ActorMention(m.start(), m.end(), m.group(0), None, typ, "role"))
    out.sort(key=lambda a: a.start)
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
