"""The coder's data files are checked on load (tasks/extract/rules.py): every entry of
every file passes, and broken copies fail at load with an error naming the file, the
entry and the field."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks.extract import lexicon, rules
from tasks.extract.rules import RulesError

DATA = lexicon.DATA
TRIGGERS: dict[str, Any] = json.loads((DATA / "triggers.json").read_text(encoding="utf-8"))
ACTORS: dict[str, Any] = json.loads((DATA / "actors.json").read_text(encoding="utf-8"))
ISO3 = frozenset(row[1] for _, row in rules.read_tsv(DATA / "countries.tsv")[1:])
CUES = {k: v for k, v in TRIGGERS.items() if k not in ("_doc", "triggers")}


def _ids(entries: list[Any], key: str) -> list[str]:
    return [str(e.get(key) if isinstance(e, dict) else e)[:40] for e in entries]


@pytest.mark.parametrize("trigger", TRIGGERS["triggers"], ids=_ids(TRIGGERS["triggers"], "id"))
def test_every_trigger_validates(trigger: dict[str, Any]) -> None:
    assert rules.trigger_problems(trigger) == []


@pytest.mark.parametrize("name", sorted(CUES))
def test_every_cue_list_validates(name: str) -> None:
    assert rules.cue_list_problems(name, CUES[name]) == []


def test_every_cue_list_the_coder_reads_is_in_the_file() -> None:
    assert set(CUES) == rules.CUE_LISTS


@pytest.mark.parametrize(
    ("section", "entry"),
    [(s, g) for s in ("groups", "people") for g in ACTORS[s]],
    ids=[f"{s}:{g['name']}" for s in ("groups", "people") for g in ACTORS[s]],
)
def test_every_actor_validates(section: str, entry: dict[str, Any]) -> None:
    assert rules.actor_problems(section, entry, ISO3) == []


@pytest.mark.parametrize("role", ACTORS["roles"], ids=_ids(ACTORS["roles"], "pattern"))
def test_every_role_validates(role: dict[str, Any]) -> None:
    assert rules.role_problems(role) == []


@pytest.mark.parametrize("name", sorted(rules.TSV_COLUMNS))
def test_every_tsv_row_validates(name: str) -> None:
    rows = rules.read_tsv(DATA / name)
    body = rows[1:] if name == "countries.tsv" else rows  # its header
    assert [p for line, row in body for p in rules.tsv_row_problems(name, line, row, ISO3)] == []


def test_the_whole_files_validate() -> None:
    rules.check_triggers(TRIGGERS)
    rules.check_actors(ACTORS, ISO3)
    lexicon.check_rules()


def test_every_flag_is_a_field_of_the_trigger_object() -> None:
    names = set(lexicon.Trigger.__dataclass_fields__)
    assert set(rules.FLAGS) <= names
    assert any(t.weapon for t in lexicon.triggers())


# Deliberately broken copies: each fails with the file, the entry and the field named.


def _trigger(tid: str) -> dict[str, Any]:
    return next(t for t in TRIGGERS["triggers"] if t["id"] == tid)


def _broken_triggers(tid: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(TRIGGERS)
    entry = next(t for t in doc["triggers"] if t["id"] == tid)
    entry.update(changes)
    return doc


@pytest.mark.parametrize(
    ("tid", "changes", "message"),
    [
        (
            "air_strike",
            {"sub": "Air strike"},
            "trigger 'air_strike': sub 'Air strike' is not an ACLED sub-event "
            "type of 'Explosions/Remote violence'",
        ),
        ("riot", {"acled": "Riot"}, "trigger 'riot': acled 'Riot' is not an ACLED event type"),
        ("kill", {"event_type": "KILL"}, "trigger 'kill': event_type 'KILL' is not a PLOVER type"),
        ("ied", {"forms": ["road ?side bomb", "ieds?("]}, "trigger 'ied': forms: entry 2 'ieds?('"),
        ("ied", {"rank": "9"}, "trigger 'ied': rank '9' must be a whole number"),
        ("ied", {"weapons": True}, "trigger 'ied': unknown field or flag 'weapons'"),
        ("ied", {"weapon": "yes"}, "trigger 'ied': flag 'weapon' must be true or false"),
        ("ied", {"cameo": 183}, "trigger 'ied': cameo 183 must be a CAMEO code"),
        ("kill", {"sub": "Attack"}, "trigger 'kill': sub 'Attack' needs its ACLED event type"),
        ("kill", {"fixed_sub": True}, "trigger 'kill': flag 'fixed_sub' needs 'acled' and 'sub'"),
    ],
)
def test_a_broken_trigger_is_named(tid: str, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(RulesError, match="^" + re.escape("triggers.json: " + message)):
        rules.check_triggers(_broken_triggers(tid, **changes))


def test_a_duplicate_trigger_id_is_named() -> None:
    doc = copy.deepcopy(TRIGGERS)
    doc["triggers"].append(copy.deepcopy(_trigger("grenade")))
    with pytest.raises(RulesError, match="trigger 'grenade': id used twice"):
        rules.check_triggers(doc)


def test_a_bad_cue_list_is_named() -> None:
    doc = copy.deepcopy(TRIGGERS)
    doc["riot_cues"] = [*doc["riot_cues"], "threw (rocks"]
    doc["crowd_words"] = [*doc["crowd_words"], "mob"]
    doc["figurative_befor"] = ["heart"]
    del doc["hazard_words"]
    with pytest.raises(RulesError) as info:
        rules.check_triggers(doc)
    text = str(info.value)
    bad = len(TRIGGERS["riot_cues"]) + 1  # the appended entry, numbered from 1
    assert f"cue list 'riot_cues': entry {bad} 'threw (rocks' is not a valid pattern" in text
    assert "cue list 'crowd_words': 'mob' listed twice" in text
    assert "cue list 'figurative_befor' is not read by the coder" in text
    assert "(and 1 more)" in text  # the missing hazard_words


def test_a_wrong_actor_type_is_named() -> None:
    doc = copy.deepcopy(ACTORS)
    doc["groups"][0]["type"] = "rebels"
    with pytest.raises(
        RulesError,
        match="^actors.json: groups 'Tehrik-i-Taliban Pakistan': type 'rebels' is not an actor",
    ):
        rules.check_actors(doc, ISO3)


def test_a_wrong_actor_country_and_role_are_named() -> None:
    doc = copy.deepcopy(ACTORS)
    doc["people"][0]["country"] = "US"
    doc["roles"][0]["pattern"] = "soldiers?|troops?)"
    with pytest.raises(RulesError) as info:
        rules.check_actors(doc, ISO3)
    assert "actors.json: people 'Donald Trump': country 'US' is not an ISO3 code" in str(info.value)
    assert "actors.json: roles 'soldiers?|troops?)': pattern is not valid" in str(info.value)


def test_a_bad_tsv_row_is_named_by_its_line() -> None:
    assert rules.tsv_row_problems("demonyms.tsv", 7, ["Afghan", "AFX"], ISO3) == [
        "demonyms.tsv: line 7: country 'AFX' is not an ISO3 code of countries.tsv"
    ]
    assert rules.tsv_row_problems("country_aliases.tsv", 3, ["US USA"], ISO3) == [
        "country_aliases.tsv: line 3: 1 columns, expected 2 (tab-separated)"
    ]
    assert rules.tsv_row_problems("place_aliases.tsv", 4, ["Kyiv", "Kyiv", "UKR"]) == [
        "place_aliases.tsv: line 4: 'UKR' is not an ISO alpha-2 code"
    ]


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The coder reading a copy of data/ (its caches emptied before and after)."""
    copied = tmp_path / "data"
    shutil.copytree(DATA, copied, ignore=shutil.ignore_patterns("gazetteer.tsv.gz"))
    monkeypatch.setattr(lexicon, "DATA", copied)
    caches = (lexicon._json, lexicon.known_iso3, lexicon.check_rules, lexicon.triggers)
    for fn in caches:
        fn.cache_clear()
    yield copied
    for fn in caches:
        fn.cache_clear()


