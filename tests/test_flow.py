"""Real Prefect flow runs (temporary local API) into a real DuckDB file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

import warehouse.writer
from flows.ingest import ingest_files
from tasks.errors import WarehouseError

from .conftest import FIXTURES, SEEDS

pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.slow]


def _rows(db: Path, sql: str, *params: object) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params) or None).fetchall()
    finally:
        con.close()


def test_seed_end_to_end(db_path: Path) -> None:
    state = ingest_files([str(SEEDS)], db=str(db_path), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert result.db == str(db_path)
    assert (result.counts.articles_new, result.counts.articles_rejected) == (1, 0)
    assert result.counts.events_stored >= 6

    events = {
        (r[0], r[1], str(r[2]), r[3]): r
        for r in _rows(
            db_path,
            "SELECT event_type, acled_sub_event_type, event_date, coalesce("
            "admin1, location, country), fatalities, actor1_country, actor2_country,"
            " latitude, longitude, country FROM events",
        )
    }
    clash = [r for k, r in events.items() if k[0] == "ASSAULT" and r[4] == 12]
    assert clash and str(clash[0][2]) == "2025-10-11"
    assert (clash[0][5], clash[0][6]) == ("AFG", "PAK")
    strikes = [r for r in events.values() if r[1] == "Air/drone strike"]
    assert strikes and str(strikes[0][2]) == "2025-10-09" and strikes[0][9] == "AFG"
    places = {r[3] for r in events.values() if r[0] == "ASSAULT"}
    assert {"Kunar", "Helmand"} <= places or {"Konar", "Helmand"} <= places
    visit = [r for r in events.values() if r[0] == "CONSULT" and r[9] == "IND"]
    assert visit and abs(visit[0][7] - 29.695) < 0.3 and abs(visit[0][8] - 77.68) < 0.3

    (run,) = _rows(
        db_path,
        "SELECT run_id, status, articles_new, events_stored, finished_at IS NOT NULL, batches"
        " FROM flow_runs",
    )
    assert run == (result.run_id, "completed", 1, result.counts.events_stored, True, 1)
    # Rows carry their batch's run, a child of the flow run, completed with them.
    batch = f"{result.run_id}/b00001"
    assert _rows(db_path, "SELECT DISTINCT run_id FROM events") == [(batch,)]
    assert _rows(db_path, "SELECT parent_run_id, status FROM runs WHERE run_id = ?", batch) == [
        (result.run_id, "completed")
    ]
    (article,) = _rows(
        db_path, "SELECT published_at::DATE::VARCHAR, language, run_id FROM articles"
    )
    assert article == ("2025-10-12", "en", batch)
    # Provenance: each event's evidence sentence is at its offsets in the stored text.
    for text, sentence, start, end in _rows(
        db_path,
        "SELECT a.text, e.sentence, e.char_start, e.char_end FROM events e JOIN articles a"
        " USING (article_id)",
    ):
        assert text[start:end] == sentence


def test_reingest_adds_nothing(db_path: Path) -> None:
    first = ingest_files([str(SEEDS), str(FIXTURES / "articles")], db=str(db_path))
    second = ingest_files([str(SEEDS), str(FIXTURES / "articles")], db=str(db_path))
    assert first.counts.articles_new == 8
    assert (second.counts.articles_new, second.counts.events_stored) == (0, 0)
    assert second.counts.articles_duplicate == 8
    assert _rows(db_path, "SELECT count(*) = count(DISTINCT event_id) FROM events") == [(True,)]
    assert _rows(db_path, "SELECT count(*) FROM articles") == [(8,)]
    assert _rows(db_path, "SELECT status, articles_new FROM flow_runs ORDER BY started_at") == [
        ("completed", 8),
        ("completed", 0),
    ]


def test_bad_input_is_recorded_and_the_rest_stored(db_path: Path, tmp_path: Path) -> None:
    expected = json.loads((FIXTURES / "expectations.json").read_text())
    missing = tmp_path / "not-there.txt"
    result = ingest_files(
        [str(FIXTURES / "articles"), str(FIXTURES / "bad"), str(missing)],
        db=str(db_path),
        batch_size=3,
    )
    reasons = sorted(v for k, v in expected.items() if not k.startswith("_") and v != "article")
    assert sorted(r.reason for r in result.rejections) == sorted([*reasons, "missing"])
    stored = _rows(db_path, "SELECT reason, source FROM rejections ORDER BY ALL")
    assert sorted(r[0] for r in stored) == sorted([*reasons, "missing"])
    assert ("missing", str(missing)) in stored
    assert _rows(db_path, "SELECT count(*) FROM articles") == [(7,)]
    assert _rows(db_path, "SELECT status, articles_rejected, articles_new FROM flow_runs") == [
        ("completed", len(reasons) + 1, 7),
    ]


def test_a_failing_batch_fails_the_run_and_leaves_earlier_batches(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_insert = warehouse.writer._insert

    def disk_full_on_second_batch(con: Any, table: str, rows: Any, keyed: bool = True) -> None:
        real_insert(con, table, rows, keyed)  # the batch's articles go in first...
        if table == "articles" and "kenya" in str(rows.column("source").to_pylist()):
            raise duckdb.IOException("No space left on device")  # ...then the disk fills

    monkeypatch.setattr(warehouse.writer, "_insert", disk_full_on_second_batch)
    files = [str(FIXTURES / "articles" / n) for n in ("sahel_attack.html", "kenya_protest.txt")]
    missing = str(FIXTURES / "nope.txt")
    state = ingest_files([*files, missing], db=str(db_path), batch_size=1, return_state=True)
    assert state.is_failed()
    with pytest.raises(WarehouseError, match="warehouse unchanged"):
        state.result()
    (run,) = _rows(
        db_path, "SELECT status, error LIKE '%No space left%', articles_new FROM flow_runs"
    )
    assert run == ("failed", True, 1)
    assert _rows(db_path, "SELECT source LIKE '%sahel_attack.html' FROM articles") == [(True,)]
    # The first batch (with the missing path's rejection) stays; the failed one left nothing.
    assert _rows(db_path, "SELECT reason FROM rejections") == [("missing",)]
    assert _rows(db_path, "SELECT count(*) FROM articles") == [(1,)]
    assert _rows(db_path, "SELECT count(DISTINCT article_id) FROM events") == [(1,)]


def test_each_run_publishes_a_table_artifact(db_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    result = ingest_files([str(FIXTURES / "articles")], db=str(db_path))
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-files-summary"]))
        )
    mine = [a for a in artifacts if str(a.flow_run_id) == result.run_id]
    assert len(mine) == 1 and mine[0].type == "table"
    data = mine[0].data
    rows: list[dict[str, Any]] = json.loads(data) if isinstance(data, str) else data  # type: ignore[assignment]
    assert rows[-1]["source"] == "TOTAL" and rows[-1]["new"] == 7


def test_hostile_names_and_surrogates_are_stored_and_the_batch_survives(
    db_path: Path, tmp_path: Path
) -> None:
    """Lone surrogates (JSON escapes) and undecodable file names: each input stored, twice over."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    body = b"Police arrested ten protesters in Lagos on Monday after a march."
    fd = os.open(os.fsencode(folder) + b"/bad\xff.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, body)
    os.close(fd)
    lines = [
        {"text": "Police arrested ten protesters in Lagos on Monday after a march. \ud800"},
        {"text": "Soldiers clashed with rebels near Goma on Tuesday.", "title": "T \ud800"},
        {"text": "Troops shelled the border town of Kupiansk on Friday.", "url": "http://x/\udcff"},
    ]
    (folder / "wire.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    (folder / "side.txt").write_text("Rioters burned a police station in Dhaka on Sunday night.")
    (folder / "side.meta.json").write_text(json.dumps({"title": "x\udc80y"}))
    for _ in range(2):  # a re-run reads the same inputs again and must not crash either
        state = ingest_files([str(folder)], db=str(db_path), return_state=True)
        assert state.is_completed()
    sources = {r[0] for r in _rows(db_path, "SELECT source FROM articles")}
    assert str(folder / "bad\\xff.txt") in sources
    # The first JSONL line is the file's text and a replacement character: one text,
    # recorded (with its source) as a near-duplicate of the file's article.
    repeats = {r[0] for r in _rows(db_path, "SELECT source FROM near_duplicates")}
    assert len(sources) == 4 and repeats == {str(folder / "wire.jsonl") + ":1"}
    assert _rows(db_path, "SELECT count(*) FROM rejections") == [(0,)]
    titles = {r[0] for r in _rows(db_path, "SELECT title FROM articles WHERE title IS NOT NULL")}
    assert titles == {"T \ufffd", "x\ufffdy"}
    assert _rows(db_path, "SELECT url FROM articles WHERE url IS NOT NULL") == [
        ("http://x/\ufffd",)
    ]


def _task_names(flow_run_id: str) -> list[str]:
    """The names of the task runs Prefect recorded for one flow run."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)]))
        )
    return sorted(r.name.rsplit("-", 1)[0] for r in runs)


def test_a_rerun_parses_no_copy_of_a_stored_text(db_path: Path, tmp_path: Path) -> None:
    """Byte-different copies of one page (syndication, tracking, ads) are settled once."""
    folder = tmp_path / "copies"
    folder.mkdir()
    page = (FIXTURES / "articles" / "sahel_attack.html").read_text(encoding="utf-8")
    for j in range(4):
        extra = f"<!-- edge {j} --><script>var adSlot = 'slot-{j}';</script></head>"
        (folder / f"copy_{j}.html").write_text(page.replace("</head>", extra) + "\n" * j)
    (folder / "z_blank.html").write_text("<html><body><nav>Home</nav></body></html>")
    # Batches of two: copies 0 and 1 meet in one batch, 2 and 3 find the text stored.
    first = ingest_files([str(folder)], db=str(db_path), batch_size=2)
    c = first.counts
    assert (c.articles_seen, c.articles_new, c.articles_duplicate, c.articles_rejected) == (
        5,
        1,
        3,
        1,
    )
    (article_id,) = _rows(db_path, "SELECT article_id FROM articles")[0]
    settled = _rows(
        db_path,
        "SELECT parse_filename(source), outcome, article_id, reason FROM settled_inputs ORDER BY 1",
    )
    assert settled == [
        ("copy_0.html", "stored", article_id, None),
        ("copy_1.html", "duplicate", article_id, None),
        ("copy_2.html", "duplicate", article_id, None),
        ("copy_3.html", "duplicate", article_id, None),
        ("z_blank.html", "rejected", None, "no_text"),
    ]

    second = ingest_files([str(folder)], db=str(db_path), batch_size=2)
    c = second.counts
    assert (c.articles_seen, c.articles_duplicate, c.articles_new, c.articles_rejected) == (
        5,
        5,
        0,
        0,
    )
    # Every input was skipped by its raw hash: nothing was parsed, coded or written.
    later = {"clean", "skip-stored", "extract-events", "store-batch"}
    assert "skip-stored-inputs" in _task_names(second.run_id)
    assert later & set(_task_names(second.run_id)) == set()
    assert later <= set(_task_names(first.run_id))
    assert _rows(
        db_path, "SELECT batches, articles_duplicate FROM flow_runs WHERE run_id = ?", second.run_id
    ) == [(0, 5)]
    assert _rows(db_path, "SELECT count(*) FROM settled_inputs") == [(5,)]
