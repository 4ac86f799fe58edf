"""`eventpipe serve` and `maintain`: the plan read from config, a real Prefect server
scheduling a real run, and the nightly maintenance flow re-coding stale articles."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from flows.serve import deployments, describe, plan
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_a_real_prefect_server_schedules_a_served_run_whose_rows_appear(tmp_path: Path) -> None:
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
    config = write_config(
        tmp_path, '[serve]\nwatch_folders = ["inbox"]\nfolders_every_minutes = 0.05\n'
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
    try:
        wait_until(lambda: _healthy(api), 90, "the Prefect server")
        served = subprocess.Popen(
            [eventpipe, "serve", "--config", str(config), "--db", str(db)],
            env=env,
            stdout=(logs / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

        def completed() -> bool:
            if served.poll() is not None or not db.exists():
                return False
            return bool(rows(db, "SELECT count(*) FROM flow_runs WHERE status = 'completed'")[0][0])

        wait_until(completed, 150, "a scheduled run to complete")
        assert rows(db, "SELECT count(*) FROM articles") == [(1,)]
        assert rows(db, "SELECT count(*) > 5 FROM events") == [(True,)]
        (flow_name,) = rows(db, "SELECT DISTINCT flow_name FROM flow_runs")[0]
        assert flow_name == "ingest-files"

        def runs(*states: str) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = httpx.post(
                f"{api}/flow_runs/filter",
                json={"flow_runs": {"state": {"type": {"any_": list(states)}}}},
                timeout=10,
            ).json()
            return found

        # Our runs table is written inside the flow; Prefect records the run's final state
        # a moment after the flow function returns.
        wait_until(
            lambda: any(r["deployment_id"] for r in runs("COMPLETED")),
            30,
            "Prefect to record the deployment's run completed",
        )
        # Pause the schedule and let a run it already started finish, so that stopping
        # `serve` below interrupts nothing (a SIGTERM mid-run is tested elsewhere).
        deployment = next(r["deployment_id"] for r in runs("COMPLETED") if r["deployment_id"])
        paused = httpx.post(f"{api}/deployments/{deployment}/pause_deployment", timeout=10)
        assert paused.status_code < 300, paused.text
        wait_until(lambda: not runs("RUNNING", "PENDING"), 60, "the served runs to finish")
    finally:
        if served is not None:
            _stop(served)
        _stop(server)
    text = (logs / "serve.log").read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]


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
