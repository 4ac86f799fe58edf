"""Tests of the rule-based event extractor (tasks.extract)."""

from __future__ import annotations

import importlib.util
import json
import re
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, get_args

import pytest

import tasks.extract.coder as coder
import tasks.extract.merging as merging
from tasks.extract import EXTRACTOR_VERSION, CodingTimeout, extract_events, predict_cases
from tasks.extract.actors import ActorMention
from tasks.extract.budget import Budget
from tasks.extract.dates import find_dates
from tasks.extract.numbers import find_fatalities, parse_number
from tasks.extract.sentences import split_sentences
from tasks.models import ACLED_SUB_EVENT_TYPES, Event, PloverType

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "extract"
SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SEED = ROOT / "seeds" / "000_8681d12e972c8123.txt"
# Cases labelled by people who never saw the coder and never tuned on: (file, floor on
# event F1, floor on event_date). Measured at rules-0.4.0: blind 0.79 / 1.00 (30 cases),
# blind2 0.80 / 0.93 (40 cases), blind3 0.85 / 0.87 (30 cases, written last, like the
# shared dev cases, and scored once). At rules-0.4.1: blind_summaries 0.91 / 0.98 (40
# conflict-monitor paragraphs) and blind_snippets 0.76 / 1.00 (125 one-sentence snippets,
# five per ACLED sub-type), both written from SCHEMA.md and ACLED's codebook only. At
# rules-0.5.4: blind4 0.87 / 0.93 (30 articles with datelines, relative days and revised
# tolls) and blind_snippets2 0.81 / 1.00 (75 snippets, three per sub-type). At rules-0.5.5:
# blind_summaries2 0.89 / 1.00 (30 paragraphs, 25 countries) and blind_snippets3 0.78 / 1.00
# (75 snippets, three per sub-type, 49 countries) and blind5 0.85 / 0.96 (24 articles, 24
# countries, 131 events), written last.
BLIND_SETS = [
    ("blind_cases.jsonl", 0.7, 0.9),
    ("blind2_cases.jsonl", 0.75, 0.88),
    ("blind3_cases.jsonl", 0.8, 0.82),
    ("blind_summaries.jsonl", 0.87, 0.94),
    ("blind_snippets.jsonl", 0.72, 0.95),
    ("blind4_cases.jsonl", 0.8, 0.88),
    ("blind_snippets2.jsonl", 0.75, 0.95),
    ("blind_summaries2.jsonl", 0.85, 0.95),
    ("blind_snippets3.jsonl", 0.74, 0.95),
    ("blind5_cases.jsonl", 0.8, 0.92),
]


def _cases() -> list[dict[str, Any]]:
    out = []
    for path in sorted(FIXTURES.glob("*.jsonl")):
        if path.name.startswith("dev"):
            continue  # labelled like the shared eval cases: scored by test_dev*_score below
        if path.name == "actors_canonical.jsonl":
            continue  # canonical actor names, with known limits: tests/test_actor_names.py
        if path.name == "places.jsonl":
            continue  # places through the coder, with coordinates: tests/test_places.py
        lines = path.read_text(encoding="utf-8").splitlines()
        out += [json.loads(line) for line in lines if line.strip()]
    return out


def _published(case: dict[str, Any]) -> date | None:
    return date.fromisoformat(case["published"]) if case["published"] else None


