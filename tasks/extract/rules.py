"""The checks every data file of the coder passes when it is loaded.

The coder's behaviour lives in ``data/``: the trigger lexicon and its flags, the cue word
lists, the actor dictionary and the country tables. A wrong entry (an actor type that does
not exist, a sub-type of another ACLED type, a pattern that does not compile, a flag the
coder does not know) raises :class:`RulesError` at load, naming the file, the entry and
the field, instead of rejecting articles one by one at run time.

The flags and cue lists the coder reads are listed here, with what each one does; an
entry naming any other is an error (a typo would otherwise be ignored silently).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

from tasks.errors import UsageError
from tasks.models import ACLED_SUB_EVENT_TYPES, ActorType, PloverType


class RulesError(UsageError):
    """A data file of the coder breaks its rules: a configuration error, found at load."""


# Trigger flags (true/false in triggers.json) and what each one makes the coder do.
FLAGS: dict[str, str] = {
    "generic": "a word with no weapon ('attacked'): the ACLED type comes from the target "
    "(civilians: Violence against civilians/Attack; armed actors: Battles/Armed clash)",
    "weak": "an event only with a toll in the sentence ('killed'); else a reference back",
    "anaphoric": "a noun that refers back to a reported event after the/this/its",
    "needs_crowd": "counts only with a crowd word (crowd_words) in the sentence",
    "weapon": "a weapon of war: political violence even with no other conflict word",
    "separate_act": "an act against civilians that stays an event of its own beside "
    "killings in the same sentence ('killed five and abducted 20')",
    "figurative_object": "may take a figurative object ('attacked each other's policies', "
    "'met with laughter'): skipped before a figurative_objects phrase",
    "hazard_sense": "also said of natural hazards ('an earthquake struck', 'battled "
    "wildfires'): skipped next to a hazard_words word",
    "objection_sense": "also means objecting ('summoned the envoy to protest'): skipped after "
    "objection_before, and as objection_verbs with no crowd or place after it",
    "stance": "an undated denial (stance_words) is a stance, not an act",
    "needs_political_context": "an event only in a political or conflict story, or done by "
    "an armed actor or to a political one (not a drugs-raid arrest)",
    "needs_armed_context": "an event only with an armed actor or a conflict_cues word in the "
    "sentence ('a girl was kidnapped' is a crime)",
    "territory": "taking ground: needs a place after it (territory_nouns); its ACLED type "
    "follows who takes it from whom; taken by a crowd it is a riot",
    "mutual": "'X and Y clashed': both sides named before it are its parties",
    "crowd_violence": "between a crowd and police or a militia it is coded as a demonstration",
    "fixed_sub": "its ACLED sub-type holds whatever the sentence says; other protest "
    "triggers take theirs from riot_cues and intervention_cues",
    "speech": "reports speech: a physical act named after it is its content, not an act",
    "announced": "a decision that takes effect when announced ('said it would deploy troops')",
    "yields_to_crowd": "loses to an overlapping needs_crowd trigger ('protesters set fire to "
    "the parliament building' is a riot, not looting)",
    "political_act": "the act is political whoever does it (a base handed over, a mass grave "
    "found, a peace deal between clans): coded with no state, armed or organised actor named",
}

# Cue lists (top-level lists in triggers.json) the coder reads.
CUE_LISTS: frozenset[str] = frozenset(
    [
        "anaphor_determiners",
        "modal_words",
        "crowd_words",
        "riot_cues",
        "intervention_cues",
        "disaster_cues",
        "ongoing_cues",
        "weather_cues",
        "habitual_cues",
        "figurative_before",
        "figurative_objects",
        "non_violent_context",
        "violence_cues",
        "weapon_use_cues",
        "background_before",
        "not_an_act",
        "business_cues",
        "state_cues",
        "conflict_cues",
        "crime_cues",
        "security_cues",
        "history_cues",
        "political_cues",
        "genre_cues",
        "weapon_nouns",
        "determiners",
        "act_nouns",
        "gunfire_words",
        "hazard_words",
        "objection_before",
        "objection_verbs",
        "stance_words",
        "forecast_words",
        "territory_nouns",
        "strike_verbs",
        "called_off_words",
        "announce_verbs",
        "condition_words",
        "deal_nouns",
        "irregular_past_verbs",
        "speech_verbs",
        "attribution_words",
    ]
)

_TRIGGER_FIELDS = {"id", "forms", "event_type", "mode", "acled", "sub", "cameo", "rank", "_doc"}
_ID = re.compile(r"[a-z][a-z0-9_]*")
_CAMEO = re.compile(r"\d{2,4}")
_ISO3 = re.compile(r"[A-Z]{3}")
_ISO2 = re.compile(r"[A-Z]{2}")
_SUBDIVISION = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")


def read_tsv(path: Path) -> list[tuple[int, list[str]]]:
    """A TSV file's rows with their line numbers (blank and ``#`` lines left out)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line and not line.startswith("#"):
            rows.append((number, line.split("\t")))
    return rows