def test_a_wrong_actor_type_fails_at_load_not_per_article(data_copy: Path) -> None:
    from datetime import datetime

    from tasks.coding import code_articles
    from tasks.models import Article

    doc = copy.deepcopy(ACTORS)
    doc["people"][2]["type"] = "head_of_state"
    (data_copy / "actors.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RulesError, match="people 'Vladimir Putin': type 'head_of_state'"):
        lexicon.trigger_data()
    article = Article("file", "a.txt", "Police arrested ten protesters in Lagos.", None)
    article.published_at = datetime(2025, 10, 12)
    with pytest.raises(RulesError):
        code_articles([article])  # the run stops; no article is rejected for it


def test_a_broken_tsv_fails_at_load(data_copy: Path) -> None:
    path = data_copy / "demonyms.tsv"
    path.write_text(path.read_text(encoding="utf-8") + "Atlantean\tATL\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"demonyms.tsv: line \d+: country 'ATL' is not"):
        lexicon.trigger_data()


ACTOR_NAMES = json.loads((DATA / "actor_names.json").read_text(encoding="utf-8"))
ACLED_COUNTRIES = rules.read_tsv(DATA / "acled_countries.tsv")


def test_the_canonical_name_tables_validate() -> None:
    rules.check_actor_names(ACTOR_NAMES, ACLED_COUNTRIES, ISO3)


def _named(doc: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in doc["actors"] if a.get("name"))


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda d, r: _named(d).update(forces="military"), "needs either a 'name' or 'forces'"),
        (
            lambda d, r: d["actors"].append({"forces": "army", "aliases": ["x"]}),
            "actor 'x': forces 'army' is not one of",
        ),
        (
            lambda d, r: _named(d).update(country="XXX"),
            "country 'XXX' is not an ISO3 code of countries.tsv",
        ),
        (lambda d, r: _named(d).update(aliases=[]), "aliases must be a non-empty list of names"),
        (lambda d, r: d["periods"].update(ZZZ="2021-"), "periods: 'ZZZ' is not an ISO3 code"),
        (
            lambda d, r: r.append((999, ["KEN", "Kenya", "a"])),
            "acled_countries.tsv: line 999: third column must be empty or 'the', not 'a'",
        ),
    ],
)
def test_a_broken_canonical_name_entry_is_named(breakage: Any, message: str) -> None:
    doc, rows = copy.deepcopy(ACTOR_NAMES), list(ACLED_COUNTRIES)
    breakage(doc, rows)
    with pytest.raises(RulesError, match=re.escape(message)):
        rules.check_actor_names(doc, rows, ISO3)
