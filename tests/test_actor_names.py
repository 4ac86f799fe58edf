"""Canonical actor names: one name per actor across events and articles, ACLED's way,
beside the text's own wording (tasks/extract/canonical.py, data/actor_names.json)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tasks.extract import extract_events
from tasks.extract.actors import ActorMemory, ActorMention, find_actors
from tasks.extract.canonical import alias_name, canonical_name, crowd_name, state_name
from tasks.extract.lexicon import DATA, actor_data
from tasks.extract.text import fold
from tasks.link import actors_agree, relation, same_actor
from tasks.models import Article, Event, ExtractedArticle

from .conftest import FIXTURES, read_rows

CASES = [
    json.loads(line)
    for line in (FIXTURES / "extract" / "actors_canonical.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = []
        if case.get("known_limit"):
            marks.append(pytest.mark.xfail(strict=True, reason=case["known_limit"]))
        out.append(pytest.param(case, id=case["id"], marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_each_phrasing_gets_its_canonical_actors(case: dict[str, Any]) -> None:
    events = extract_events(case["text"], date.fromisoformat(case["published"]))
    got = [e.schema_dict() for e in events]
    for expected in case["expect"]:
        assert any(all(g.get(k) == v for k, v in expected.items()) for g in got), [
            (
                g["event_type"],
                g["actor1"],
                g["actor1_canonical"],
                g["actor2"],
                g["actor2_canonical"],
            )
            for g in got
        ]


def test_the_fixture_is_varied() -> None:
    assert len(CASES) >= 50
    assert len({c["id"] for c in CASES}) == len(CASES)
    limits = [c for c in CASES if c.get("known_limit")]
    assert len(limits) <= len(CASES) // 10  # known limits stay few, each with its reason
    countries = {c["id"].split("-")[0] for c in CASES}
    assert len(countries) >= 25


# --- the data files ---------------------------------------------------------------------


def _names_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / "actor_names.json").read_text(encoding="utf-8"))
    return doc


def test_every_alias_is_one_actors_and_no_alias_is_listed_twice() -> None:
    seen: dict[str, int] = {}
    for i, entry in enumerate(_names_doc()["actors"]):
        assert ("name" in entry) != ("forces" in entry), entry
        if "forces" in entry:
            assert entry["forces"] in ("military", "police", "government")
        for alias in entry["aliases"]:
            assert seen.setdefault(fold(alias), i) == i, f"{alias!r} is listed twice"


def test_every_dictionary_alias_has_a_canonical_name() -> None:
    """Dictionary entries that lump several actors ("Amnesty International" also finds
    Human Rights Watch) must name each alias in actor_names.json (people are named by
    their entry's full name)."""
    missing = [
        alias
        for g in actor_data()["groups"]
        for alias in g["aliases"]
        if alias_name(alias, g["country"] or "USA") is None and len(g["aliases"]) > 2
    ]
    assert missing == []


def test_every_country_code_used_has_an_acled_name() -> None:
    countries = {
        line.split("\t")[0]
        for line in (DATA / "acled_countries.tsv").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    doc = _names_doc()
    used = set(doc["periods"]) | {e["country"] for e in doc["actors"] if e.get("country")}
    assert used <= countries
    assert {g["country"] for g in actor_data()["groups"] if g["country"]} <= countries


# --- ACLED's forms ------------------------------------------------------------------------


def test_acleds_forms_of_state_forces_crowds_and_unnamed_parties() -> None:
    assert state_name("military", "PAK") == "Military Forces of Pakistan"
    assert state_name("police", "KEN") == "Police Forces of Kenya"
    assert state_name("military", "COD") == "Military Forces of the Democratic Republic of Congo"
    assert state_name("government", "AFG") == "Government of Afghanistan (2021-)"
    assert crowd_name("protesters", "KEN") == "Protesters (Kenya)"
    assert crowd_name("rioters", "CIV") == "Rioters (Ivory Coast)"
    assert crowd_name("civilians", "COD") == "Civilians (Democratic Republic of Congo)"
    assert crowd_name("gunmen", "NGA") == "Unidentified Armed Group (Nigeria)"


@pytest.mark.parametrize(
    ("text", "kind", "typ", "iso", "acled", "expected"),
    [
        ("Taliban", "group", "state_forces", "AFG", None, "Military Forces of Afghanistan (2021-)"),
        (
            "Afghan forces",
            "demonym",
            "state_forces",
            "AFG",
            None,
            "Military Forces of Afghanistan (2021-)",
        ),
        (
            "Afghan military",
            "demonym",
            "state_forces",
            "AFG",
            None,
            "Military Forces of Afghanistan (2021-)",
        ),
        ("Kabul", "country", "government", "AFG", None, "Government of Afghanistan (2021-)"),
        (
            "Pakistan",
            "country",
            "government",
            "PAK",
            "Explosions/Remote violence",
            "Military Forces of Pakistan",
        ),
        ("Pakistani officials", "demonym", "government", "PAK", None, "Government of Pakistan"),
        ("riot police", "role", "state_forces", "KEN", None, "Police Forces of Kenya"),
        ("gendarmes", "role", "state_forces", "MLI", None, "Police Forces of Mali"),
        (
            "gunmen",
            "role",
            None,
            "NGA",
            "Violence against civilians",
            "Unidentified Armed Group (Nigeria)",
        ),
        ("villagers", "role", "civilians", "NGA", None, "Civilians (Nigeria)"),
        ("civilians", None, "civilians", "MLI", None, "Civilians (Mali)"),
        ("settlers", "role", "political_militia", "PSE", None, "Settlers (Israel)"),
    ],
)
def test_a_mention_without_a_preset_is_named_from_its_type_and_country(
    text: str, kind: str | None, typ: str | None, iso: str, acled: str | None, expected: str
) -> None:
    assert canonical_name(text, kind, None, typ, iso, acled) == expected


def test_a_demonstrations_crowd_is_protesters_whoever_organised_it() -> None:
    name = canonical_name(
        "PTI supporters",
        "group",
        "Pakistan Tehreek-e-Insaf",
        "protesters",
        "PAK",
        "Protests",
        crowd=True,
    )
    assert name == "Protesters (Pakistan)"
    said = canonical_name("PTI", "group", "Pakistan Tehreek-e-Insaf", "protesters", "PAK", None)
    assert said == "Pakistan Tehreek-e-Insaf"  # the party itself, when it speaks


# --- within one article -------------------------------------------------------------------


def _article(*sentences: str) -> list[list[ActorMention]]:
    memory = ActorMemory()
    return [find_actors(s, memory) for s in sentences]


def test_a_surname_is_the_fullest_name_met_earlier() -> None:
    first, later = _article(
        "Afghan Foreign Minister Amir Khan Muttaqi arrived in New Delhi on Thursday.",
        "Muttaqi met Indian officials on Friday.",
    )
    assert [a.canonical for a in first if a.kind == "person"] == ["Amir Khan Muttaqi"]
    assert [(a.text, a.canonical) for a in later if a.kind == "person"] == [
        ("Muttaqi", "Amir Khan Muttaqi")
    ]


def test_a_dictionary_surname_is_the_dictionarys_full_name() -> None:
    (mentions,) = _article("Trump spoke with Putin by phone on Tuesday.")
    assert [a.canonical for a in mentions] == ["Donald Trump", "Vladimir Putin"]


def test_the_militants_are_the_one_named_group_in_play() -> None:
    _, later = _article(
        "TTP fighters stormed a police station in Bannu on Saturday.",
        "The militants killed three officers before fleeing.",
    )
    (militants,) = [a for a in later if a.text == "militants"]
    assert militants.canonical == "Tehrik-i-Taliban Pakistan"


def test_the_group_is_the_one_named_group_in_play() -> None:
    _, later = _article(
        "Al-Shabaab fighters attacked a base in Lower Shabelle on Sunday.",
        "The group said it had killed 20 soldiers.",
    )
    assert [(a.text, a.canonical) for a in later if a.kind == "role"][0] == (
        "The group",
        "Al Shabaab",
    )


def test_with_two_named_groups_in_play_the_militants_stay_unnamed() -> None:
    _, later = _article(
        "TTP and Lashkar-e-Jhangvi fighters were active in Kurram.",
        "Militants attacked a convoy on Tuesday.",
    )
    assert [a.canonical for a in later if a.text == "Militants"] == [None]


def test_militants_of_another_country_are_not_the_group_in_play() -> None:
    _, later = _article(
        "Al-Shabaab fighters attacked a base in Lower Shabelle on Sunday.",
        "Kenyan militants were arrested in Garissa on Monday.",
    )
    assert all(a.canonical is None for a in later if "militants" in a.text)


def test_a_group_mentioned_only_later_is_not_referred_back_to() -> None:
    first, _ = _article(
        "Militants attacked a convoy on Tuesday.",
        "The Balochistan Liberation Army claimed the attack.",
    )
    assert [a.canonical for a in first if a.text == "Militants"] == [None]


def test_an_organisations_acronym_is_its_full_name() -> None:
    _, later = _article(
        "The Kenya Human Rights Commission (KHRC) said police killed six protesters.",
        "The KHRC accused the police on Sunday.",
    )
    assert [(a.text, a.canonical) for a in later if a.kind == "group"] == [
        ("KHRC", "Kenya Human Rights Commission")
    ]


def test_one_force_named_three_ways_in_one_article_is_one_actor() -> None:
    text = (
        "Taliban forces clashed with Pakistani troops in Kurram on Saturday, killing six. "
        "On Sunday Afghan forces shelled a border post in Chaman. "
        "The Afghan military attacked Pakistani positions near Torkham on Monday."
    )
    events = extract_events(text, date(2025, 10, 12))
    names = {e.actor1: e.actor1_canonical for e in events if e.actor1_country == "AFG"}
    assert len(names) == 3, names
    assert set(names.values()) == {"Military Forces of Afghanistan (2021-)"}


# --- the event, the scorer's format and the warehouse ------------------------------------


def test_canonical_names_are_output_but_not_part_of_the_events_id() -> None:
    event = Event("ASSAULT", actor1="TTP", actor1_canonical="Tehrik-i-Taliban Pakistan")
    out = event.schema_dict()
    assert out["actor1"] == "TTP" and out["actor1_canonical"] == "Tehrik-i-Taliban Pakistan"
    renamed = Event("ASSAULT", actor1="TTP", actor1_canonical="Pakistani Taliban")
    assert event.event_id("a", "v") == renamed.event_id("a", "v")


def test_stored_events_and_incidents_carry_canonical_names(db_path: Path) -> None:
    from tasks.store import store_batch
    from warehouse.runs import start_run

    items = []
    for n, wording in enumerate(("Taliban", "Afghan forces")):
        article = Article(
            "file",
            f"a{n}.txt",
            f"{wording} shelled Chaman.",
            published_at=datetime(2025, 10, 12, tzinfo=UTC),
        )
        event = Event(
            "ASSAULT",
            "Explosions/Remote violence",
            "Shelling/artillery/missile attack",
            actor1=wording,
            actor1_country="AFG",
            actor1_canonical="Military Forces of Afghanistan (2021-)",
            country="PAK",
            location="Chaman",
            geo_precision="point",
            event_date=date(2025, 10, 11),
            char_start=0,
        )
        items.append(ExtractedArticle(article, [event], "v1"))
    start_run(db_path, "seed", "test", {})
    store_batch(db_path, "seed", items)
    rows = read_rows(db_path, "SELECT actor1, actor1_canonical FROM events_view ORDER BY actor1")
    assert rows == [
        ("Afghan forces", "Military Forces of Afghanistan (2021-)"),
        ("Taliban", "Military Forces of Afghanistan (2021-)"),
    ]
    incidents = read_rows(db_path, "SELECT num_events, actor1_canonical FROM incidents")
    assert incidents == [(2, "Military Forces of Afghanistan (2021-)")]


# --- the linker ------------------------------------------------------------------------


def _row(**fields: Any) -> dict[str, Any]:
    return {"event_type": "ASSAULT", "event_id": "e", **fields}


def test_the_linker_prefers_canonical_names() -> None:
    taliban = _row(actor1="Taliban", actor1_canonical="Military Forces of Afghanistan (2021-)")
    afghan = _row(actor1="Afghan forces", actor1_canonical="Military Forces of Afghanistan (2021-)")
    assert same_actor(taliban, afghan)  # the texts share no word
    ttp = _row(actor1="Pakistani Taliban", actor1_canonical="Tehrik-i-Taliban Pakistan")
    assert not same_actor(taliban, ttp)  # the texts share a word, the actors differ
    # Reports without canonical names (coded before them) compare their texts.
    assert same_actor(_row(actor1="EU"), _row(actor1="European Union"))
    assert same_actor(
        _row(actor1="EU"), _row(actor1="European Union", actor1_canonical="European Union")
    )


def test_actors_that_differ_by_canonical_name_and_country_do_not_agree() -> None:
    a = _row(
        actor1="Taliban",
        actor1_country="AFG",
        actor1_canonical="Military Forces of Afghanistan (2021-)",
    )
    b = _row(
        actor1="Pakistani Taliban",
        actor1_country="PAK",
        actor1_canonical="Tehrik-i-Taliban Pakistan",
    )
    assert not actors_agree(a, b)


def test_a_shared_canonical_name_earns_the_actor_bonus() -> None:
    base = {
        "acled_event_type": "Battles",
        "acled_sub_event_type": "Armed clash",
        "actor1_country": "AFG",
        "country": "PAK",
        "location": "Chaman",
        "geo_precision": "point",
        "event_date": date(2025, 10, 11),
    }
    canon = "Military Forces of Afghanistan (2021-)"
    a = _row(**base, article_id="a", actor1="Taliban", actor1_canonical=canon)
    b = _row(**base, article_id="b", actor1="Afghan forces", actor1_canonical=canon)
    c = _row(**base, article_id="b", actor1="Afghan forces")
    with_names, without = relation(a, b), relation(a, c)
    assert with_names is not None and without is not None
    assert with_names[0] == without[0] + 1
