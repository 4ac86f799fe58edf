"""`eventpipe explain`: the words behind each field, for a file coded now or a stored article."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console, RenderableType

from flows.explain import explain, explain_file, explain_stored, highlight, render
from tasks.errors import EventpipeError

from .conftest import FIXTURES, SEED_FILE


def rendered(parts: list[RenderableType]) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    for part in parts:
        console.print(part)
    return console.export_text()


def test_a_file_is_coded_now_and_every_event_has_its_trigger_words() -> None:
    x = explain_file(SEED_FILE)
    assert not x.stored and len(x.events) >= 6
    for event in x.events:
        trigger = event.evidence["event_type"]
        assert trigger and trigger.lower() in event.sentence.lower()
    clash = next(e for e in x.events if e.values["fatalities"] == 12)
    assert "killed" in clash.evidence["fatalities"]
    text = rendered(render(x))
    assert "coded now, not stored" in text and "fatalities=12" in text
    assert f"“{clash.evidence['event_type']}”" in text


def test_highlight_underlines_only_words_in_the_sentence() -> None:
    text = highlight("Police arrested ten protesters in Lagos.", {"a": "arrested", "b": "Abuja"})
    assert [(s.start, s.end) for s in text.spans] == [(7, 15)]


def test_a_file_without_text_is_a_clear_error() -> None:
    with pytest.raises(EventpipeError, match="cannot explain .*empty"):
        explain_file(FIXTURES / "bad" / "empty.txt")


def test_unknown_and_short_ids_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(EventpipeError, match="neither a file nor an article id"):
        explain("abc", None)
    with pytest.raises(EventpipeError, match="no warehouse at"):
        explain_stored("0123456789", str(tmp_path / "none.duckdb"))


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_stored_evidence_matches_the_coding_of_the_file(db_path: Path) -> None:
    from flows.ingest import ingest_files

    ingest_files([str(SEED_FILE)], db=str(db_path))
    now = explain_file(SEED_FILE)
    stored = explain(now.article_id[:8], str(db_path))
    assert stored.stored and stored.article_id == now.article_id
    assert len(stored.events) == len(now.events)
    key = lambda e: (e.char_start, e.values["event_type"], str(e.values["location"]))  # noqa: E731
    for a, b in zip(sorted(stored.events, key=key), sorted(now.events, key=key), strict=True):
        assert a.evidence == b.evidence and a.sentence == b.sentence
    assert stored.note == ""


def test_no_offset_rows_are_shown_to_a_reader() -> None:
    x = explain_file(SEED_FILE)
    assert all(not key.endswith("_span") for e in x.events for key in e.evidence)
    assert not any(":" in line and "_span" in line for line in rendered(render(x)).splitlines())


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_an_article_without_events_names_the_coder_that_read_it(
    db_path: Path, tmp_path: Path
) -> None:
    from flows.ingest import ingest_files
    from tasks.extract import EXTRACTOR_VERSION

    quiet = tmp_path / "weather.txt"
    quiet.write_text(
        "Sunny skies are expected across the region this weekend, with light winds and"
        " temperatures a little above the seasonal average, forecasters said.\n",
        encoding="utf-8",
    )
    ingest_files([str(quiet)], db=str(db_path))
    stored = explain(explain_file(quiet).article_id, str(db_path))
    assert stored.events == [] and stored.extractor_version == EXTRACTOR_VERSION
