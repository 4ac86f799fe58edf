"""`--runner dask` into a DuckLake: the workers store their own batches, and the warehouse
holds what the local run stores into a DuckDB file (real LocalCluster, real lakes)."""

from __future__ import annotations

import re
import shutil
import time
from collections import defaultdict
from pathlib import Path

import pytest

from tasks.errors import EventpipeError
from tasks.worker_batch import ingest_batch_unit
from warehouse.query import run_query

from .conftest import FIXTURES, SEEDS
from .test_cli import run_cli
from .test_ducklake import CONSISTENT, EVENT_COLUMNS, ORPHANS, sqlite_lake

# Texts with events and incidents, and the seed: few, to keep the test short (a
# PostgreSQL-catalog lake passed the same checks but added 80 s on a loaded machine),
# in batches small enough for several to be in flight at once.
INPUTS = ("cases.jsonl", "dev2_cases.jsonl")
BATCH_SIZE = "10"
BATCH_RUNS = (
    "SELECT count(*), count(*) FILTER (WHERE status = 'completed'),"
    " count(DISTINCT run_id), count(*) FILTER (WHERE pid <> ("
    "   SELECT pid FROM runs WHERE parent_run_id IS NULL AND run_id = ?))"
    " FROM runs WHERE parent_run_id = ?"
)


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns("*.toml"))
    for name in INPUTS:
        shutil.copy(FIXTURES / "extract" / name, corpus / name)
    return corpus


