"""The warehouse stays whole: killed writers, SIGTERM, overlapping runs, readers, bad WALs.

Each test acts once, with real processes (SIGKILL and SIGTERM need them) and
real DuckDB files, then asserts the state the warehouse is left in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tasks import store
from tasks.errors import WarehouseError
from tasks.models import Article, Event, ExtractedArticle
from warehouse import runs
from warehouse.db import connect
from warehouse.lock import WarehouseBusy, writer_lock
from warehouse.snapshot import snapshot_path

from .conftest import FIXTURES, ROOT, SEED_FILE
from .test_cli import EVENTPIPE

# Rows whose run is not a completed run: must be none, at every moment.
ORPHANS = (
    "SELECT count(*) FROM (SELECT run_id FROM articles UNION ALL SELECT run_id FROM events"
    " UNION ALL SELECT run_id FROM rejections)"
    " WHERE run_id NOT IN (SELECT run_id FROM runs WHERE status = 'completed')"
)


# An upper bound only: the CLI boots Prefect's temporary API first (11-12 s idle), and two
# batches took over 120 s once under a load of 25 on the 2-core machine.
FIRST_BATCHES_S = 300


def rows(db: Path, sql: str, deadline_s: float = 30.0) -> list[tuple]:
    """Read-only query from this process, waiting out a writer that holds the file."""
    started = time.monotonic()
    while True:
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.IOException:
            if time.monotonic() - started > deadline_s:
                raise
            time.sleep(0.1)
            continue
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(proc: subprocess.Popen[str], expected: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == expected, proc.stderr.read() if proc.stderr else line


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [EVENTPIPE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def _item(text: str) -> ExtractedArticle:
    event = Event("ASSAULT", actor1="Gunmen", country="MLI", fatalities=5)
    return ExtractedArticle(Article("file", "a.txt", text), [event], "v1")


KILLED_BETWEEN_INSERT_AND_COMMIT = """
import sys, time
from tasks import store
from tasks.models import Article, Event, ExtractedArticle
from warehouse import runs, writer
original = writer.record_batch
def insert_then_hang(*args, **kwargs):
    original(*args, **kwargs)
    print("INSERTED", flush=True)
    time.sleep(300)
writer.record_batch = insert_then_hang
runs.start_run(sys.argv[1], "doomed", "test", {})
event = Event("ASSAULT", actor1="Gunmen", country="MLI", fatalities=5)
article = Article("file", "a.txt", "Gunmen killed five villagers in Mopti on Monday.")
store.store_batch(sys.argv[1], "doomed", [ExtractedArticle(article, [event], "v1")], [])
"""


def test_sigkill_between_insert_and_commit_leaves_nothing_and_the_next_run_finishes(
    db_path: Path,
) -> None:
    proc = child(KILLED_BETWEEN_INSERT_AND_COMMIT, str(db_path))
    wait_for_line(proc, "INSERTED")  # rows inserted, run row written, COMMIT not yet
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert rows(db_path, "SELECT count(*) FROM articles") == [(0,)]
    assert rows(db_path, "SELECT count(*) FROM events") == [(0,)]
    assert rows(db_path, "SELECT run_id, status FROM runs") == [("doomed", "running")]

    runs.start_run(db_path, "next", "test", {})
    counts = store.store_batch(
        db_path, "next", [_item("Gunmen killed five villagers in Mopti on Monday.")], []
    )
    runs.finish_run(db_path, "next", "completed", counts)
    assert counts.articles_new == 1 and counts.events_stored == 1
    assert rows(db_path, "SELECT run_id, status FROM flow_runs ORDER BY started_at") == [
        ("doomed", "crashed"),
        ("next", "completed"),
    ]
    assert rows(db_path, ORPHANS) == [(0,)]


@pytest.mark.slow
def test_sigterm_mid_run_fails_the_run_keeps_whole_batches_and_a_rerun_finishes(
    tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    n = 150
    for i in range(n):
        (folder / f"a{i:03d}.txt").write_text(
            f"Police arrested {i + 2} protesters in Nairobi on Monday (report {i}).",
            encoding="utf-8",
        )
    proc = cli("ingest", str(folder), "--db", str(db_path), "--batch-size", "1")
    # Look under the writer lock, and keep holding it once two batches are in: the run
    # cannot store a third meanwhile, so the SIGTERM lands mid-run however fast it goes.
    with contextlib.ExitStack() as held:
        deadline = time.monotonic() + FIRST_BATCHES_S
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "two batches were not stored in time"
            held.enter_context(writer_lock(db_path))
            if db_path.exists() and rows(db_path, "SELECT count(*) FROM articles")[0][0] >= 2:
                break
            held.close()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "stopped by signal SIGTERM" in stderr, stdout + stderr
    assert "Traceback" not in stderr
    ((status, batches, stored),) = rows(
        db_path, "SELECT status, batches, (SELECT count(*) FROM articles) FROM flow_runs"
    )
    assert status == "failed" and 2 <= stored < n and batches == stored
    assert rows(db_path, ORPHANS) == [(0,)]

    rerun = cli("ingest", str(folder), "--db", str(db_path))
    _, stderr = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, stderr
    assert rows(db_path, "SELECT count(*), count(DISTINCT content_sha256) FROM articles") == [
        (n, n)
    ]
    assert rows(db_path, "SELECT count(*) = count(DISTINCT event_id) FROM events") == [(True,)]
    assert rows(db_path, ORPHANS) == [(0,)]


READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("OPEN", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@pytest.mark.slow
def test_two_ingestions_and_a_long_reader_at_once_all_succeed(db_path: Path) -> None:
    runs.start_run(db_path, "setup", "test", {})  # the file must exist to be read
    reader = child(READER, str(db_path), "6")
    wait_for_line(reader, "OPEN")
    first = cli("ingest", str(SEED_FILE), "--db", str(db_path))
    second = cli("ingest", str(FIXTURES / "articles"), "--db", str(db_path))
    results = [p.communicate(timeout=240) for p in (first, second)]
    reader.wait(timeout=30)
    assert (first.returncode, second.returncode, reader.returncode) == (0, 0, 0), results
    assert all("Traceback" not in out + err for out, err in results)
    # The union: the seed and the 7 fixture articles, each stored once.
    assert rows(db_path, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(8, 8)]
    assert rows(db_path, "SELECT count(*) = count(DISTINCT event_id) FROM events") == [(True,)]
    assert rows(db_path, "SELECT count(*) FROM flow_runs WHERE status = 'completed'") == [(2,)]
    assert rows(db_path, ORPHANS) == [(0,)]


HOLDER = """
import sys, time
from pathlib import Path
from warehouse.lock import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("HELD", flush=True)
    time.sleep(60)
