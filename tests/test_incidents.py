"""Incidents: reports of one real-world event linked across articles, counted once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tasks.link import plan_links

from .conftest import FIXTURES, SHARED, read_rows, shared_or_skip

CASES = json.loads((FIXTURES / "incidents" / "link_cases.json").read_text(encoding="utf-8"))


def _report(fields: dict[str, Any], event_id: str, article_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {"event_id": event_id, "article_id": article_id, "event_type": "ASSAULT"}
    row.update(fields)
    for key in ("event_date", "published_at"):
        if isinstance(row.get(key), str):
            row[key] = date.fromisoformat(row[key])
    return row


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_two_reports_are_one_incident_or_two_as_labelled(case: dict[str, Any]) -> None:
    first = _report(case["a"], "e-a", "art-a")
    second = _report(case["b"], "e-b", "art-a" if case.get("same_article") else "art-b")
    before = plan_links([first], [])
    (link_a,) = before.links
    candidate = {**first, "incident_id": link_a["incident_id"]}
    (link_b,) = plan_links([second], [candidate]).links
    assert (link_b["incident_id"] == link_a["incident_id"]) is case["same"], link_b["reason"]
    if case["same"]:
        assert link_b["reason"] != "new"  # the reason names the fields that agreed


def test_a_report_that_bridges_two_incidents_merges_them_into_the_older() -> None:
    base = {
        "acled_event_type": "Violence against civilians",
        "acled_sub_event_type": "Attack",
        "actor1_country": "NGA",
        "country": "NGA",
        "admin1": "Zamfara",
    }
    province = _report(
        {**base, "location": "Zamfara", "geo_precision": "admin1", "event_date": "2024-09-16"},
        "e1",
        "a1",
    )
    town_next_day = _report(
        {**base, "location": "Gusau", "geo_precision": "point", "event_date": "2024-09-17"},
        "e2",
        "a2",
    )
    plan = plan_links([province, town_next_day], [])
    older, younger = (link["incident_id"] for link in plan.links)
    assert older != younger and plan.merges == []  # a province and a town a day apart
    town_same_day = _report(
        {**base, "location": "Gusau", "geo_precision": "point", "event_date": "2024-09-16"},
        "e3",
        "a3",
    )
    candidates = [
        {**province, "incident_id": older},
        {**town_next_day, "incident_id": younger},
    ]
    bridged = plan_links([town_same_day], candidates)
    assert bridged.links[0]["incident_id"] == older
    assert bridged.merges == [
        {"incident_id": younger, "merged_into": older, "reason": bridged.merges[0]["reason"]}
    ]


def test_links_do_not_depend_on_how_reports_are_batched() -> None:
    reports = [_report(c["a"], f"a{i}", f"art-a{i}") for i, c in enumerate(CASES)]
    reports += [_report(c["b"], f"b{i}", f"art-b{i}") for i, c in enumerate(CASES)]
    reports.sort(key=lambda r: (r["published_at"], r["event_id"]))
    at_once = {x["event_id"]: x["incident_id"] for x in plan_links(reports, []).links}
    seen: list[dict[str, Any]] = []
    one_by_one: dict[str, str] = {}
    for report in reports:
        plan = plan_links([report], seen)
        merged = {m["incident_id"]: m["merged_into"] for m in plan.merges}
        for row in seen:
            row["incident_id"] = merged.get(row["incident_id"], row["incident_id"])
        (link,) = plan.links
        seen.append({**report, "incident_id": link["incident_id"]})
        one_by_one = {r["event_id"]: r["incident_id"] for r in seen}
    assert one_by_one == at_once


# --- through the real flow ---------------------------------------------------------------

WIRE = (
    "KANO, Nigeria, Sept 16 (Sahel Wire) - Gunmen killed nine villagers in an attack on"
    " Maru in Nigeria's Zamfara state on Monday, police said. The attackers arrived on"
    " motorcycles and opened fire on a market, a police spokesman said.\n"
)
LOCAL = (
    "The death toll from Monday's attack by gunmen on Maru in Zamfara state has risen to"
    " 14, the state government said on Wednesday. Gunmen killed 14 people in the attack"
    " on Maru on Monday, a government spokesman said.\n"
)
OTHER = (
    "Gunmen killed three people in an attack on Tsafe in Zamfara state on Tuesday,"
    " police said on Wednesday.\n"
)


def _story(folder: Path) -> None:
    folder.mkdir()
    for name, text, outlet, day in (
        ("wire", WIRE, "Sahel Wire", "2024-09-16"),
        ("local", LOCAL, "Zamfara Daily", "2024-09-18"),
        ("other", OTHER, "Gusau Radio", "2024-09-18"),
    ):
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        meta = {"source": outlet, "published": day, "url": f"https://x.example/{name}"}
        (folder / f"{name}.meta.json").write_text(json.dumps(meta), encoding="utf-8")


_rows = read_rows


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_two_outlets_one_attack_count_once_with_the_risen_toll(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest_files
    from flows.maintenance import maintenance

    _story(tmp_path / "story")
    ingest_files([str(tmp_path / "story")], db=str(db_path))
    maru = _rows(
        db_path,
        "SELECT incident_id, fatalities, num_articles, num_sources, event_date FROM incidents"
        " WHERE location = 'Maru'",
    )
    assert len(maru) == 1
    incident_id, fatalities, articles, sources, day = maru[0]
    assert (fatalities, articles, sources, str(day)) == (14, 2, 2, "2024-09-16")
    assert _rows(db_path, "SELECT count(*) FROM incidents WHERE location = 'Tsafe'") == [(1,)]
    every = (
        "SELECT count(*) FROM events_view"
        " WHERE event_id NOT IN (SELECT event_id FROM incident_events)"
    )
    assert _rows(db_path, every) == [(0,)]
    ids = _rows(db_path, "SELECT event_id, incident_id FROM incident_events ORDER BY 1")
    # `explain` says which incident each stored event joined and why; `incident` shows
    # the reports side by side.
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.explain import explain, explain_file

    local = explain(explain_file(tmp_path / "story" / "local.txt").article_id, str(db_path))
    (joined,) = [e.incident for e in local.events if e.values["location"] == "Maru"]
    assert joined is not None and joined["incident_id"] == incident_id
    assert "town Maru" in joined["link_reason"] and joined["reports"] == 2
    shown = CliRunner().invoke(app, ["incident", incident_id[:10], "--db", str(db_path)])
    assert shown.exit_code == 0, shown.output
    assert "2 report(s)" in shown.output
    assert "Sahel Wire" in shown.output and "Zamfara Daily" in shown.output
    # A re-run stores nothing and moves no link.
    ingest_files([str(tmp_path / "story")], db=str(db_path))
    assert _rows(db_path, "SELECT event_id, incident_id FROM incident_events ORDER BY 1") == ids
    # A new coder version re-codes every article: the incidents keep their ids.
    import tasks.coding

    monkeypatch.setattr(tasks.coding, "EXTRACTOR_VERSION", "rules-next")
    import flows.maintenance

    monkeypatch.setattr(flows.maintenance, "EXTRACTOR_VERSION", "rules-next")
    maintenance(db=str(db_path), export=False)
    recoded = _rows(db_path, "SELECT incident_id FROM incidents WHERE location = 'Maru'")
    assert recoded == [(incident_id,)]
    versions = _rows(db_path, "SELECT DISTINCT extractor_version FROM incident_reports")
    assert versions == [("rules-next",)]


# The shared story sets, scored as INCIDENTS.md says: floors a little under the figures
# measured with this linker and coder (see the README), so a regression fails. The shared
# scorer breaks ties between equally good event matches by the order the events come in,
# so one warehouse (the same incidents, the same counts) scores a pair F1 anywhere from
# 0.738 to 0.77; the floor sits under that spread.
SHARED_FLOORS = {"pair_f1": 0.72, "incident_count_ratio_max": 1.5, "fatalities_ratio_max": 1.85}


@pytest.mark.slow
def test_the_shared_story_sets_through_the_real_command(tmp_path: Path) -> None:
    sets = shared_or_skip("eval", "incident_sets_dev.jsonl")
    evaldir = SHARED / "eval"
    files, db = tmp_path / "files", tmp_path / "sets.duckdb"
    subprocess.run([sys.executable, evaldir / "sets_to_files.py", sets, files], check=True)
    from .test_cli import run_cli

    ingest = run_cli(
        "ingest", str(files), "--db", str(db), env={"PREFECT_HOME": str(tmp_path / "p")}
    )
    assert ingest.returncode == 0, ingest.stderr
    pred, inc = tmp_path / "pred.jsonl", tmp_path / "inc.jsonl"
    subprocess.run([sys.executable, evaldir / "incidents_from_db.py", db, pred, inc], check=True)
    scored = subprocess.run(
        [sys.executable, evaldir / "score_incidents.py", sets, pred, "--incidents", inc],
        check=True,
        capture_output=True,
        text=True,
    )
    metrics = json.loads(scored.stdout.strip().splitlines()[-1])
    assert metrics["pair_f1"] >= SHARED_FLOORS["pair_f1"]
    assert metrics["incident_count_ratio"] <= SHARED_FLOORS["incident_count_ratio_max"]
    assert metrics["fatalities_ratio"] <= SHARED_FLOORS["fatalities_ratio_max"]


# --- the linker alone, on gold coding: what linking reaches when coding is right -------

# Pair F1 floors on the story sets' gold events (measured with the linker of rules-0.5.5:
# dev 0.98, dev2 0.99, dev3 0.95, blind 0.99, blind2 0.98; before its actor classes and
# sub-type groups dev2 0.97, blind 0.96, blind2 0.92; the blind sets were written by
# annotators who never saw the linker, and are scored, never read; blind3, ten sets in ten
# countries none of the dev sets cover, measured 0.966 when it was written).
GOLD_FLOORS = {
    "sets_dev2.jsonl": 0.97,
    "sets_dev3.jsonl": 0.93,
    "sets_blind.jsonl": 0.97,
    "sets_blind2.jsonl": 0.95,
    "sets_blind3.jsonl": 0.94,
}


def _gold_reports(article: dict[str, Any]) -> list[dict[str, Any]]:
    reports = []
    for k, event in enumerate(article["events"]):
        row = {key: (v[0] if isinstance(v, list) and v else v) for key, v in event.items()}
        row.update(event_id=f"{article['id']}-{k:02d}", article_id=article["id"])
        row["published_at"] = date.fromisoformat(article["published"])
        row["event_date"] = date.fromisoformat(row["event_date"]) if row.get("event_date") else None
        precise = row.get("location") and row.get("latitude") is not None
        row["geo_precision"] = (
            "point" if precise else ("admin1" if row.get("admin1") else "country")
        )
        reports.append(row)
    return reports


def _pair_f1(sets: list[dict[str, Any]]) -> float:
    tp = fp = fn = 0
    for story in sets:
        seen: list[dict[str, Any]] = []
        for article in sorted(story["articles"], key=lambda a: (a["published"], a["id"])):
            new = _gold_reports(article)
            plan = plan_links(new, seen)
            merged = {m["incident_id"]: m["merged_into"] for m in plan.merges}
            for row in seen:
                while row["incident_id"] in merged:
                    row["incident_id"] = merged[row["incident_id"]]
            links = {x["event_id"]: x["incident_id"] for x in plan.links}
            seen += [{**r, "incident_id": links[r["event_id"]]} for r in new]
        for i, a in enumerate(seen):
            for b in seen[i + 1 :]:
                gold_same = a["incident"] == b["incident"]
                same = a["incident_id"] == b["incident_id"]
                tp += gold_same and same
                fp += same and not gold_same
                fn += gold_same and not same
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return 2 * precision * recall / max(precision + recall, 1e-9)


@pytest.mark.parametrize("name", sorted(GOLD_FLOORS))
def test_the_linker_on_gold_coding_of_each_story_set(name: str) -> None:
    path = FIXTURES / "incidents" / name
    sets = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert _pair_f1(sets) >= GOLD_FLOORS[name]


# --- settings and the window ---------------------------------------------------------


def test_the_config_files_incidents_table_sets_the_linker(tmp_path: Path) -> None:
    from tasks.errors import UsageError
    from tasks.link import DEFAULT_SETTINGS, load_settings

    config = tmp_path / "feeds.toml"
    config.write_text("[incidents]\nwindow_days = 3\nnear_km = 10.5\n", encoding="utf-8")
    chosen = load_settings(config)
    assert (chosen.window_days, chosen.near_km) == (3, 10.5)
    assert chosen.date_slack_days == DEFAULT_SETTINGS.date_slack_days
    assert load_settings(tmp_path / "none.toml") == DEFAULT_SETTINGS
    config.write_text("[incidents]\nwindow_days = -1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="window_days must be a non-negative int"):
        load_settings(config)
    config.write_text('[incidents]\nsubtype_groups = [["Attack", "Abduction"]]\n', encoding="utf-8")
    assert load_settings(config).subtype_groups == (("Attack", "Abduction"),)
    config.write_text('[incidents]\nsubtype_groups = ["Attack"]\n', encoding="utf-8")
    with pytest.raises(UsageError, match="groups of sub-types must be lists of names"):
        load_settings(config)
    config.write_text("[incidents]\nwindow = 3\n", encoding="utf-8")
    with pytest.raises(UsageError, match="unknown \\[incidents\\] setting 'window'"):
        load_settings(config)


def test_linking_reads_only_the_window_of_a_new_report(db_path: Path) -> None:
    """The cost of linking does not grow with the warehouse: candidates are the events of
    the new report's country within the window, however many others are stored."""
    from datetime import UTC, datetime, timedelta

    from tasks.models import Article, Event, ExtractedArticle
    from tasks.store import store_batch
    from warehouse.candidates import candidate_reports
    from warehouse.db import connect
    from warehouse.runs import start_run

    start = date(2024, 1, 1)
    items = []
    for n in range(300):  # 300 articles: other countries, other months
        day = start + timedelta(days=n % 200)
        country = ("NGA", "MLI", "SYR")[n % 3]
        text = f"Gunmen killed {n + 2} people in an attack on a market, police said."
        article = Article("file", f"a{n}.txt", text, published_at=datetime(2024, 1, 1, tzinfo=UTC))
        event = Event("ASSAULT", "Violence against civilians", "Attack", country=country)
        event.event_date, event.char_start = day, 0
        items.append(ExtractedArticle(article, [event], "v1"))
    start_run(db_path, "seed", "test", {})
    store_batch(db_path, "seed", items)
    day = date(2024, 3, 1)
    new: dict[str, Any] = {"event_id": "new", "country": "MLI", "event_date": day}
    with connect(db_path, read_only=True) as con:
        found = candidate_reports(con, [new], window_days=7)
    assert found  # the window holds some of them...
    assert all(r["country"] == "MLI" for r in found)  # ...of one country...
    assert all(abs((r["event_date"] - day).days) <= 7 for r in found)  # ...and week
    dated = [(x.events[0].country, x.events[0].event_date) for x in items]
    expected = len([c for c, d in dated if c == "MLI" and d and abs((d - day).days) <= 7])
    assert len(found) == expected < 100 / 5  # of the 100 Malian events, those within a week


