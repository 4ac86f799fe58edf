"""A PostgreSQL-catalog DuckLake stays whole when a writer is SIGKILLed mid-batch.

The real `eventpipe ingest` runs in a child process whose writer is held, as in
tests/test_durability.py, right after it has inserted a batch's rows and its run row
and before its COMMIT; the child is then SIGKILLed. What the lake is left with, what a
re-run of the same input stores, and what `eventpipe maintain` deletes are asserted.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks import store
from warehouse import lake
from warehouse.db import connect
from warehouse.query import run_query

from . import pg
from .conftest import FIXTURES, ROOT
from .test_cli import run_cli
from .test_ducklake import ORPHANS, PUBLISHED, _ingest, _state
from .test_durability import FIRST_BATCHES_S

BATCH = 30  # articles a batch: more than DuckLake inlines (10 rows), so Parquet is written
HELD_BATCH = 2  # the batch the writer is killed in: one committed batch stands before it
# The real command, its writer held after the held batch's inserts, before its COMMIT.
HELD_WRITER = f"""
import sys, time
from warehouse import writer
original = writer.record_batch
def hold(con, run_id, batch_id, started_at, counts):
    original(con, run_id, batch_id, started_at, counts)
    if batch_id.endswith("/b{HELD_BATCH:05d}"):
        print("WRITING", batch_id, flush=True)
        time.sleep(600)
writer.record_batch = hold
from flows.cli import main
sys.argv = ["eventpipe", *sys.argv[1:]]
main()
"""
TABLES_WITH_RUN_ID = ("articles", "events", "codings", "incident_links", "settled_inputs")
DAY_S = 24 * 3600


def _inputs(folder: Path) -> int:
    folder.mkdir()
    texts = [
        json.loads(line)["text"]
        for name in ("cases.jsonl", "dev2_cases.jsonl", "dev3_cases.jsonl")
        for line in (FIXTURES / "extract" / name).read_text(encoding="utf-8").splitlines()
    ]
    for i, text in enumerate(texts):
        (folder / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    return len(texts)


def _one(db: str, sql: str) -> object:
    return run_query(sql, db).rows[0][0]


@pytest.mark.slow
def test_sigkill_mid_batch_on_a_postgres_lake_leaves_nothing_of_the_batch(
    tmp_path: Path, pg_server: str
) -> None:
    folder = tmp_path / "in"
    n = _inputs(folder)
    assert n > HELD_BATCH * BATCH
    db = f"ducklake:postgres:{pg.new_database(pg_server, 'killed')}"
    data = tmp_path / "files"
    args = ["ingest", str(folder), "--db", db, "--data-path", str(data)]
    args += ["--batch-size", str(BATCH), *PUBLISHED]
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "p")}
    proc = subprocess.Popen(
        [sys.executable, "-c", HELD_WRITER, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its pool and Prefect's server: ended with it below
    )
    try:
        assert proc.stdout is not None
        started = time.monotonic()
        line = proc.stdout.readline()
        while line and not line.startswith("WRITING"):
            line = proc.stdout.readline()
        assert line, proc.communicate(timeout=60)[1][-3000:]
        assert time.monotonic() - started < FIRST_BATCHES_S
        killed = line.split()[1]
        run_id = killed.rsplit("/", 1)[0]
        # Held mid-batch: its rows are inserted in its open transaction, unseen by readers.
        assert _one(db, "SELECT count(*) FROM articles") == BATCH
        assert _one(db, f"SELECT count(*) FROM runs WHERE run_id = '{killed}'") == 0
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.communicate()

    # Nothing of the killed batch; the batch before it stands; the run is left 'running'.
    for table in TABLES_WITH_RUN_ID:
        assert _one(db, f"SELECT count(*) FROM {table} WHERE run_id = '{killed}'") == 0, table
    assert _one(db, "SELECT count(*) FROM articles") == BATCH
    assert run_query(ORPHANS, db).rows == [(0,)]
    assert run_query(
        f"SELECT run_id, status FROM runs WHERE '{run_id}' IN (run_id, parent_run_id)"
        " ORDER BY run_id",
        db,
    ).rows == [(run_id, "running"), (f"{run_id}/b00001", "completed")]
    # The killed batch's Parquet files were written before its commit: no commit has them.
    with connect(db) as con:
        left = lake.delete_orphaned_files(con, 0, dry_run=True)
    assert len(left) >= 2 and all(Path(p).is_file() for p in left)

    # The same input again: the killed run is marked crashed, and everything is stored
    # once, as one clean run of one writer stores it.
    _ingest(db, None, folder, "--batch-size", str(BATCH), *PUBLISHED, home=tmp_path / "p")
    assert run_query(f"SELECT status FROM runs WHERE run_id = '{run_id}'", db).rows == [
        ("crashed",)
    ]
    reference = str(tmp_path / "clean.duckdb")
    _ingest(reference, None, folder, "--batch-size", str(BATCH), *PUBLISHED, home=tmp_path / "p")
    want = _state(reference)
    assert len(want["articles"]) == n and want["events"]  # type: ignore[arg-type]
    assert _state(db) == want
    assert _one(db, "SELECT count(*) - count(DISTINCT article_id) FROM articles") == 0
    assert _one(db, "SELECT count(*) - count(DISTINCT event_id) FROM events") == 0

    # `maintain` deletes the unreferenced files a day old, keeps a younger one (a live
    # writer's, as far as it can tell), and every committed row stays readable.
    aged, young = left[:-1], left[-1]
    for path in aged:
        os.utime(path, (time.time() - 2 * DAY_S,) * 2)
    done = run_cli(
        *("maintain", "--db", db, "--no-recode", "--no-export", "--no-report"),
        env={"PREFECT_HOME": str(tmp_path / "p")},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"deleted {len(aged)} data files" in done.stdout, done.stdout
    assert not any(Path(p).exists() for p in aged) and Path(young).is_file()
    assert _state(db) == want


# A writer that dies after writing 50 rows in its open transaction, before its COMMIT.
DIES_BEFORE_COMMIT = """
import os, sys
from warehouse.db import connect
with connect(sys.argv[1]) as con:
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "INSERT INTO runs (run_id, flow_name, started_at, status)"
        " SELECT 'r' || i, 'test', now(), 'completed' FROM range(50) t(i)")
    os._exit(0)
"""


def test_maintenance_deletes_only_day_old_files_no_commit_references(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"ducklake:sqlite:{tmp_path / 'cat.sqlite'}"
    monkeypatch.setenv(lake.DATA_PATH_ENV, str(tmp_path / "files"))
    with connect(db):
        pass
    for _ in range(2):
        died = subprocess.run(
            [sys.executable, "-c", DIES_BEFORE_COMMIT, db], cwd=ROOT, capture_output=True
        )
        assert died.returncode == 0, died.stderr
    with connect(db) as con:
        left = lake.delete_orphaned_files(con, 0, dry_run=True)
    assert len(left) == 2 and all(Path(p).is_file() for p in left)
    assert store.delete_orphaned_files(db) == []  # both younger than a day: kept
    os.utime(left[0], (time.time() - 2 * DAY_S,) * 2)
    assert store.delete_orphaned_files(db) == [left[0]]
    assert not Path(left[0]).exists() and Path(left[1]).is_file()
    assert _one(db, "SELECT count(*) FROM runs") == 0
    with connect(db_path):
        pass
    assert store.delete_orphaned_files(db_path) == []  # a DuckDB file has no data files