def raise_problems(problems: list[str]) -> None:
    """Raise one :class:`RulesError` for all ``problems`` (the first three in full)."""
    if not problems:
        return
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    raise RulesError("; ".join(problems[:3]) + more)


def _compile_error(pattern: str, flags: int = re.I) -> str | None:
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        return str(exc)
    return None


def trigger_source(forms: list[str]) -> str:
    """The regex of a trigger's forms: any of them, as whole words."""
    alt = "|".join(f"(?:{f})" for f in forms)
    return rf"\b(?:{alt})\b"


def cue_source(words: list[str]) -> str:
    """The regex of a cue list: any of its words, as whole words (compile with re.I)."""
    firsts = {w[0] for w in words}
    # A lookahead on the possible first letters lets the engine skip other positions
    # cheaply (several times faster on long texts); only when every word starts with one.
    ahead = ""
    if all(ch.isalpha() for ch in firsts):
        ahead = (
            "(?=[" + "".join(sorted({c for ch in firsts for c in (ch.lower(), ch.upper())})) + "])"
        )
    return ahead + r"\b(?:" + "|".join(words) + r")\b"


def _pattern_problems(
    where: str, entries: list[Any], source: Callable[[list[str]], str] = trigger_source
) -> list[str]:
    """Each entry is a pattern that compiles on its own and with the others, as one
    alternation (compiled whole first, in the loader's own form so that re's cache serves
    the loader; entry by entry only to name a broken one)."""
    out = [
        f"{where}: entry {i} {entry!r} is not a word or phrase"
        for i, entry in enumerate(entries, 1)
        if not isinstance(entry, str) or not entry.strip()
    ]
    if out:
        return out
    whole = _compile_error(source(entries))
    if whole is None:
        return []
    for i, entry in enumerate(entries, 1):
        error = _compile_error(f"(?:{entry})")
        if error:
            out.append(f"{where}: entry {i} {entry!r} is not a valid pattern ({error})")
    return out or [f"{where}: the entries do not compile together ({whole})"]


def check_triggers(doc: dict[str, Any], name: str = "triggers.json") -> None:
    """The trigger lexicon and its cue lists; raises :class:`RulesError`."""
    problems: list[str] = []
    entries = doc.get("triggers")
    if not isinstance(entries, list) or not entries:
        raise_problems([f"{name}: 'triggers' must be a non-empty list of triggers"])
        return
    seen: set[str] = set()
    for n, t in enumerate(entries, 1):
        problems += trigger_problems(t, n, seen, name)
    for key, value in doc.items():
        if key not in ("_doc", "triggers"):
            problems += cue_list_problems(key, value, name)
    for key in sorted(CUE_LISTS - doc.keys()):
        problems.append(f"{name}: cue list {key!r} is missing")
    raise_problems(problems)


def cue_list_problems(key: str, value: Any, name: str = "triggers.json") -> list[str]:
    """What is wrong with one cue list (an empty list when nothing is)."""
    where = f"{name}: cue list {key!r}"
    if key not in CUE_LISTS:
        return [f"{where} is not read by the coder (a typo?)"]
    if not isinstance(value, list) or not value:
        return [f"{where} must be a non-empty list of words or phrases"]
    out = _pattern_problems(where, value, cue_source)
    dups = sorted({w for w in value if isinstance(w, str) and value.count(w) > 1})
    if dups:
        out.append(f"{where}: {', '.join(map(repr, dups))} listed twice")
    return out