def test_a_report_giving_only_the_country_joins_one_incident_never_one_of_two() -> None:
    """A report with only a country, a day after an attack, joins it when it is the one
    attack it could be; with attacks in two towns that day it is ambiguous: its own."""
    base = {
        "acled_event_type": "Violence against civilians",
        "acled_sub_event_type": "Attack",
        "actor1_country": "BFA",
        "country": "BFA",
        "admin1": "Est",
        "geo_precision": "point",
        "event_date": "2024-10-09",
        "published_at": "2024-10-10",
    }
    fada = _report({**base, "location": "Fada", "latitude": 12.06, "longitude": 0.36}, "e1", "a1")
    pama = _report({**base, "location": "Pama", "latitude": 11.25, "longitude": 0.7}, "e2", "a2")
    vague = _report(
        {
            **base,
            "admin1": None,
            "location": "Burkina Faso",
            "geo_precision": "country",
            "latitude": None,
            "longitude": None,
            "event_date": "2024-10-10",
            "published_at": "2024-10-11",
        },
        "e3",
        "a3",
    )
    held = [{**fada, "incident_id": "inc-fada"}]
    (alone,) = plan_links([vague], held).links
    assert alone["incident_id"] == "inc-fada" and "the only one near" in alone["reason"]
    (ambiguous,) = plan_links([vague], [*held, {**pama, "incident_id": "inc-pama"}]).links
    assert ambiguous["incident_id"] not in ("inc-fada", "inc-pama")
    assert ambiguous["reason"] == "new"


