"""`--runner dask`: the CPU stages on a real Dask LocalCluster give the local run's results."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.runner import RunnerChoice, choose_runner, prepare_runner, split_address
from tasks import clean, coding, parallel
from tasks.errors import EventpipeError, UsageError
from tasks.load import load_paths

from .conftest import FIXTURES, SEED_FILE, SEEDS, SHARED, read_rows, shared_or_skip

# What the command line is given, and what it makes of it: a choice, or a usage error
# (exit 2) whose message holds the words shown.
CHOICES: list[tuple[dict[str, Any], RunnerChoice | str]] = [
    ({}, RunnerChoice("local")),
    ({"kind": "dask"}, RunnerChoice("dask")),
    ({"kind": "DASK", "workers": 3}, RunnerChoice("dask", None, 3)),
    ({"kind": "local", "workers": 2}, RunnerChoice("local", None, 2)),
    (
        {"kind": "dask", "address": "tcp://10.0.0.5:8786"},
        RunnerChoice("dask", "tcp://10.0.0.5:8786"),
    ),
    ({"kind": "dask", "address": "sched:8786"}, RunnerChoice("dask", "sched:8786")),
    ({"kind": "ray"}, "choose one of local, dask"),
    ({"kind": "local", "address": "tcp://h:8786"}, "needs --runner dask"),
    ({"kind": "dask", "address": "tcp://h:8786", "workers": 2}, "sizes a LocalCluster"),
    ({"kind": "dask", "address": "http://h:8786"}, "expected tcp://HOST:PORT"),
    ({"kind": "dask", "address": "tcp://h"}, "expected tcp://HOST:PORT"),
    ({"kind": "dask", "address": "tcp://h:port"}, "expected tcp://HOST:PORT"),
    ({"kind": "dask", "workers": 0}, "at least 1"),
]


@pytest.mark.parametrize(("given", "expected"), CHOICES, ids=[str(g) for g, _ in CHOICES])
def test_runner_choices(
    given: dict[str, Any], expected: RunnerChoice | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVENTPIPE_RUNNER", raising=False)
    monkeypatch.delenv("EVENTPIPE_DASK_ADDRESS", raising=False)
    if isinstance(expected, str):
        with pytest.raises(UsageError, match=expected):
            choose_runner(**given)
    else:
        assert choose_runner(**given) == expected


def test_the_environment_chooses_dask_and_its_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTPIPE_RUNNER", "dask")
    monkeypatch.setenv("EVENTPIPE_DASK_ADDRESS", "tcp://127.0.0.1:8786")
    assert choose_runner(None) == RunnerChoice("dask", "tcp://127.0.0.1:8786")
    assert choose_runner("local") == RunnerChoice("local")  # the address is Dask's alone
    assert split_address("tcp://127.0.0.1:8786") == ("127.0.0.1", 8786)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_at_the_address_is_one_line() -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    with pytest.raises(EventpipeError) as caught:
        prepare_runner(RunnerChoice("dask", address))
    assert not isinstance(caught.value, UsageError)  # exit 1: the cluster is absent
    message = str(caught.value)
    assert f"no Dask scheduler at {address}" in message and "\n" not in message


def test_the_default_path_never_imports_dask() -> None:
    code = (
        "import sys, flows.cli, flows.ingest, flows.live, flows.bench, tasks.steps;"
        "print(sorted(m for m in ('dask', 'distributed', 'prefect_dask') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A real LocalCluster of two worker processes on loopback, as `--workers 2` makes."""
    from distributed import Client

    from flows.runner import start_local_cluster

    with start_local_cluster(2) as cluster, Client(cluster) as client:
        yield client


def _docs() -> list[Any]:
    paths = (
        sorted((FIXTURES / "articles").iterdir())
        + sorted((FIXTURES / "pages").iterdir())
        + [SEED_FILE]
        + sorted((FIXTURES / "bad").iterdir())
    )
    docs, _ = load_paths([p for p in paths if not p.name.lower().endswith(".meta.json")])
    return docs * 2  # enough items to leave the process