def _agrees(event: Event, expected: dict[str, Any]) -> bool:
    """Every expected field equal; a list holds the accepted alternatives (as in gold)."""
    got = event.schema_dict()
    return all(
        got.get(k) in v if isinstance(v, list) else got.get(k) == v for k, v in expected.items()
    )


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_fixture_case(case: dict[str, Any]) -> None:
    events = extract_events(case["text"], _published(case), case.get("title"))
    for expected in case["expect"]:
        assert any(_agrees(e, expected) for e in events), (
            f"no event matches {expected}; got {[e.schema_dict() for e in events]}"
        )
    if "max_events" in case:
        assert len(events) <= case["max_events"], [e.schema_dict() for e in events]
    if "min_events" in case:
        assert len(events) >= case["min_events"], [e.schema_dict() for e in events]
    for forbidden in case.get("forbid_types", []):
        assert all(e.event_type != forbidden for e in events)
    for forbidden in case.get("forbid_subs", []):  # a near miss: the sub-type it is not
        assert all(e.acled_sub_event_type != forbidden for e in events), forbidden


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_provenance_fields(case: dict[str, Any]) -> None:
    text = case["text"]
    for e in extract_events(text, _published(case), case.get("title")):
        assert e.sentence is not None and e.char_start is not None and e.char_end is not None
        assert text[e.char_start : e.char_end] == e.sentence
        assert e.confidence is not None and 0.0 <= e.confidence <= 1.0
        assert e.cameo_code and e.cameo_code.isdigit()
        assert e.event_mode
        assert e.date_precision in {"day", "month", "year", "relative", "unknown"}
        assert e.geo_precision in {"point", "admin1", "country", "unknown"}
        assert e.evidence.get("event_type"), "the trigger words must be kept as evidence"