def _clash(where: dict[str, Any], actor: str, canonical: str, event_id: str) -> dict[str, Any]:
    fields = {
        "acled_event_type": "Battles",
        "acled_sub_event_type": "Armed clash",
        "actor1": actor,
        "actor1_canonical": canonical,
        "event_date": "2025-05-12",
        "published_at": "2025-05-13",
        **where,
    }
    return _report(fields, event_id, "art-" + event_id)


def test_a_report_with_no_country_joins_the_one_incident_its_actor_fits_never_one_of_two() -> None:
    """A clash whose text named no country the coder knew may be of an incident in any
    country: it joins the one of its day its first actor fits, and is ambiguous (its own
    incident) with two; the other way round, a report with a country joins the one such
    report's incident. Of several, the one with its sub-type decides."""
    town = {"admin1": "Northwest", "location": "Bamenda", "geo_precision": "point"}
    cameroon = _clash(
        {**town, "country": "CMR"}, "separatists", "Unidentified Armed Group (Cameroon)", "e1"
    )
    nigeria = _clash(
        {"country": "NGA", "admin1": "Borno", "location": "Bama", "geo_precision": "point"},
        "gunmen",
        "Unidentified Armed Group (Nigeria)",
        "e2",
    )
    nowhere = _clash({"country": None}, "separatist fighters", "separatist fighters", "e3")
    held = [{**cameroon, "incident_id": "inc-cmr"}]
    (alone,) = plan_links([nowhere], held).links
    assert alone["incident_id"] == "inc-cmr" and "the only one near" in alone["reason"]
    (back,) = plan_links([cameroon], [{**nowhere, "incident_id": "inc-none"}]).links
    assert back["incident_id"] == "inc-none"
    both = [*held, {**nigeria, "incident_id": "inc-nga"}]
    (ambiguous,) = plan_links([nowhere], both).links
    assert ambiguous["reason"] == "new"
    attack = {**nigeria, "acled_event_type": "Violence against civilians"}
    attack["acled_sub_event_type"] = "Attack"
    (by_kind,) = plan_links([nowhere], [*held, {**attack, "incident_id": "inc-nga"}]).links
    assert by_kind["incident_id"] == "inc-cmr"
    army = _clash({"country": None}, "the army", "Military Forces of Chad", "e4")
    (other_actor,) = plan_links([army], held).links
    assert other_actor["reason"] == "new"


