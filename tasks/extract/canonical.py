"""Canonical actor names: one name per actor, however the text names it, so analysts can
group events by actor across events and articles. The text's own wording stays in
``actor1``/``actor2``; the canonical name follows ACLED's actor naming:

- state forces and governments: "Military Forces of Pakistan", "Police Forces of Kenya",
  "Government of Afghanistan (2021-)" (a ruling period only where ``data/actor_names.json``
  gives one);
- named groups, organisations and people by their full name ("Tehrik-i-Taliban Pakistan",
  "Amir Khan Muttaqi"), from ``data/actor_names.json`` (aliases a political scientist can
  edit) or the dictionary's own name;
- crowds and unnamed parties by their country: "Protesters (Kenya)", "Rioters (Kenya)",
  "Civilians (Nigeria)", "Unidentified Armed Group (Mali)".

Country names are ACLED's (``data/acled_countries.tsv``). Coreference within an article
(a surname, "the militants" when one named group is in play) is settled when mentions are
found (``actors.py``); this module turns a mention and its event into the name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from tasks.extract import rules
from tasks.extract.lexicon import DATA, known_iso3
from tasks.extract.text import fold

Forces = Literal["military", "police", "government"]

# ACLED's forms for a state's forces and its government ("Military Forces of Sudan").
STATE_FORMS: dict[Forces, str] = {
    "military": "Military Forces of",
    "police": "Police Forces of",
    "government": "Government of",
}
# ACLED's names for crowds and unnamed parties, followed by "(<Country>)".
CROWD_FORMS = {"protesters": "Protesters", "rioters": "Rioters", "civilians": "Civilians"}
UNIDENTIFIED = "Unidentified Armed Group"
# Actor types of armed groups that are not a state's: an unnamed one is "Unidentified
# Armed Group (<Country>)", a named one can be what "the militants" refers back to.
NON_STATE_ARMED = frozenset({"rebel_group", "political_militia", "identity_militia"})
# ACLED's event types of political violence: a country or its people named as the author
# of an attack ("Pakistan struck ...", "Israeli strikes") stands for its military.
VIOLENT = frozenset({"Battles", "Explosions/Remote violence", "Violence against civilians"})
# Role words that make state forces police rather than military (ACLED counts the
# gendarmerie among a state's police forces).
_POLICE = re.compile(r"\b(?:police\w*|officers?|agents|gendarm\w*|constables?|cops)\b", re.I)
_LEADING_THE = re.compile(r"^the\s+", re.I)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One canonical name of ``data/actor_names.json``: a fixed name, or a state's forces."""

    name: str | None
    forces: Forces | None
    country: str | None


@dataclass(frozen=True, slots=True)
class _Tables:
    aliases: dict[str, _Entry]  # folded alias -> entry
    periods: dict[str, str]  # ISO alpha-3 -> ruling period ("2021-")
    countries: dict[str, tuple[str, bool]]  # ISO alpha-3 -> (ACLED name, takes "the")


@cache
def _tables() -> _Tables:
    doc = json.loads((DATA / "actor_names.json").read_text(encoding="utf-8"))
    countries_rows = rules.read_tsv(DATA / "acled_countries.tsv")
    rules.check_actor_names(doc, countries_rows, known_iso3())
    aliases: dict[str, _Entry] = {}
    for item in doc["actors"]:
        entry = _Entry(item.get("name"), item.get("forces"), item.get("country"))
        for alias in item["aliases"]:
            aliases[fold(_LEADING_THE.sub("", alias))] = entry
    countries: dict[str, tuple[str, bool]] = {}
    for _, row in countries_rows:
        iso, name, article = (row + [""])[:3]
        countries[iso] = (name, article.strip() == "the")
    return _Tables(aliases, dict(doc["periods"]), countries)


def country_name(iso: str) -> str:
    """ACLED's name of a country ("Democratic Republic of Congo"); the code if unknown."""
    return _tables().countries.get(iso, (iso, False))[0]


def state_name(forces: Forces, iso: str) -> str:
    """ "Military Forces of the Democratic Republic of Congo", "Government of Afghanistan
    (2021-)": ACLED's name of a state's forces or government."""
    tables = _tables()
    name, article = tables.countries.get(iso, (iso, False))
    out = f"{STATE_FORMS[forces]} {'the ' if article else ''}{name}"
    period = tables.periods.get(iso)
    return f"{out} ({period})" if period else out


def crowd_name(kind: str, iso: str | None) -> str:
    """ "Protesters (Kenya)", "Civilians (Nigeria)", "Unidentified Armed Group (Mali)"."""
    label = CROWD_FORMS.get(kind, UNIDENTIFIED)
    return f"{label} ({country_name(iso)})" if iso else label


def alias_name(alias: str, country: str | None = None) -> str | None:
    """The canonical name ``data/actor_names.json`` gives an alias (``country`` places a
    state-forces entry that names none, such as "National Guard"), or None."""
    entry = _tables().aliases.get(fold(_LEADING_THE.sub("", alias)))
    if entry is None:
        return None
    if entry.forces is None:
        return entry.name
    iso = entry.country or country
    return state_name(entry.forces, iso) if iso else None


def dictionary_name(alias: str, name: str, country: str | None) -> str | None:
    """A dictionary group's or person's canonical name: its alias's entry in
    ``actor_names.json``, else the dictionary's own name for it; None for state forces
    of no fixed country ("National Guard"), named by the event's country later."""
    entry = _tables().aliases.get(fold(alias))
    if entry is not None and entry.forces is not None and not (entry.country or country):
        return None
    return alias_name(alias, country) or name


def canonical_name(
    text: str | None,
    kind: str | None,
    preset: str | None,
    typ: str | None,
    iso: str | None,
    acled: str | None,
    crowd: bool = False,
) -> str | None:
    """The canonical name of an event's actor: ``text`` as the event gives it, the
    mention's ``kind`` (None for a party the coder supplied, like "civilians") and
    ``preset`` name (set when the mention was found), the actor's final type and country,
    and the event's ACLED type. ``crowd``: the event is a demonstration, whose crowd is
    "Protesters (<Country>)" whoever organised it (ACLED's convention)."""
    if text is None:
        return None
    if crowd and typ in ("protesters", "rioters"):
        return crowd_name(typ, iso)
    if preset:
        return preset
    if kind != "person":
        known = alias_name(text, iso)
        if known:
            return known
    if typ in CROWD_FORMS and kind != "person":
        return crowd_name(typ, iso)
    if typ == "state_forces" and kind != "person" and iso is not None:
        # A named force of no fixed country ("National Guard") is the event country's.
        return state_name("police" if _POLICE.search(text) else "military", iso)
    if kind in (None, "role", "demonym", "country") and iso is not None:
        if typ == "government":
            violent = acled in VIOLENT and kind in ("country", "demonym")
            return state_name("military" if violent else "government", iso)
        if typ is None or typ in NON_STATE_ARMED:
            return crowd_name("unidentified", iso)
    return _LEADING_THE.sub("", text)
