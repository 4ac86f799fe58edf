"""Hostile input against whole runs: no input can crash, hang or exhaust a run.

(File-level cases are in test_load_hostile.py; fetch-level in test_fetch_http.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.ingest import ingest_files

from .conftest import read_rows

pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.slow]


_rows = read_rows


def _int_rows(db: Path, sql: str) -> list[tuple[str, int, int]]:
    return [(str(a), int(str(b)), int(str(c))) for a, b, c in _rows(db, sql)]


def test_a_jsonl_file_is_batched_by_lines_like_files(db_path: Path, tmp_path: Path) -> None:
    """100k lines in one transaction held 1.75 GB: a JSONL file's lines are batched."""
    lines = [
        {"text": f"Police arrested {n} protesters in Lagos on Monday after a march.", "id": n}
        for n in range(11, 36)
    ]
    big = tmp_path / "wire.jsonl"
    big.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = ingest_files([str(big)], db=str(db_path), batch_size=10)
    assert (result.counts.articles_seen, result.counts.articles_new) == (25, 25)
    batches = _rows(
        db_path,
        "SELECT articles_seen FROM runs WHERE parent_run_id IS NOT NULL ORDER BY run_id",
    )
    assert [b[0] for b in batches] == [10, 10, 5]


SENTENCE = "Gunmen killed five villagers in Mopti on Monday, officials said. "


def test_coding_past_its_budget_stores_the_article_flagged(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2.2 MB text took 56 s to code and held the run: now it is stored, flagged."""
    from tasks import coding

    long_text = tmp_path / "long.txt"
    long_text.write_text(SENTENCE * 3000, encoding="utf-8")  # ~200 KB: many sentences
    short = tmp_path / "short.txt"
    short.write_text(SENTENCE, encoding="utf-8")
    monkeypatch.setenv(coding.BUDGET_ENV, "0.000001")  # no article can finish
    result = ingest_files([str(tmp_path)], db=str(db_path))
    assert result.counts.articles_new == 2 and result.counts.events_stored == 0
    flags = _rows(db_path, "SELECT flag, events, coded_chars > 0 FROM codings ORDER BY 1")
    assert flags == [("coding_timeout", 0, True), ("coding_timeout", 0, True)]
    assert _rows(db_path, "SELECT status FROM runs WHERE parent_run_id IS NULL") == [("completed",)]


def test_a_text_past_the_cap_is_coded_up_to_a_sentence_end_and_says_so(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks import coding

    monkeypatch.setattr(coding, "MAX_CODED_CHARS", 1000)
    (tmp_path / "long.txt").write_text(SENTENCE * 40, encoding="utf-8")
    ingest_files([str(tmp_path / "long.txt")], db=str(db_path))
    ((flag, chars, length),) = _int_rows(
        db_path,
        "SELECT flag, coded_chars, length(text) FROM codings JOIN articles USING (article_id)",
    )
    assert flag == "truncated" and chars <= 1000 < length
    assert chars % len(SENTENCE) in (0, len(SENTENCE) - 1)  # at a sentence's end


def test_a_run_started_by_a_server_says_when_it_starts_and_ends(
    db_path: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`serve` showed nothing as its runs happened: a run a server started (here the test
    API; the command line prints its own summary instead) logs one line at each end."""
    from flows.runs import CLI_RUN_ENV

    monkeypatch.delenv(CLI_RUN_ENV, raising=False)
    (tmp_path / "a.txt").write_text(SENTENCE, encoding="utf-8")
    capfd.readouterr()
    result = ingest_files([str(tmp_path / "a.txt")], db=str(db_path))
    err = capfd.readouterr().err
    assert f"eventpipe: ingest-files run {result.run_id} started" in err
    assert f"eventpipe: ingest-files run {result.run_id} completed: 1 seen, 1 new" in err