def test_a_report_with_no_country_reads_acts_of_every_country_near_its_day(db_path: Path) -> None:
    """Candidates of a report with a place but no country: acts with a place of any
    country within `near_days` of its day; of a report with a country: its country's
    and the acts with a place but no country (not verbal acts) of its window."""
    from datetime import UTC, datetime, timedelta

    from tasks.models import Article, Event, ExtractedArticle
    from tasks.store import store_batch
    from warehouse.candidates import candidate_reports
    from warehouse.db import connect
    from warehouse.runs import start_run

    day = date(2024, 3, 1)
    stored = [  # (country, physical, days from `day`)
        ("NGA", True, 0),
        ("MLI", True, 1),
        ("MLI", True, 5),
        (None, True, 0),
        (None, False, 0),
    ]
    items = []
    for n, (country, physical, gap) in enumerate(stored):
        text = f"Report {n}: gunmen attacked a village, officials said."
        article = Article("file", f"c{n}.txt", text, published_at=datetime(2024, 3, 1, tzinfo=UTC))
        if physical:
            event = Event("ASSAULT", "Violence against civilians", "Attack", country=country)
        else:
            event = Event("ACCUSE", country=country)
        event.event_date, event.char_start = day + timedelta(days=gap), 0
        items.append(ExtractedArticle(article, [event], "v1"))
    start_run(db_path, "seed", "test", {})
    store_batch(db_path, "seed", items)
    nowhere: dict[str, Any] = {
        "event_id": "new",
        "country": None,
        "acled_event_type": "Violence against civilians",
        "event_date": day,
    }
    mali = {**nowhere, "country": "MLI"}
    with connect(db_path, read_only=True) as con:
        anywhere = candidate_reports(con, [nowhere], window_days=7, near_days=1)
        in_mali = candidate_reports(con, [mali], window_days=7, near_days=None)
    found = {(r["country"], r["acled_event_type"] is not None) for r in anywhere}
    assert found == {("NGA", True), ("MLI", True), (None, True), (None, False)}
    assert all(abs((r["event_date"] - day).days) <= 1 for r in anywhere)
    assert sorted((r["country"] or "", r["event_date"].day) for r in in_mali) == [
        ("", 1),
        ("MLI", 2),
        ("MLI", 6),
    ]