def trigger_problems(
    t: Any, n: int = 1, seen: set[str] | None = None, name: str = "triggers.json"
) -> list[str]:
    """What is wrong with one trigger (the ``n``-th; ``seen``: the ids before it)."""
    seen = set() if seen is None else seen
    if not isinstance(t, dict):
        return [f"{name}: trigger {n} is not an object"]
    tid = t.get("id")
    if not isinstance(tid, str) or not _ID.fullmatch(tid):
        return [f"{name}: trigger {n}: id {tid!r} must be a lower-case name like 'air_strike'"]
    where = f"{name}: trigger {tid!r}"
    out = []
    if tid in seen:
        out.append(f"{where}: id used twice")
    seen.add(tid)
    for key in sorted(t.keys() - _TRIGGER_FIELDS - FLAGS.keys()):
        out.append(f"{where}: unknown field or flag {key!r} (flags: {', '.join(FLAGS)})")
    for key in sorted(t.keys() & FLAGS.keys()):
        if not isinstance(t[key], bool):
            out.append(f"{where}: flag {key!r} must be true or false, not {t[key]!r}")
    for key in sorted({"forms", "event_type", "mode", "cameo", "rank"} - t.keys()):
        out.append(f"{where}: field {key!r} is missing")
    forms = t.get("forms", [])
    if not isinstance(forms, list) or not forms:
        out.append(f"{where}: forms must be a non-empty list of patterns")
    else:
        out += _pattern_problems(f"{where}: forms", forms)
    et = t.get("event_type")
    if "event_type" in t and et not in get_args(PloverType):
        out.append(f"{where}: event_type {et!r} is not a PLOVER type")
    if "mode" in t and not (isinstance(t["mode"], str) and _ID.fullmatch(t["mode"])):
        out.append(f"{where}: mode {t['mode']!r} must be a lower-case word")
    if "cameo" in t and not (isinstance(t["cameo"], str) and _CAMEO.fullmatch(t["cameo"])):
        out.append(f"{where}: cameo {t['cameo']!r} must be a CAMEO code of 2-4 digits")
    rank = t.get("rank")
    if "rank" in t and (not isinstance(rank, int) or isinstance(rank, bool)):
        out.append(f"{where}: rank {rank!r} must be a whole number")
    acled, sub = t.get("acled"), t.get("sub")
    if acled is not None and acled not in ACLED_SUB_EVENT_TYPES:
        out.append(f"{where}: acled {acled!r} is not an ACLED event type")
    elif acled is not None and sub not in ACLED_SUB_EVENT_TYPES[acled]:
        out.append(f"{where}: sub {sub!r} is not an ACLED sub-event type of {acled!r}")
    elif acled is None and sub is not None:
        out.append(f"{where}: sub {sub!r} needs its ACLED event type in 'acled'")
    if t.get("fixed_sub") and acled is None:
        out.append(f"{where}: flag 'fixed_sub' needs 'acled' and 'sub'")
    return out


def check_actors(doc: dict[str, Any], iso3: frozenset[str], name: str = "actors.json") -> None:
    """The actor dictionary: types in the actor-type vocabulary, countries in countries.tsv."""
    problems: list[str] = []
    for section in ("groups", "people"):
        for n, g in enumerate(doc.get(section) or [], 1):
            problems += actor_problems(section, g, iso3, n, name)
    for n, r in enumerate(doc.get("roles") or [], 1):
        problems += role_problems(r, n, name)
    for section in ("titles", "external_titles"):
        words = doc.get(section)
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            problems.append(f"{name}: {section} must be a list of words")
    raise_problems(problems)


def _actor_type_problem(where: str, entry: dict[str, Any]) -> list[str]:
    types = get_args(ActorType)
    if entry.get("type") is None or entry["type"] in types:
        return []
    return [f"{where}: type {entry['type']!r} is not an actor type ({', '.join(types)})"]


def actor_problems(
    section: str, g: Any, iso3: frozenset[str], n: int = 1, name: str = "actors.json"
) -> list[str]:
    """What is wrong with one named group or person (``section`` groups or people)."""
    label = g.get("name") if isinstance(g, dict) else None
    where = f"{name}: {section} {label!r}" if label else f"{name}: {section} entry {n}"
    if not isinstance(g, dict) or not isinstance(label, str):
        return [f"{where}: needs a 'name'"]
    out = [f"{where}: unknown field {k!r}" for k in sorted(g.keys() - _ACTOR_FIELDS)]
    aliases = g.get("aliases")
    if not isinstance(aliases, list) or not aliases:
        out.append(f"{where}: aliases must be a non-empty list of names")
    elif not all(isinstance(a, str) and a.strip() for a in aliases):
        out.append(f"{where}: every alias must be a name")
    country = g.get("country")
    if country is not None and country not in iso3:
        out.append(f"{where}: country {country!r} is not an ISO3 code of countries.tsv")
    return out + _actor_type_problem(where, g)


def role_problems(r: Any, n: int = 1, name: str = "actors.json") -> list[str]:
    """What is wrong with one role pattern ("soldiers?|troops?" -> state_forces)."""
    pattern = r.get("pattern") if isinstance(r, dict) else None
    where = f"{name}: roles {pattern!r}" if pattern else f"{name}: roles entry {n}"
    if not isinstance(r, dict) or not isinstance(pattern, str) or not pattern:
        return [f"{where}: needs a 'pattern'"]
    error = _compile_error(f"(?:{pattern})")
    out = [f"{where}: pattern is not valid ({error})"] if error else []
    return out + _actor_type_problem(where, r)


_ACTOR_FIELDS = {"name", "aliases", "country", "type", "note"}


# Each TSV: its columns, and which column holds which kind of code (None: free text).
TSV_COLUMNS: dict[str, tuple[str | None, ...]] = {
    "countries.tsv": (None, "ISO3", "kind"),
    "country_aliases.tsv": (None, "ISO3"),
    "demonyms.tsv": (None, "ISO3"),
    "place_aliases.tsv": (None, None, "ISO2"),
    "admin1_anchors.tsv": ("subdivision", None, None),
    "stopwords.tsv": ("folded",),
    "landmarks.tsv": (None, None, "ISO3"),
}
_COUNTRY_KINDS = {"name", "capital"}


