"""Rule-based event extractor ("coder"): news text -> PLOVER/ACLED-style Event records.

Deterministic and model-free: lexicons, dictionaries and the gazetteer live in
``data/``; they are read once, lazily, on the first call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from tasks.extract.assemble import to_events
from tasks.extract.budget import Budget, CodingTimeout
from tasks.extract.coder import build_candidates
from tasks.extract.dateline import dateline_place
from tasks.extract.sentences import mask_dateline
from tasks.models import Event

EXTRACTOR_VERSION = "rules-0.5.6"

__all__ = ["EXTRACTOR_VERSION", "CodingTimeout", "extract_events", "predict_cases"]


def extract_events(
    text: str,
    published: date | None = None,
    title: str | None = None,
    deadline: float | None = None,
) -> list[Event]:
    """Events reported in ``text``; relative dates resolve against ``published``.

    ``deadline`` is a ``time.monotonic()`` value: coding checks it in every pass, at least
    once per sentence, and raises :class:`CodingTimeout` once it has passed (None: no
    limit)."""
    if not text or not text.strip():
        return []
    budget = Budget(deadline)
    cands, lead, countries = build_candidates(mask_dateline(text), published, title, budget)
    return to_events(cands, lead, budget, dateline_place(text), countries)


def predict_cases(cases: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """For each eval case (id, published, title, text) yield its predicted events."""
    for case in cases:
        pub = case.get("published")
        published = date.fromisoformat(pub) if pub else None
        events = extract_events(case.get("text") or "", published, case.get("title"))
        yield {"id": case["id"], "events": [e.schema_dict() for e in events]}