@pytest.mark.slow
def test_dask_workers_clean_and_code_exactly_as_one_process(
    dask_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _docs()
    assert len(docs) >= parallel.MIN_PARALLEL_ITEMS
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")  # the pool, if reached, would not start
    # An earlier test in this process may have started the pool: set it aside so
    # the last assertion sees only what this test did (restored afterwards).
    monkeypatch.setattr(parallel, "_pool", None)
    alone = clean.clean_docs(docs)
    coded_alone = coding.code_articles(alone[0])
    with parallel.on_dask(dask_client, "test") as stages:
        on_dask = parallel.map_split(clean.clean_docs, docs)
        coded_on_dask = parallel.map_split(coding.code_articles, alone[0])
    assert on_dask == alone and coded_on_dask == coded_alone
    assert stages.threads == 2 and stages.chunks == 2 * 2 * parallel.CHUNKS_PER_WORKER
    assert sum(len(x.events) for x in coded_on_dask[0]) > 5
    assert parallel._pool is None


def _boom(items: list[int]) -> tuple[list[int], list[int]]:
    raise ValueError(f"bad chunk of {len(items)}")


@pytest.mark.slow
def test_a_stage_error_on_a_worker_comes_back_as_itself(dask_client: Any) -> None:
    with parallel.on_dask(dask_client, "test"), pytest.raises(ValueError, match="bad chunk"):
        parallel.map_split(_boom, list(range(20)))


# --- the real command: the same warehouse either way ----------------------------------

EVENTS = "SELECT * EXCLUDE (run_id, loaded_at) FROM events_view ORDER BY event_id"
INCIDENTS = "SELECT * FROM incidents ORDER BY incident_id"
LINKS = "SELECT * FROM incident_events ORDER BY event_id"
# Each flow run's pid, and how many of its batch runs were recorded by another process.
ONE_WRITER = (
    "SELECT f.pid, count(b.run_id) FILTER (WHERE b.pid = f.pid),"
    " count(b.run_id) FILTER (WHERE b.pid <> f.pid)"
    " FROM runs f LEFT JOIN runs b ON b.parent_run_id = f.run_id"
    " WHERE f.parent_run_id IS NULL GROUP BY f.pid"
)


def _ingest(folder: Path, db: Path, home: Path, *runner: str) -> str:
    from .test_cli import run_cli

    done = run_cli("ingest", str(folder), "--db", str(db), *runner, env={"PREFECT_HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def _same_warehouse(local: Path, dask: Path) -> int:
    events = read_rows(local, EVENTS)
    assert events == read_rows(dask, EVENTS)
    assert read_rows(local, INCIDENTS) == read_rows(dask, INCIDENTS)
    assert read_rows(local, LINKS) == read_rows(dask, LINKS)
    return len(events)


@pytest.mark.slow
def test_dask_runner_stores_the_local_runs_events_and_incidents(
    tmp_path: Path, dask_client: Any
) -> None:
    """The seed and fixture texts and pages: a LocalCluster of two workers, and an existing
    cluster (this test's, by its address), store what the local pool stores."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus, ignore=shutil.ignore_patterns("*.toml"))
    for name in ("articles", "pages"):
        shutil.copytree(FIXTURES / name, corpus / name)
    home = tmp_path / "prefect"
    _ingest(corpus, tmp_path / "local.duckdb", home, "--runner", "local")
    out = _ingest(corpus, tmp_path / "dask.duckdb", home, "--runner", "dask", "--workers", "2")
    (line,) = [x for x in out.splitlines() if x.startswith("cpu stages: Dask at tcp://127.0.0.1:")]
    assert "on 2 worker threads" in line and " 0 chunks" not in line
    assert _same_warehouse(tmp_path / "local.duckdb", tmp_path / "dask.duckdb") > 20
    # A DuckDB file's one writer is the flow process: every batch run is in its pid.
    writers = read_rows(tmp_path / "dask.duckdb", ONE_WRITER)
    assert len(writers) == 1 and writers[0][1] > 0 and writers[0][2] == 0
    address = str(dask_client.scheduler.address)
    out = _ingest(
        corpus, tmp_path / "there.duckdb", home, "--runner", "dask", "--dask-address", address
    )
    assert f"cpu stages: Dask at {address}: " in out
    assert _same_warehouse(tmp_path / "local.duckdb", tmp_path / "there.duckdb") > 20


@pytest.mark.slow
def test_dask_runner_links_the_shared_story_sets_as_the_local_run(tmp_path: Path) -> None:
    sets = shared_or_skip("eval", "incident_sets_dev.jsonl")
    files = tmp_path / "files"
    to_files = SHARED / "eval" / "sets_to_files.py"
    subprocess.run([sys.executable, to_files, sets, files], check=True)
    home = tmp_path / "prefect"
    _ingest(files, tmp_path / "local.duckdb", home)
    out = _ingest(files, tmp_path / "dask.duckdb", home, "--runner", "dask", "--workers", "2")
    assert "cpu stages: Dask" in out
    assert _same_warehouse(tmp_path / "local.duckdb", tmp_path / "dask.duckdb") > 20
    (incidents,) = read_rows(tmp_path / "dask.duckdb", "SELECT count(*) FROM incidents")[0]
    assert incidents > 5


@pytest.mark.slow
def test_a_bad_dask_address_is_one_line_before_any_run(tmp_path: Path) -> None:
    from .test_cli import run_cli

    address = f"tcp://127.0.0.1:{_closed_port()}"
    db = tmp_path / "w.duckdb"
    done = run_cli(
        "ingest", str(SEEDS), "--db", str(db), "--runner", "dask", "--dask-address", address
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: no Dask scheduler at {address}: Connection refused (start one with `dask"
        " scheduler`, or leave out --dask-address for a LocalCluster)"
    ]
    assert not db.exists()  # refused before Prefect started or a run was recorded
    usage = run_cli("ingest", str(SEEDS), "--db", str(db), "--dask-address", address)
    assert usage.returncode == 2 and "needs --runner dask" in usage.stderr


@pytest.mark.slow
def test_dask_runner_reads_fed_pages_as_the_local_run(tmp_path: Path) -> None:
    """ingest-feeds: the pages are read (parsed) on the Dask workers; same warehouse."""
    from .livesite import Reply, SiteServer, write_config
    from .test_cli import run_cli
    from .test_feeds_flow import _rss

    pages = sorted((FIXTURES / "pages").glob("*.html"))
    home = {"PREFECT_HOME": str(tmp_path / "prefect")}
    with SiteServer() as site:
        links = []
        for copy in range(3):  # each page at three addresses: enough pages to leave the process
            for page in pages:
                links.append(f"/{copy}/{page.name}")
                site.routes[links[-1]] = Reply(
                    200, page.read_bytes(), {"Content-Type": "text/html"}
                )
        site.routes["/feed.rss"] = Reply(200, _rss(site.base, links), {"Content-Type": "text/xml"})
        config = write_config(tmp_path / "f.toml", [{"url": site.url("/feed.rss")}])
        outs = {}
        for runner in ("local", "dask"):
            db = tmp_path / f"{runner}.duckdb"
            args = ["ingest-feeds", "--config", str(config), "--db", str(db), "--runner", runner]
            done = run_cli(*args, env=home)
            assert done.returncode == 0, done.stderr
            outs[runner] = done.stdout
    assert len(links) >= parallel.MIN_PARALLEL_ITEMS
    assert "cpu stages: Dask" in outs["dask"] and " 0 chunks" not in outs["dask"]
    assert _same_warehouse(tmp_path / "local.duckdb", tmp_path / "dask.duckdb") > 5
    urls = "SELECT url, source_kind FROM articles ORDER BY url"
    assert read_rows(tmp_path / "local.duckdb", urls) == read_rows(tmp_path / "dask.duckdb", urls)