def check_tsv(
    name: str, rows: list[tuple[int, list[str]]], iso3: frozenset[str] | None = None
) -> None:
    """A TSV's column count and codes; ISO3 codes must be in ``iso3`` (countries.tsv's)."""
    body = rows[1:] if name == "countries.tsv" else rows  # countries.tsv has a header row
    raise_problems([p for line, row in body for p in tsv_row_problems(name, line, row, iso3)])


def tsv_row_problems(
    name: str, line: int, row: list[str], iso3: frozenset[str] | None = None
) -> list[str]:
    """What is wrong with one row (line ``line``) of the TSV file ``name``."""
    columns = TSV_COLUMNS[name]
    where = f"{name}: line {line}"
    if len(row) != len(columns):
        return [f"{where}: {len(row)} columns, expected {len(columns)} (tab-separated)"]
    out = []
    for value, kind in zip(row, columns, strict=True):
        if kind is None and not value.strip():
            out.append(f"{where}: an empty column")
        elif kind == "ISO3" and not _ISO3.fullmatch(value):
            out.append(f"{where}: {value!r} is not an ISO alpha-3 code")
        elif kind == "ISO3" and iso3 is not None and value not in iso3:
            out.append(f"{where}: country {value!r} is not an ISO3 code of countries.tsv")
        elif kind == "ISO2" and not _ISO2.fullmatch(value):
            out.append(f"{where}: {value!r} is not an ISO alpha-2 code")
        elif kind == "subdivision" and not _SUBDIVISION.fullmatch(value):
            out.append(f"{where}: {value!r} is not an ISO 3166-2 code like 'AF-KNR'")
        elif kind == "kind" and value not in _COUNTRY_KINDS:
            out.append(f"{where}: kind {value!r} is not one of {sorted(_COUNTRY_KINDS)}")
        elif kind == "folded" and value != value.lower():
            out.append(f"{where}: {value!r} must be lower-case")
    return out


# The state forms an actor_names.json entry may name instead of a fixed name.
NAME_FORCES = frozenset({"military", "police", "government"})  # canonical.STATE_FORMS


def check_actor_names(
    doc: dict[str, Any],
    countries: list[tuple[int, list[str]]],
    iso3: frozenset[str],
    name: str = "actor_names.json",
) -> None:
    """The canonical-name tables: each actor a fixed name or a state's forces, with
    aliases; ruling periods and ACLED country names keyed by countries.tsv codes."""
    problems: list[str] = []
    for n, item in enumerate(doc.get("actors") or [], 1):
        label = None
        if isinstance(item, dict):
            label = item.get("name") or next(iter(item.get("aliases") or []), None)
        where = f"{name}: actor {label!r}" if label else f"{name}: actor entry {n}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        unknown = sorted(item.keys() - {"name", "forces", "country", "aliases", "_doc"})
        problems += [f"{where}: unknown field {k!r}" for k in unknown]
        if (item.get("name") is None) == (item.get("forces") is None):
            problems.append(f"{where}: needs either a 'name' or 'forces', not both")
        forces = item.get("forces")
        if forces is not None and forces not in NAME_FORCES:
            problems.append(f"{where}: forces {forces!r} is not one of {sorted(NAME_FORCES)}")
        country = item.get("country")
        if country is not None and country not in iso3:
            problems.append(f"{where}: country {country!r} is not an ISO3 code of countries.tsv")
        aliases = item.get("aliases")
        if not isinstance(aliases, list) or not aliases:
            problems.append(f"{where}: aliases must be a non-empty list of names")
        elif not all(isinstance(a, str) and a.strip() for a in aliases):
            problems.append(f"{where}: every alias must be a name")
    for iso, period in (doc.get("periods") or {}).items():
        if iso not in iso3:
            problems.append(f"{name}: periods: {iso!r} is not an ISO3 code of countries.tsv")
        if not isinstance(period, str) or not period.strip():
            problems.append(f"{name}: periods: {iso!r} needs a period like '2021-'")
    for line, row in countries:
        where = f"acled_countries.tsv: line {line}"
        if len(row) not in (2, 3) or not row[1].strip():
            problems.append(f"{where}: expected code, name and optional 'the' (tab-separated)")
        elif row[0] not in iso3:
            problems.append(f"{where}: {row[0]!r} is not an ISO3 code of countries.tsv")
        elif len(row) == 3 and row[2].strip() not in ("", "the"):
            problems.append(f"{where}: third column must be empty or 'the', not {row[2]!r}")
    raise_problems(problems)
