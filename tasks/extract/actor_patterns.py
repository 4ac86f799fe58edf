"""The patterns actor mentions are found with, built once from ``data/actors.json`` and
the country and demonym lists: dictionary groups and people, titles, role nouns,
demonyms, and organisations the dictionary lacks."""

from __future__ import annotations

import re
from functools import cache

from tasks.extract.lexicon import actor_data, country_names, demonyms
from tasks.extract.text import trie_alternation

_NAME = r"(?:[A-Z][\w\u00c0-\u024f'\u2019\-]+|al-[A-Z][\w\-]+|bin|de|al)(?![\w\-])"


@cache
def group_regex() -> tuple[re.Pattern[str], dict[str, tuple[str, str | None, str | None]]]:
    """Every alias of a dictionary group or person, and alias -> (name, country, type)."""
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
def bare_role_regex() -> re.Pattern[str]:
    """Role nouns, one named group per role (``r3`` is roles[3]); run on lower-cased text
    without re.I, which is several times faster than a case-insensitive scan."""
    alts = "|".join(f"(?P<r{i}>{r['pattern']})" for i, r in enumerate(actor_data()["roles"]))
    return re.compile(rf"(?<![\w\-])(?:{alts})\b")


@cache
def role_after_regex() -> re.Pattern[str]:
    """A role noun within three words after a demonym ("Russian ... warplanes")."""
    alts = "|".join(f"(?:{r['pattern']})" for r in actor_data()["roles"])
    return re.compile(rf"^\s+(?:[\w\-]+\s+){{0,3}}?(?:{alts})\b", re.I)


@cache
def country_first_words() -> frozenset[str]:
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
def demonym_regex() -> re.Pattern[str]:
    alts = list(demonyms())
    return re.compile(_first_chars(alts) + r"(?<![\w\-])" + trie_alternation(alts) + r"(?![\w\-])")


@cache
def plural_demonym_regex() -> re.Pattern[str]:
    """ "two Palestinians", "Afghans": people of a country (context, not an actor)."""
    alts = list(demonyms())
    return re.compile(
        _first_chars(alts) + r"(?<![\w\-])(?P<d>" + trie_alternation(alts) + r")s(?![\w\-])"
    )


@cache
def title_regex() -> re.Pattern[str]:
    titles = actor_data()["titles"] + actor_data()["external_titles"]
    alt = trie_alternation(titles)
    return re.compile(
        rf"{_first_chars(titles)}\b(?P<title>{alt})\s*,?\s+(?P<name>{_NAME}(?:\s+{_NAME}){{0,3}})"
    )


# A capitalised name of two to seven words followed by its acronym in brackets.
NEW_ORG = re.compile(
    r"(?P<name>(?!The\s)[A-Z][\w\-'\u2019]+(?:\s+(?:of|for|the|and|de|du|des|la|al|[A-Z][\w\-'\u2019]+)){1,6})"
    r"\s+\((?P<acr>[A-Z][A-Z0-9\-/&]{1,9})\)"
)
_ORG_WORD = (
    r"(?:Association|Union|Council|Committee|Party|Movement|Front|Federation|Coalition|"
    r"Alliance|Network|Organi[sz]ation|Society|Forum|Congress|League|Brigades?|Army|Forces|"
    r"Militia|Guard|Commission|Agency|Bureau|Authority|Group)"
)
NAMED_ORG = re.compile(
    rf"(?<![\w\-])(?P<name>(?!The\s)[A-Z][\w\-'\u2019]+"
    rf"(?:\s+(?:of|for|the|and|[A-Z][\w\-'\u2019]+)){{1,5}}?\s+{_ORG_WORD})(?![\w\-])"
)
# Armed groups name themselves by their last word ("... Liberation Army", "... Defence
# Forces") or by the struggle ("Liberation", "Jihad"); councils, parties and unions do not.
_ARMED_NAME = re.compile(
    r"\b(?:Army|Forces|Front|Brigades?|Militia|Movement|Resistance|Mujahideen|Framework|"
    r"Coalition|Alliance)$|\b(?:Liberation|Jihad|Mujahideen)\b"
)


def org_type(name: str) -> str | None:
    """An unknown organisation's actor type from its name ("... Liberation Army"): armed
    groups name themselves so; anything else (a party, a union, an NGO) stays untyped."""
    return "rebel_group" if _ARMED_NAME.search(name) else None
