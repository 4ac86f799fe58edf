"""`eventpipe serve` and `maintain`: the plan read from config, a real Prefect server
scheduling a real run, and the nightly maintenance flow re-coding stale articles."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from flows.serve import (
    RUNNER_STATE_LOGGER,
    RunDeletedBeforeStart,
    deployments,
    describe,
    plan,
    quiet_deleted_runs,
)
from tasks.errors import EventpipeError

from .conftest import SEED_FILE
from .test_durability import rows


def write_config(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "serve.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_the_plan_takes_the_shortest_feed_interval_and_the_watched_folders(
    tmp_path: Path,
) -> None:
    config = write_config(
        tmp_path,
        """
[serve]
watch_folders = ["inbox"]
folders_every_minutes = 5

[[feeds]]
url = "https://example.org/a.xml"
interval_minutes = 45

[[feeds]]
url = "https://example.org/b.xml"
interval_minutes = 20
""",
    )
    p = plan(config, str(tmp_path / "w.duckdb"))
    assert p.feeds_every == timedelta(minutes=20)
    assert p.folders == [str((tmp_path / "inbox").resolve())]
    assert [describe(d) for d in deployments(p)] == [
        "ingest-feeds/feeds: every 20 min",
        "ingest-files/folders: every 5 min",
        "maintenance/nightly: cron 0 3 * * * (UTC)",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[serve]\nfeeds_every = 3\n", "unknown \\[serve\\] setting"),
        ("[serve]\nfolders_every_minutes = 0\n", "positive number of minutes"),
        ("[serve]\nwatch_folders = 'inbox'\n", "must be a list of paths"),
        ("[serve\n", "cannot read config"),
    ],
)
def test_a_bad_serve_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(EventpipeError, match=message):
        plan(write_config(tmp_path, text), None)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_maintenance_recodes_articles_of_an_older_coder_once(db_path: Path) -> None:
    from flows.ingest import ingest_files
    from flows.maintenance import export_path_for, maintenance
    from tasks.extract import EXTRACTOR_VERSION

    ingest_files([str(SEED_FILE)], db=str(db_path))
    con = duckdb.connect(str(db_path))  # pretend an older coder stored it
    con.execute("UPDATE codings SET extractor_version = 'rules-0.0.1'")
    con.execute("UPDATE events SET extractor_version = 'rules-0.0.1', event_id = 'old' || event_id")
    con.close()
    before = rows(db_path, "SELECT count(*) FROM events")[0][0]

    first = maintenance(db=str(db_path))
    again = maintenance(db=str(db_path))
    assert (first.counts.articles_seen, again.counts.articles_seen) == (1, 0)
    assert first.counts.events_stored == before  # the same coder finds the same events
    assert rows(db_path, "SELECT count(*) FROM events") == [(2 * before,)]  # appended
    assert rows(db_path, "SELECT DISTINCT extractor_version FROM events_view") == [
        (EXTRACTOR_VERSION,)
    ]
    exported = export_path_for(str(db_path))
    assert first.exported_events == before and exported.exists()
    parquet = duckdb.connect().execute(f"SELECT count(*) FROM '{exported}'").fetchall()
    assert parquet == [(before,)]


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_claiming_a_run_deleted_before_it_started_is_one_line_not_a_traceback() -> None:
    """What `serve`'s runner does with a scheduled run that a pause deleted after it fetched
    it: Prefect's own claim (propose Pending) gets a 404 for that run."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.runner._state_proposer import StateProposer

    gone = FlowRun(id=uuid.uuid4(), flow_id=uuid.uuid4())

    async def claim() -> bool:
        async with get_client() as client:
            return await StateProposer(client=client).propose_pending(gone)

    logger = logging.getLogger(RUNNER_STATE_LOGGER)
    kept = _Kept()
    logger.addHandler(kept)
    try:
        quiet_deleted_runs()
        quiet_deleted_runs()  # once is enough, twice installs one filter
        assert sum(isinstance(f, RunDeletedBeforeStart) for f in logger.filters) == 1
        assert asyncio.run(claim()) is False
    finally:
        logger.removeHandler(kept)
        for f in [f for f in logger.filters if isinstance(f, RunDeletedBeforeStart)]:
            logger.removeFilter(f)
    (record,) = kept.records
    assert (record.levelno, record.exc_info) == (logging.INFO, None)
    assert record.getMessage() == (
        f"Skipped flow run '{gone.id}': deleted before it started (deployment paused?)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A server or a warehouse too busy to answer yet (a request timing out, the file held by a
# served run) is "not yet", never a failure: only the deadline decides.
BUSY = (httpx.TransportError, duckdb.IOException)


def wait_until(check: Callable[[], bool], timeout: float, what: str | Callable[[], str]) -> None:
    """Poll `check` every half second until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except BUSY:
            pass
        time.sleep(0.5)
    raise AssertionError(
        f"timed out after {timeout} s waiting for {what if isinstance(what, str) else what()}"
    )


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Deadlines are upper bounds only (a pass never waits them out), sized for a 2-core machine
# shared with other builds: a full-suite run under a load of 15-20 took 220 s for this test.
API_TIMEOUT_S = 30
SERVER_READY_S = 120
FIRST_RUN_S = 300
FINAL_STATE_S = 60
SETTLED_S = 180
STOP_S = 60
# Prefect's state types of a run that is still to start or still going.
NOT_FINAL = ("SCHEDULED", "PENDING", "RUNNING", "CANCELLING")


def _children(pid: int) -> list[str]:
    """The live child processes of `pid` (Linux /proc): serve's flow-run processes."""
    found: list[str] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += (task / "children").read_text().split()
        except OSError:  # the thread ended while we looked
            continue
    return found


@pytest.mark.slow
def test_a_real_prefect_server_schedules_a_served_run_whose_rows_appear(tmp_path: Path) -> None:
    """Every wait is on an observable state with a deadline, and the teardown order is
    fixed: pause (no new runs), every run final and its process gone, then stop `serve`,
    then the server (so the runner never asks a stopped server, or for a deleted run)."""
    bin_dir = Path(sys.executable).parent
    prefect = shutil.which("prefect", path=str(bin_dir))
    eventpipe = shutil.which("eventpipe", path=str(bin_dir))
    assert prefect and eventpipe
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for source in (SEED_FILE, SEED_FILE.with_suffix(".meta.json")):
        shutil.copy(source, inbox / source.name)
    # Every 15 s: soon enough for a test, rare enough that runs (a fresh process each,
    # 6-20 s on a busy 2-core machine) seldom overlap. `serve` sets no process limit.
    config = write_config(
        tmp_path, '[serve]\nwatch_folders = ["inbox"]\nfolders_every_minutes = 0.25\n'
    )
    db = tmp_path / "wh" / "events.duckdb"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "1",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=(logs / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    served = None

    def alive(proc: subprocess.Popen[bytes], log: str) -> bool:
        """True, or fail now with the process's log (not later, at a deadline)."""
        if proc.poll() is not None:
            tail = (logs / log).read_text(errors="replace")[-3000:]
            raise AssertionError(f"{log}: exited with {proc.returncode}\n{tail}")
        return True

    def runs(*states: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": list(states)}}}},
            timeout=API_TIMEOUT_S,
        ).json()
        return found

    try:
        wait_until(
            lambda: alive(server, "server.log") and _healthy(api), SERVER_READY_S, "the server"
        )
        served = subprocess.Popen(
            [eventpipe, "serve", "--config", str(config), "--db", str(db)],
            env=env,
            stdout=(logs / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        serving = served

        def completed() -> bool:
            alive(serving, "serve.log")
            if not db.exists():
                return False
            return bool(rows(db, "SELECT count(*) FROM flow_runs WHERE status = 'completed'")[0][0])

        wait_until(completed, FIRST_RUN_S, "a scheduled run to complete")
        assert rows(db, "SELECT count(*) FROM articles") == [(1,)]
        assert rows(db, "SELECT count(*) > 5 FROM events") == [(True,)]
        (flow_name,) = rows(db, "SELECT DISTINCT flow_name FROM flow_runs")[0]
        assert flow_name == "ingest-files"

        # Our runs table is written inside the flow; Prefect records the run's final state
        # after the flow function returns.
        wait_until(
            lambda: any(r["deployment_id"] for r in runs("COMPLETED")),
            FINAL_STATE_S,
            "Prefect to record the deployment's run completed",
        )

        def settled() -> bool:
            """Every served deployment paused, no run waiting or going, no run process left.

            Pausing deletes a deployment's scheduled runs (the nightly one's too: near
            03:00 UTC it would start); it is repeated (it is idempotent) in case a scheduler
            pass begun before the first pause inserted runs after it. A run `serve` had
            picked up and a pause deleted is logged by `serve` as one line (flows/serve.py);
            a run already claimed finishes: nothing is cut short.
            """
            alive(serving, "serve.log")
            listed = httpx.post(f"{api}/deployments/filter", json={}, timeout=API_TIMEOUT_S)
            for deployment in listed.json():
                paused = httpx.post(
                    f"{api}/deployments/{deployment['id']}/pause_deployment",
                    timeout=API_TIMEOUT_S,
                )
                assert paused.status_code < 300, paused.text
            left[:] = [
                *(f"{r['name']}: {r['state_name']}" for r in runs(*NOT_FINAL)),
                *(f"process {pid}" for pid in _children(serving.pid)),
            ]
            return not left

        left: list[str] = ["not looked yet"]
        wait_until(settled, SETTLED_S, lambda: f"the paused deployments' runs to end: {left}")
    finally:
        if served is not None:
            _stop(served)  # before the server: the runner's shutdown talks to it
        _stop(server)
    text = (logs / "serve.log").read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert served is not None and served.returncode == 0, text[-3000:]  # a clean stop


def test_the_production_prefect_yaml_names_real_flows_and_valid_schedules() -> None:
    import importlib

    import yaml
    from prefect import Flow

    from .conftest import ROOT

    spec = yaml.safe_load((ROOT / "flows" / "prefect.yaml").read_text(encoding="utf-8"))
    names = []
    for deployment in spec["deployments"]:
        path, attr = deployment["entrypoint"].split(":")
        assert (ROOT / path).exists()
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, attr), Flow)
        (schedule,) = deployment["schedules"]
        assert schedule.get("interval", 0) > 0 or len(schedule["cron"].split()) == 5
        assert deployment["work_pool"]["name"] == "eventpipe"
        names.append(deployment["name"])
    assert names == ["feeds", "nightly"]