"""


def test_a_writer_past_its_deadline_fails_clearly_naming_the_holder(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = child(HOLDER, str(db_path))
    try:
        wait_for_line(holder, "HELD")
        monkeypatch.setenv("EVENTPIPE_LOCK_TIMEOUT", "0.5")
        with pytest.raises(WarehouseBusy, match=f"locked by process {holder.pid} on "):
            runs.start_run(db_path, "late", "test", {})
    finally:
        holder.kill()
        holder.wait()
    assert not db_path.exists()  # nothing was written while it waited
    runs.start_run(db_path, "late", "test", {})  # the lock dies with its holder
    assert rows(db_path, "SELECT status FROM runs") == [("running",)]


LEAVES_A_WAL = """
import os, sys
from pathlib import Path
from warehouse.db import open_db
con = open_db(Path(sys.argv[1]))
con.execute("SET checkpoint_threshold = '1GB'")
for i in range(20):
    con.execute(
        "INSERT INTO runs (run_id, flow_name, started_at, status)"
        " VALUES (?, 'test', now(), 'completed')", [f"r{i}"])
os._exit(0)  # dies with the file open: the commits are only in the WAL
"""


def _crash_with_a_wal(db: Path) -> Path:
    with connect(db):
        pass
    proc = child(LEAVES_A_WAL, str(db))
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    wal = db.with_name(db.name + ".wal")
    assert wal.stat().st_size > 1000
    return wal


def test_a_truncated_wal_is_replayed_reported_and_kept(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wal = _crash_with_a_wal(db_path)
    whole = wal.read_bytes()
    wal.write_bytes(whole[: len(whole) // 2])
    with caplog.at_level(logging.WARNING, logger="eventpipe.warehouse"), connect(db_path) as con:
        replayed = con.execute("SELECT count(*) FROM runs").fetchone()
    assert replayed is not None and 0 < replayed[0] < 20
    (kept,) = db_path.parent.glob("*.wal.*.kept")
    assert kept.read_bytes() == whole[: len(whole) // 2]
    assert "write-ahead log left by a process" in caplog.text and str(kept) in caplog.text


def test_a_corrupt_wal_is_a_clear_error_and_is_never_discarded(db_path: Path) -> None:
    wal = _crash_with_a_wal(db_path)
    damaged = bytearray(wal.read_bytes())
    for i in range(200, 300):
        damaged[i] ^= 0xFF
    wal.write_bytes(bytes(damaged))
    replay = pytest.raises(WarehouseError, match="write-ahead log could not be replayed")
    with replay, connect(db_path):
        pass
    assert wal.read_bytes() == bytes(damaged)
    (kept,) = db_path.parent.glob("*.wal.*.kept")
    assert kept.read_bytes() == bytes(damaged)


def test_completed_runs_refresh_a_snapshot_that_readers_can_hold(db_path: Path) -> None:
    runs.start_run(db_path, "one", "test", {})
    runs.finish_run(
        db_path, "one", "completed", store.store_batch(db_path, "one", [_item("First.")], [])
    )
    snap = snapshot_path(db_path)
    assert rows(snap, "SELECT count(*) FROM articles") == [(1,)]
    reader = child(READER, str(snap), "30")  # an analyst's long session on the snapshot
    try:
        wait_for_line(reader, "OPEN")
        runs.start_run(db_path, "two", "test", {})
        counts = store.store_batch(db_path, "two", [_item("Second.")], [])
        runs.finish_run(db_path, "two", "completed", counts)
    finally:
        reader.kill()
        reader.wait()
    assert rows(db_path, "SELECT count(*) FROM articles") == [(2,)]
    assert rows(snap, "SELECT count(*) FROM articles") == [(2,)]


def test_a_retried_flow_run_starts_again_under_its_own_id(db_path: Path) -> None:
    """Prefect retries reuse the flow run id: the run restarts, its batches number on."""
    runs.start_run(db_path, "r1", "test", {})
    first = store.store_batch(db_path, "r1", [_item("Gunmen attacked a convoy in Gao.")], [])
    runs.finish_run(db_path, "r1", "failed", first, "boom")
    runs.start_run(db_path, "r1", "test", {})
    second = store.store_batch(db_path, "r1", [_item("Police arrested 40 in Bamako.")], [])
    runs.finish_run(db_path, "r1", "completed", first + second)
    assert rows(db_path, "SELECT status, error, batches FROM flow_runs") == [("completed", None, 2)]
    assert rows(db_path, "SELECT run_id FROM runs WHERE parent_run_id = 'r1' ORDER BY 1") == [
        ("r1/b00001",),
        ("r1/b00002",),
    ]
