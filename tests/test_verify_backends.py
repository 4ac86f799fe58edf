"""`eventpipe verify-backends`: the same input on a DuckDB file and DuckLakes, compared.

The comparison itself on real warehouses (one batch stored by the real writer into a
file and a SQLite-catalog lake), then the real command on shared pages and story sets
with a PostgreSQL catalog (slow; skipped when ../shared is absent).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.verify import write_sets
from tasks import store
from tasks.errors import UsageError
from tasks.models import Article, Event, ExtractedArticle
from warehouse import lake, runs
from warehouse.compare import differences, is_empty, read_contents

from . import pg
from .conftest import FIXTURES, shared_or_skip
from .test_cli import run_cli


def _store(db: str, run_id: str, text: str, fatalities: int) -> None:
    event = Event("ASSAULT", actor1="Gunmen", country="MLI", fatalities=fatalities)
    runs.start_run(db, run_id, "test", {})
    counts = store.store_batch(
        db, run_id, [ExtractedArticle(Article("file", "a.txt", text), [event], "v1")], []
    )
    runs.finish_run(db, run_id, "completed", counts)


def test_the_same_batch_reads_the_same_and_another_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(lake.DATA_PATH_ENV, str(tmp_path / "files"))
    file_db, lake_db = str(tmp_path / "a.duckdb"), f"ducklake:sqlite:{tmp_path / 'b.sqlite'}"
    for db in (file_db, lake_db):
        _store(db, "one", "Gunmen killed five villagers in Mopti on Monday.", 5)
    want, got = read_contents(file_db), read_contents(lake_db)
    assert want.articles == 1 and len(want.events) == 1 and len(want.incidents) == 1
    assert differences(want, got) == [] and want.orphans == 0
    _store(lake_db, "two", "Gunmen killed seven traders in Gao on Tuesday.", 7)
    found = differences(want, read_contents(lake_db))
    assert found[0] == "articles: 2, not 1"
    assert "events: 2 rows, not 1" in found and "incidents: 2 rows, not 1" in found
    assert sum(line.startswith("  unexpected event: ") for line in found) == 1
    assert not is_empty(lake_db)


def test_story_sets_become_files_with_sidecars(tmp_path: Path) -> None:
    sets = tmp_path / "sets.jsonl"
    sets.write_text(
        '{"id": "s1", "articles": [{"id": "s1-a", "source": "Sahel Wire", "published":'
        ' "2025-02-11", "title": "Ambush", "text": "Gunmen ambushed a convoy."}]}\n\n',
        encoding="utf-8",
    )
    assert write_sets(sets, tmp_path / "out") == 1
    assert (tmp_path / "out" / "s1-a.txt").read_text() == "Gunmen ambushed a convoy."
    assert (tmp_path / "out" / "s1-a.meta.json").read_text() == (
        '{"title": "Ambush", "source": "Sahel Wire", "published": "2025-02-11",'
        ' "url": "https://sahel-wire.example/news/s1-a"}'
    )
    sets.write_text('{"id": "s2"}\n', encoding="utf-8")
    with pytest.raises(UsageError, match="line 1: not a story set"):
        write_sets(sets, tmp_path / "out2")


@pytest.mark.slow
def test_pages_and_story_sets_give_identical_events_and_incidents_on_three_backends(
    tmp_path: Path, pg_server: str
) -> None:
    shared_or_skip("corpus", "article-extraction-benchmark", "html")
    shared_or_skip("eval", "incident_sets_dev.jsonl")
    conninfo = pg.new_database(pg_server, "verify")
    lines, events, incidents = _verify(tmp_path, "--n", "30", "--pg", conninfo)
    assert lines[0].startswith("input: 30 pages (from ") and "story-set articles" in lines[0]
    assert lines[-1] == (
        "events and incidents identical on duckdb file, sqlite lake, postgres lake"
        " (run stamps aside)"
    )
    assert events > 30 and incidents > 0


def _verify(tmp_path: Path, *args: str) -> tuple[list[str], int, int]:
    """Run `verify-backends`; its lines, and the one count of events and of incidents
    that every backend's line gives."""
    done = run_cli(
        *("verify-backends", *args, "--work-dir", str(tmp_path / "w")),
        env={"PREFECT_HOME": str(tmp_path / "p")},
        timeout=900,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    backends = [x for x in lines[1:-1] if not x.startswith("  ")]
    found = [re.search(r"events (\d+)  incidents (\d+)  orphans 0  ", x) for x in backends]
    counts = {m.groups() for m in found if m}
    assert len(counts) == 1 and all(found), lines  # one count of each on every backend
    ((events, incidents),) = counts
    return lines, int(events), int(incidents)


@pytest.mark.slow
def test_story_sets_on_dask_give_the_local_events_and_incidents(tmp_path: Path) -> None:
    """`--dask-workers 2`: a file and a SQLite-catalog lake filled with the stages on a
    LocalCluster (the lake's batches stored by the workers) hold what the local runs do,
    incident ids included. Batches of 10, so several are in flight at once."""
    sets = FIXTURES / "incidents" / "sets_dev2.jsonl"
    args = ("--n", "0", "--sets", str(sets), "--batch-size", "10", "--dask-workers", "2")
    lines, events, incidents = _verify(tmp_path, *args)
    assert lines[-1] == (
        "events and incidents identical on duckdb file, sqlite lake, file, dask, lake, dask"
        " (run stamps aside)"
    )
    assert events > 20 and 0 < incidents < events