def _fixture(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_every_acled_sub_event_type_is_reachable() -> None:
    """acled_subtypes.jsonl has a text for each of ACLED's 25 sub-event types (each one
    checked by test_fixture_case); this makes sure none is left out."""
    wanted = set().union(*ACLED_SUB_EVENT_TYPES.values())
    covered = {
        x["acled_sub_event_type"]
        for case in _fixture("acled_subtypes.jsonl")
        for x in case["expect"]
        if "acled_sub_event_type" in x
    }
    assert covered == wanted, wanted - covered


PLOVER_TYPES = set(get_args(PloverType))  # the closed vocabulary in tasks/models.py


def test_every_plover_type_is_produced_with_mode_and_cameo() -> None:
    seen: dict[str, Event] = {}
    for case in _cases():
        for e in extract_events(case["text"], _published(case), case.get("title")):
            seen.setdefault(e.event_type, e)
    assert set(seen) == PLOVER_TYPES, PLOVER_TYPES - set(seen)
    for e in seen.values():
        assert e.event_mode and e.cameo_code and e.cameo_code.isdigit()


@pytest.mark.parametrize("case", _fixture("non_political.jsonl"), ids=lambda c: c["id"])
def test_non_political_text_yields_nothing(case: dict[str, Any]) -> None:
    events = extract_events(case["text"], _published(case), case.get("title"))
    assert events == [], [(e.event_type, e.evidence) for e in events]


def test_evidence_spans_point_into_the_text() -> None:
    text = (
        "Gunmen killed 17 villagers in an attack on Zike in Nigeria's Plateau state on "
        "Monday, the state governor said."
    )
    (e,) = extract_events(text, date(2025, 4, 8))
    for name in ("event_type", "actor1", "location", "event_date", "fatalities"):
        assert e.evidence.get(name), name
        start, end = (int(x) for x in e.evidence[f"{name}_span"].split(":"))
        assert text[start:end] == e.evidence[name], name


def _seed_events() -> list[Event]:
    return extract_events(SEED.read_text(encoding="utf-8"), date(2025, 10, 12))


def test_seed_durand_line_clash() -> None:
    clash = [
        e
        for e in _seed_events()
        if e.event_type == "ASSAULT"
        and e.acled_sub_event_type == "Armed clash"
        and e.fatalities == 12
    ]
    assert clash, "the 12-dead Durand Line clash is missing"
    e = clash[0]
    assert (e.actor1_country, e.actor2_country) == ("AFG", "PAK")
    assert e.event_date == date(2025, 10, 11)
    assert e.acled_event_type == "Battles"


def test_seed_airstrikes_9_october() -> None:
    strikes = [e for e in _seed_events() if e.acled_sub_event_type == "Air/drone strike"]
    assert len(strikes) == 1
    e = strikes[0]
    assert (
        e.actor1_country == "PAK" and e.actor2_country == "PAK" and e.actor2_type == "rebel_group"
    )
    assert e.country == "AFG" and e.event_date == date(2025, 10, 9)
    assert e.acled_event_type == "Explosions/Remote violence"


def test_seed_kunar_and_helmand_are_two_events() -> None:
    admin1 = {e.admin1 for e in _seed_events() if e.event_type == "ASSAULT"}
    assert {"Kunar", "Helmand"} <= admin1


def test_seed_warning_and_visit() -> None:
    events = _seed_events()
    threats = [e for e in events if e.event_type == "THREATEN"]
    assert threats and threats[0].actor1_country == "AFG"
    visits = [e for e in events if e.event_type == "CONSULT" and e.admin1 == "Uttar Pradesh"]
    assert visits, "the Deoband visit is missing"
    v = visits[0]
    assert v.country == "IND" and v.actor1_country == "AFG"
    assert v.latitude is not None and v.longitude is not None
    assert abs(v.latitude - 29.695) < 0.1 and abs(v.longitude - 77.68) < 0.1


def test_deterministic_and_pure() -> None:
    text = SEED.read_text(encoding="utf-8")
    first = [e.as_dict() for e in extract_events(text, date(2025, 10, 12))]
    second = [e.as_dict() for e in extract_events(text, date(2025, 10, 12))]
    assert first == second and first


def test_empty_text_gives_no_events() -> None:
    assert extract_events("") == []
    assert extract_events("   \n ") == []


def test_predict_cases_shape() -> None:
    cases = [
        {
            "id": "a",
            "published": "2025-10-12",
            "title": None,
            "text": SEED.read_text(encoding="utf-8"),
        },
        {"id": "b", "published": None, "title": "Weather", "text": "Rain is expected on Friday."},
    ]
    out = list(predict_cases(cases))
    assert [o["id"] for o in out] == ["a", "b"]
    assert out[1]["events"] == []
    assert out[0]["events"] and all(
        isinstance(e["event_date"], str | None) for e in out[0]["events"]
    )
    assert EXTRACTOR_VERSION.startswith("rules-")


def test_dates_relative_to_published() -> None:
    pub = date(2025, 10, 12)  # a Sunday
    assert find_dates("on Saturday", pub)[0].value == date(2025, 10, 11)
    assert find_dates("on Sunday", pub)[0].value == date(2025, 10, 12)
    assert find_dates("on October 9th", pub)[0].value == date(2025, 10, 9)
    assert find_dates("on December 30", date(2025, 1, 3))[0].value == date(2024, 12, 30)
    assert find_dates("on Saturday", None)[0].value is None
    last_week = find_dates("last week", pub)[0]
    assert last_week.value is None and last_week.text == "last week"
    assert last_week.precision == "relative"
    assert find_dates("late Saturday", pub)[0].value == date(2025, 10, 11)
    assert find_dates("on 9 October 2025", pub)[0].value == date(2025, 10, 9)
    assert find_dates("overnight", pub)[0].value is not None


def test_numbers_and_tolls() -> None:
    assert parse_number("twenty-five") == 25
    assert parse_number("1,200") == 1200
    assert parse_number("a dozen") == 12
    assert find_fatalities("Twelve people were killed and more than 40 wounded") == (
        12,
        "Twelve people were killed",
    )
    assert find_fatalities("at least 5 soldiers were killed")[0] == 5  # type: ignore[index]
    assert find_fatalities("10 to 15 people died")[0] == 10  # type: ignore[index]
    assert find_fatalities("dozens of people were killed") is None
    assert find_fatalities("several soldiers were killed") is None
    assert find_fatalities("three people were wounded") is None
    assert find_fatalities("between 30 and 40 civilians were killed")[0] == 30  # type: ignore[index]
    assert find_fatalities("no one was killed")[0] == 0  # type: ignore[index]
    assert find_fatalities("it killed up to 60 percent of the population") is None
    assert find_fatalities("the blast killed two, police said")[0] == 2  # type: ignore[index]
    twelve = find_fatalities("12 people, including three children, were killed")
    assert twelve is not None and twelve[0] == 12
    both = find_fatalities("Nine soldiers and three civilians were killed")
    assert both is not None and both[0] == 12
    assert find_fatalities("Two dozen soldiers were killed")[0] == 24  # type: ignore[index]
    assert find_fatalities("Eleven people lost their lives")[0] == 11  # type: ignore[index]


def test_sentence_offsets() -> None:
    text = "Gen. Smith arrived at 3 p.m. on Monday. He met U.S. officials!\nNew paragraph here."
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "Gen. Smith arrived at 3 p.m. on Monday.",
        "He met U.S. officials!",
        "New paragraph here.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sents)
    assert [s.paragraph for s in sents] == [0, 0, 1]


def _load_scorer() -> Any:
    path = SHARED_EVAL / "score.py"
    if not path.exists():
        pytest.skip("../shared/eval is not available")
    spec = importlib.util.spec_from_file_location("eventpipe_eval_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def test_scores_on_seed_and_dev() -> None:
    scorer = _load_scorer()
    seed = _read_jsonl(SHARED_EVAL / "seed_case.jsonl")
    seed_metrics = scorer.score(seed, list(predict_cases(seed)))
    assert seed_metrics["event_f1"] >= 0.85, seed_metrics
    dev = _read_jsonl(SHARED_EVAL / "dev_cases.jsonl")
    dev_metrics = scorer.score(dev, list(predict_cases(dev)))
    assert dev_metrics["missing_predictions"] == 0
    assert dev_metrics["event_f1"] >= 0.5, dev_metrics


# Cases labelled like the shared eval cases by annotators who never saw the coder, now
# development data (their failures were read and general rules written for them). The
# floors sit about 0.03 below the scores measured at rules-0.4.0 (in brackets: as each
# set arrived, before any tuning on it).
# dev2: 40 cases, 201 events: event F1 0.885, strict 0.81, fatalities 0.90, date 0.98.
# dev3: 40 wire-style cases with datelines, 227 events, mostly diplomacy: F1 0.79
#   (0.67), strict 0.57, date 0.93 (0.68).
# dev4: 40 cases, a quarter with datelines, 188 events: F1 0.86 (0.735), strict 0.72.
# dev5: 40 cases of local-outlet violence in under-covered places, 195 events: F1 0.83
#   (0.805), strict 0.66, fatalities 0.83 (0.67).
# dev6: 30 cases, 169 events: F1 0.81 (0.785), strict 0.66, fatalities 0.66 (0.50).
LABELLED_FLOORS = {
    "dev2_cases.jsonl": {
        "event_f1": 0.85,
        "strict_f1": 0.78,
        "fatalities": 0.87,
        "event_date": 0.94,
    },
    "dev3_cases.jsonl": {"event_f1": 0.76, "strict_f1": 0.53, "event_date": 0.9},
    "dev4_cases.jsonl": {"event_f1": 0.82, "strict_f1": 0.69, "event_date": 0.9},
    "dev5_cases.jsonl": {"event_f1": 0.8, "strict_f1": 0.62, "fatalities": 0.8},
    "dev6_cases.jsonl": {"event_f1": 0.78, "strict_f1": 0.62, "event_date": 0.9},
}


@pytest.mark.parametrize("name", sorted(LABELLED_FLOORS))
def test_labelled_dev_score(name: str) -> None:
    scorer = _load_scorer()
    cases = _read_jsonl(FIXTURES / name)
    metrics = scorer.score(cases, list(predict_cases(cases)))
    assert metrics["missing_predictions"] == 0
    for key, floor in LABELLED_FLOORS[name].items():
        got = metrics[key] if key in metrics else metrics["field_accuracy"][key]
        assert got >= floor, (key, metrics)


@pytest.mark.parametrize("case", _fixture("dev2_non_political.jsonl"), ids=lambda c: c["id"])
def test_dev2_non_political_yields_nothing(case: dict[str, Any]) -> None:
    """Sport, business, disasters, games and history: no political event (all 30 pass)."""
    events = extract_events(case["text"], _published(case), case.get("title"))
    assert events == [], [(e.event_type, e.evidence) for e in events]


@pytest.mark.parametrize(("name", "min_f1", "min_date"), BLIND_SETS)
def test_blind_cases_score(name: str, min_f1: float, min_date: float) -> None:
    """Cases labelled by someone who never saw the coder: a check that it generalises.

    Never tune on tests/fixtures/blind*_cases.jsonl: read only their scores. The floors
    sit below the measured scores so that a regression fails.
    """
    scorer = _load_scorer()
    cases = _read_jsonl(ROOT / "tests" / "fixtures" / name)
    metrics = scorer.score(cases, list(predict_cases(cases)))
    assert metrics["missing_predictions"] == 0
    assert metrics["event_f1"] >= min_f1, metrics
    assert metrics["field_accuracy"]["event_date"] >= min_date, metrics


@pytest.mark.parametrize(
    ("words", "text", "found"),
    [
        (
            ["kill", "killed", "killing"],
            "killed, kills and killings",
            ["killed", "kill", "killing"],
        ),
        (["air strike", "air"], "an air strike and air power", ["air strike", "air"]),
        (["U.N.", "UN"], "the U.N. and the UN", ["U.N.", "UN"]),
        (["ab", "abc"], "abd", ["ab"]),  # a longer word that fails leaves the shorter one
    ],
)
def test_trie_alternation_matches_longest_word(
    words: list[str], text: str, found: list[str]
) -> None:
    """The trie-shaped alternation finds what the plain longest-first one finds."""
    from tasks.extract.text import trie_alternation

    trie = re.compile(r"\b" + trie_alternation(words))
    plain = re.compile(
        r"\b(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")"
    )
    assert [m.group(0) for m in trie.finditer(text)] == found
    assert [m.group(0) for m in plain.finditer(text)] == found


def test_every_trigger_form_has_a_prescan_key() -> None:
    """A form no literal key can be read off runs on every sentence, and makes every
    sentence look like it has a trigger: the coder then does all its work everywhere
    (half the speed on long pages). Write such forms with plain alternatives."""
    from tasks.extract.lexicon import trigger_keys, triggers

    assert not trigger_keys()[1], [triggers()[i].id for i in trigger_keys()[1]]


def test_trigger_prescan_misses_nothing() -> None:
    """The cheap key-word pre-scan must never hide a trigger the full patterns match."""
    from tasks.extract.candidates import trigger_ids
    from tasks.extract.lexicon import triggers

    texts = [c["text"] for c in _cases()] + [SEED.read_text(encoding="utf-8")]
    texts += [c["text"] for c in _fixture("dev2_cases.jsonl")]
    for text in texts:
        for sent in split_sentences(text):
            ids = trigger_ids(sent.text)
            for i, trig in enumerate(triggers()):
                if trig.pattern.search(sent.text):
                    assert i in ids, (trig.id, sent.text)


CORPUS = SHARED_EVAL.parent / "corpus" / "article-extraction-benchmark" / "ground-truth.json"
# 181 mostly non-political web pages (reviews, business, sport, some politics): rules-0.1.0
# coded 123 events on 45 of them, rules-0.2.0 about 80 on 30 (nearly all real political
# news: Hong Kong and Bolivia protests, US-China trade talks, impeachment hearings).
CORPUS_MAX_EVENTS = 100
CORPUS_MAX_PAGES = 36


def test_benchmark_corpus_stays_quiet() -> None:
    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not available")
    pages = json.loads(CORPUS.read_text(encoding="utf-8"))
    counts = [
        len(extract_events(p.get("articleBody") or "", date(2025, 10, 12))) for p in pages.values()
    ]
    assert sum(counts) <= CORPUS_MAX_EVENTS, sum(counts)
    assert sum(1 for n in counts if n) <= CORPUS_MAX_PAGES


# Long texts for the time-budget and linearity tests: an attack report, a country-level
# strike refined by the next sentence, and a plain arrest.
_PROTEST = "Police arrested ten protesters in Lagos on Monday after a march. "
_REFINED = (
    "India fired missiles at sites in Pakistan on Wednesday. "
    "The strikes hit Bahawalpur and Muzaffarabad, killing eight people. "
)


def test_deadline_already_passed_stops_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_actors(*args: Any, **kwargs: Any) -> list[ActorMention]:
        raise AssertionError("coding went on past its deadline")

    monkeypatch.setattr(coder, "find_actors", no_actors)
    with pytest.raises(CodingTimeout, match="deadline"):
        extract_events(_PROTEST * 20_000, date(2024, 5, 7), deadline=time.monotonic() - 1)


def test_tiny_deadline_stops_a_long_article() -> None:
    # Coding this 1.3 MB text takes seconds; a 20 ms budget stops it within a sentence.
    with pytest.raises(CodingTimeout):
        extract_events(_PROTEST * 20_000, date(2024, 5, 7), deadline=time.monotonic() + 0.02)


def test_generous_deadline_changes_nothing() -> None:
    text = SEED.read_text(encoding="utf-8")
    free = [e.as_dict() for e in extract_events(text, date(2025, 10, 12))]
    timed = extract_events(text, date(2025, 10, 12), deadline=time.monotonic() + 3600)
    assert [e.as_dict() for e in timed] == free


def test_deadline_is_checked_once_per_sentence_in_each_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stages: Counter[str] = Counter()

    def count(self: Budget, stage: str) -> None:
        stages[stage] += 1

    monkeypatch.setattr(Budget, "check", count)
    text = _REFINED * 10 + _PROTEST * 10
    extract_events(text, date(2025, 5, 8), deadline=time.monotonic() + 3600)
    n = len(split_sentences(text))
    assert stages["splitting sentences"] >= n - 1  # once per boundary
    for stage in ("looking for trigger words", "finding actors", "coding sentences"):
        assert stages[stage] == n, stage
    for stage in (
        "finding place names",
        "counting the article's countries",
        "finding the article's first place",
        "attaching references to their events",
        "refining country-level attacks",
        "merging repeated mentions",
        "merging verbal acts",
        "filling events from context",
    ):
        assert stages[stage] >= 1, stage


@pytest.mark.parametrize("unit", [_PROTEST, _REFINED])
def test_refine_and_merge_compare_within_a_window(
    unit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settling repeats compares each mention with a bounded set of earlier events (its
    window of sentences, its place): four times the text, about four times the pairs (a
    rescan of all earlier events would make it sixteen)."""
    pairs: Counter[str] = Counter()
    refines, merges = merging._refines, merging._merges

    def counted_refines(c: Any, k: Any) -> bool:
        pairs["refine"] += 1
        return refines(c, k)

    def counted_merges(k: Any, c: Any) -> bool:
        pairs["merge"] += 1
        return merges(k, c)

    monkeypatch.setattr(merging, "_refines", counted_refines)
    monkeypatch.setattr(merging, "_merges", counted_merges)
    counts = []
    for repeats in (25, 100):
        pairs.clear()
        extract_events(unit * repeats, date(2025, 5, 8))
        counts.append(sum(pairs.values()))
    assert counts[0] > 0
    assert counts[1] <= 4 * counts[0] + 10, counts


def _party(country: str) -> ActorMention:
    return ActorMention(0, 1, country, country, "government", "country")


def test_both_sides_memory_keeps_the_pair_a_full_scan_would_find() -> None:
    """ "both sides" refers to the last party named and the last of another country; the
    coder keeps just those two instead of every party named so far."""
    seq = [_party(c) for c in "AABABBBCCAAAD"]
    for n in range(1, len(seq) + 1):
        recent: list[ActorMention] = []
        coder._remember_parties(recent, seq[:n])
        pair: list[ActorMention] = []
        for m in reversed(seq[:n]):  # the full backward scan the coder used to make
            if all(m.country != p.country for p in pair):
                pair.append(m)
            if len(pair) == 2:
                break
        assert recent == pair[::-1]
        assert all(a is b for a, b in zip(recent, pair[::-1], strict=True))
