"""Places through the real coder: each line of fixtures/extract/places.jsonl is a text
whose event must be coded at the expected country, admin1 and coordinates (within 50 km,
as the scorer counts them), and never at a place the text names only as where a speaker
was, or as a word of a landmark's name ("Arc" of the Arc de Triomphe).

A line with ``known_limit`` names a case the coder is known to get wrong and why; it runs
as an expected failure (strict: once the coder gets it right, the mark must go)."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tasks.extract import extract_events
from tasks.extract.namesakes import km

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "extract" / "places.jsonl"
# The scorer's tolerance for coordinates (SCHEMA.md: "within 50 km").
MAX_KM = 50.0
# Endings the scorer ignores when it compares names (SCHEMA.md).
_SUFFIXES = ("province", "state", "region", "governorate", "district", "oblast", "division")


def _cases() -> list[dict[str, Any]]:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _norm(value: object) -> str:
    """A name as the scorer compares it: no case, accents, punctuation or admin suffix."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    text = " ".join(text.split())
    for suffix in _SUFFIXES:
        text = text.removesuffix(" " + suffix)
    return text


def _misses(event: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """The expected fields ``event`` gets wrong (empty: it matches)."""
    wrong: list[str] = []
    for field in ("event_type", "country", "admin1", "location"):
        if field not in expect:
            continue
        want = expect[field] if isinstance(expect[field], list) else [expect[field]]
        if _norm(event.get(field)) not in {_norm(w) for w in want}:
            wrong.append(field)
    if "latitude" in expect:
        lat, lon = event.get("latitude"), event.get("longitude")
        if (
            lat is None
            or lon is None
            or km(lat, lon, expect["latitude"], expect["longitude"]) > MAX_KM
        ):
            wrong.append("coordinates")
    return wrong


def _marks(case: dict[str, Any]) -> list[pytest.MarkDecorator]:
    if case.get("known_limit"):
        return [pytest.mark.xfail(reason=case["known_limit"], strict=True)]
    return []


CASES = [pytest.param(c, id=c["id"], marks=_marks(c)) for c in _cases()]


def test_fixture_is_large_and_varied() -> None:
    cases = _cases()
    assert len(cases) >= 60
    assert len({c["id"] for c in cases}) == len(cases)
    assert len({c["expect"]["country"] for c in cases}) >= 25
    limits = [c for c in cases if c.get("known_limit")]
    assert len(limits) <= len(cases) // 10, "known limits should stay few"


@pytest.mark.parametrize("case", CASES)
def test_place_of_the_event(case: dict[str, Any]) -> None:
    published = date.fromisoformat(case["published"]) if case.get("published") else None
    events = [e.schema_dict() for e in extract_events(case["text"], published, case.get("title"))]
    assert events, "no event coded"
    forbidden = {_norm(f) for f in case.get("forbid_locations", [])}
    for e in events:
        assert _norm(e.get("location")) not in forbidden, f"placed at {e.get('location')}"
    found = [(_misses(e, case["expect"]), e) for e in events]
    best = min(found, key=lambda f: len(f[0]))
    assert not best[0], f"wrong {best[0]}: expected {case['expect']}, got {best[1]}"