def _ingest(corpus: Path, db: str, home: Path, *more: str) -> tuple[str, float]:
    started = time.perf_counter()
    args = ["ingest", str(corpus), "--db", db, "--batch-size", BATCH_SIZE, *more]
    done = run_cli(*args, env={"PREFECT_HOME": str(home)}, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    return done.stdout, time.perf_counter() - started


def _partition(db: str) -> list[tuple[str, ...]]:
    """The events grouped by incident, whatever the incidents' ids."""
    groups: dict[str, list[str]] = defaultdict(list)
    for event_id, incident_id in run_query(
        "SELECT event_id, incident_id FROM incident_events ORDER BY event_id", db
    ).rows:
        groups[incident_id].append(event_id)
    return sorted(tuple(g) for g in groups.values())


def _run_id(out: str) -> str:
    found = re.search(r"^run ([0-9a-f-]{36}):", out, re.MULTILINE)
    assert found, out[-800:]
    return found.group(1)


def _check_lake(db: str, out: str, reference: str) -> None:
    """The lake against the local run's file: same events, same incidents and ids;
    every batch stored by a worker and recorded as a completed run of its own."""
    assert "batches parsed, coded and stored by the workers on 2 worker threads" in out
    batches = int(re.search(r": (\d+) batches parsed", out).group(1))  # type: ignore[union-attr]
    events = f"SELECT {EVENT_COLUMNS} FROM events ORDER BY event_id"
    want = run_query(events, reference).rows
    assert len(want) > 50 and run_query(events, db).rows == want
    assert _partition(db) == _partition(reference)
    # The run's stores are chained in input order, so incidents keep the local ids too.
    incidents = "SELECT event_id, incident_id FROM incident_events ORDER BY event_id"
    assert run_query(incidents, db).rows == run_query(incidents, reference).rows
    assert run_query(ORPHANS, db).rows == [(0,)]
    assert run_query(CONSISTENT, db).rows == [(0, 0, 0)]
    once = "SELECT count(*), count(DISTINCT article_id) FROM articles"
    assert run_query(once, db).rows == run_query(once, reference).rows
    run = _run_id(out)
    # As many batch runs as batches, all completed, distinct ids, written by the workers
    # (not the flow process: its pid is the flow run's row's).
    ((count, completed, distinct, by_workers),) = run_query(BATCH_RUNS, db, [run, run]).rows
    assert count == completed == distinct == by_workers == batches > 3
    assert run_query("SELECT status FROM runs WHERE run_id = ?", db, [run]).rows == [("completed",)]


@pytest.mark.slow
def test_dask_workers_store_their_batches_into_a_lake(tmp_path: Path) -> None:
    """Both Dask runs use one LocalCluster of this test's, by its address (one start-up
    less; its workers lack the command's environment, so the data path goes as data)."""
    from distributed import Client

    from flows.runner import start_local_cluster

    corpus = _corpus(tmp_path)
    home = tmp_path / "prefect"
    reference = str(tmp_path / "local.duckdb")
    _, local_s = _ingest(corpus, reference, home)
    db, files = sqlite_lake(tmp_path)
    with start_local_cluster(2) as cluster, Client(cluster) as client:
        dask = ("--runner", "dask", "--dask-address", str(client.scheduler.address))
        out, dask_s, again, again_s = _twice(corpus, db, files, home, dask)
    print(f"seconds: local into a file {local_s:.1f}, dask workers into a lake {dask_s:.1f}")
    _check_lake(db, out, reference)
    assert re.search(r"^run [0-9a-f-]{36}: \d+ seen, 0 new, \d+ duplicate", again, re.M), again
    assert run_query(ORPHANS, db).rows == [(0,)]
    print(f"seconds: the re-run {again_s:.1f}")


def _twice(
    corpus: Path, db: str, files: str, home: Path, dask: tuple[str, ...]
) -> tuple[str, float, str, float]:
    """Ingest into the lake, then again (storing nothing new: every input settled)."""
    out, dask_s = _ingest(corpus, db, home, "--data-path", files, *dask)
    before = run_query("SELECT count(*) FROM articles", db).rows
    again, again_s = _ingest(corpus, db, home, *dask)
    assert run_query("SELECT count(*) FROM articles", db).rows == before
    return out, dask_s, again, again_s


def test_the_worker_function_refuses_a_duckdb_file(tmp_path: Path) -> None:
    """A DuckDB file has one writer, the flow process: a worker never writes to one."""
    db = tmp_path / "events.duckdb"
    with pytest.raises(EventpipeError, match="its one writer is the flow process"):
        ingest_batch_unit(str(db), None, "run", [], [])
    assert not db.exists()


# What a live run leaves besides events: each page's fate and each feed's cursor.
FETCH_LOG = (
    "SELECT kind, url, feed_url, outcome, http_status, article_id IS NOT NULL"
    " FROM fetch_log ORDER BY kind, url"
)
FEEDS = "SELECT feed_url, last_outcome, last_status, entries FROM feeds ORDER BY feed_url"


@pytest.mark.slow
def test_dask_workers_store_fed_and_fetched_pages_into_a_lake(tmp_path: Path) -> None:
    """ingest-feeds and ingest-urls on Dask into a lake: the flow process fetches, the
    workers read, code and store each batch (a feed per batch, so several), and the
    lake holds what the local runs store into a file: events, incident ids, every
    page's fetch outcome and every feed's cursor."""
    from distributed import Client

    from flows.runner import start_local_cluster

    from .livesite import Reply, SiteServer, write_config
    from .test_feeds_flow import _rss

    pages = sorted((FIXTURES / "pages").glob("*.html"))
    home = {"PREFECT_HOME": str(tmp_path / "prefect")}
    with SiteServer() as site:
        feeds = []
        for n in range(3):  # three feeds, each its own batch; each lists every page
            links = [f"/{n}/{page.name}" for page in pages]
            for link, page in zip(links, pages, strict=True):
                site.routes[link] = Reply(200, page.read_bytes(), {"Content-Type": "text/html"})
            links.append(f"/{n}/missing.html")  # a 404: a failed page, recorded
            feed = f"/feed{n}.rss"
            site.routes[feed] = Reply(200, _rss(site.base, links), {"Content-Type": "text/xml"})
            feeds.append({"url": site.url(feed)})
        config = write_config(tmp_path / "f.toml", feeds)
        urls = [site.url(f"/0/{pages[0].name}"), site.url("/nowhere.html")]
        reference = str(tmp_path / "local.duckdb")
        db, files = sqlite_lake(tmp_path)
        with start_local_cluster(2) as cluster, Client(cluster) as client:
            dask = ("--runner", "dask", "--dask-address", str(client.scheduler.address))
            for target, more in ((reference, ()), (db, ("--data-path", files, *dask))):
                for args in (
                    ("ingest-feeds", "--config", str(config), "--batch-size", "1"),
                    ("ingest-urls", *urls, "--config", str(config)),
                ):
                    done = run_cli(*args, "--db", target, *more, env=home, timeout=600)
                    assert done.returncode == 0, done.stderr[-2000:]
                    assert "Traceback" not in done.stderr
                    if target == db and args[0] == "ingest-feeds":
                        assert "batches parsed, coded and stored by the workers" in done.stdout
    events = f"SELECT {EVENT_COLUMNS} FROM events ORDER BY event_id"
    assert len(run_query(events, reference).rows) > 5
    incidents = "SELECT event_id, incident_id FROM incident_events ORDER BY event_id"
    for sql in (events, incidents, FETCH_LOG, FEEDS):
        assert run_query(sql, db).rows == run_query(sql, reference).rows, sql
    outcomes = {row[3] for row in run_query(FETCH_LOG, db).rows}
    assert {"stored", "client_error", "fetched"} <= outcomes, outcomes
    assert run_query(ORPHANS, db).rows == [(0,)]
    assert run_query(CONSISTENT, db).rows == [(0, 0, 0)]
