"""Bad database locations, analysts' query limits, the run's one deadline, full disks.

Each test reproduces a reported failure with real parts (DuckDB files, the
installed console script, a small tmpfs when mounting is permitted) and
asserts what is left: one line on stderr, the files as they were.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from tasks.errors import QueryFailed, WarehouseError
from warehouse import reads
from warehouse.db import connect
from warehouse.lock import WarehouseBusy
from warehouse.query import QUERY_MEMORY_LIMIT, QUERY_THREADS, run_query

from .conftest import ROOT, SEED_FILE
from .test_cli import run_cli
from .test_durability import _crash_with_a_wal, wait_for_line

# A cross join of 10^16 rows: runs for hours unless stopped.
RUNAWAY = "SELECT count(*) FROM range(100000000) a, range(100000000) b"


def one_error_line(proc: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The single `error: ...` line a failed command printed, after checking it is alone
    (and the exit code: 1 a failure, 2 a usage or configuration error such as a bad --db)."""
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A small tmpfs at `where` (root only); the test is skipped if mounting is refused."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path) -> None:
    """Write zeros into `folder` until its file system has no block left."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)


def _under_a_file(tmp: Path) -> tuple[Path, str]:
    (tmp / "some.html").write_text("<html></html>")
    return tmp / "some.html" / "x.duckdb", "some.html is a file, not a folder"


def _a_folder(tmp: Path) -> tuple[Path, str]:
    (tmp / "dir.duckdb").mkdir()
    return tmp / "dir.duckdb", "is a folder, not a DuckDB file"


def _not_duckdb(tmp: Path) -> tuple[Path, str]:
    (tmp / "page.html").write_text("<html><body>" + "x" * 5000 + "</body></html>")
    return tmp / "page.html", "is not a DuckDB file"


def _empty(tmp: Path) -> tuple[Path, str]:
    (tmp / "empty.duckdb").touch()
    return tmp / "empty.duckdb", "is an empty file, not a DuckDB file"


def _foreign(tmp: Path) -> tuple[Path, str]:
    con = duckdb.connect(str(tmp / "other.duckdb"))
    for name in ("customers", "invoices", "orders"):
        con.execute(f"CREATE TABLE {name} (id INTEGER)")
    con.close()
    return tmp / "other.duckdb", "another program's DuckDB file (3 tables: customers, invoices"


BAD_LOCATIONS: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "under a file": _under_a_file,
    "a folder": _a_folder,
    "not duckdb": _not_duckdb,
    "empty": _empty,
    "foreign duckdb": _foreign,
}


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("case", list(BAD_LOCATIONS))
@pytest.mark.parametrize("via", ["--db", "EVENTPIPE_DB"])
def test_a_bad_database_location_is_one_line_and_changes_nothing(
    tmp_path: Path, case: str, via: str
) -> None:
    bad, problem = BAD_LOCATIONS[case](tmp_path)
    before = _snapshot(tmp_path)
    args, env = (["--db", str(bad)], {}) if via == "--db" else ([], {"EVENTPIPE_DB": str(bad)})
    proc = run_cli("ingest", str(SEED_FILE), *args, env=env, timeout=120)
    line = one_error_line(proc, code=2)
    assert problem in line and str(bad.name) in line
    assert _snapshot(tmp_path) == before  # no lock file, no overwritten header, no tables


def test_query_on_a_file_that_is_not_duckdb_is_one_line(tmp_path: Path) -> None:
    bad, problem = _not_duckdb(tmp_path)
    line = one_error_line(run_cli("query", "SELECT 1", "--db", str(bad)), code=2)
    assert problem in line and str(bad) in line


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    """As root, permissions do not stop a write: a read-only tmpfs stands in for them.

    Not root, a folder without write permission is the case tested instead.
    """
    if os.geteuid() == 0:
        context: contextlib.AbstractContextManager[Path] = tmpfs(tmp_path / "ro", "ro,size=64k")
        problem = "read-only file system"
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        context = contextlib.nullcontext(folder)
        problem = "permission denied"
    with context as folder:
        proc = run_cli("ingest", str(SEED_FILE), "--db", str(folder / "w.duckdb"))
        line = one_error_line(proc, code=2)
    assert f"cannot write in {folder}" in line and problem in line.lower()


@pytest.fixture
def warehouse_db(db_path: Path) -> Path:
    with connect(db_path):
        pass
    return db_path


def test_query_errors_keep_duckdbs_hints(warehouse_db: Path) -> None:
    table = one_error_line(run_cli("query", "SELECT * FROM event", "--db", str(warehouse_db)))
    assert 'Table with name event does not exist! Did you mean "events"?' in table
    column = one_error_line(
        run_cli("query", "SELECT fatality FROM events", "--db", str(warehouse_db))
    )
    assert "Candidate bindings:" in column and '"fatalities"' in column
    assert "LINE 1" not in table + column  # the quoted SQL and caret are left out


def test_a_runaway_query_is_stopped_at_its_timeout(warehouse_db: Path) -> None:
    # The bound is generous: the point is that it ends, with one line, not how fast.
    proc = run_cli("query", RUNAWAY, "--timeout", "2", "--db", str(warehouse_db), timeout=30)
    line = one_error_line(proc)
    assert line.startswith("error: query stopped after 2 s")
    with connect(warehouse_db) as con:  # and the file is free for a writer at once
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_queries_run_with_bounded_memory_and_threads(warehouse_db: Path) -> None:
    res = run_query(
        "SELECT current_setting('memory_limit'), current_setting('threads'),"
        " current_setting('temp_directory')",
        warehouse_db,
    )
    memory, threads, temp = res.rows[0]
    con = duckdb.connect(config={"memory_limit": QUERY_MEMORY_LIMIT})
    assert (memory,) == con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert threads == QUERY_THREADS and temp == ""


HOLD_OPEN = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])  # read-write: no other process may open the file
print("OPEN", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_runs_look_ups_wait_the_run_deadline_not_the_query_deadline(
    warehouse_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The query deadline made tiny: a query gives up, a run's look-up waits the file out."""
    monkeypatch.delenv("EVENTPIPE_LOCK_TIMEOUT", raising=False)
    monkeypatch.setattr("warehouse.db.DEFAULT_READ_DEADLINE_S", 0.2)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(warehouse_db), "3"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_line(holder, "OPEN")
        with pytest.raises(WarehouseBusy):
            run_query("SELECT 1", warehouse_db)
        assert reads.stored_article_ids(warehouse_db, ["a" * 64]) == set()
        assert holder.wait(timeout=30) == 0  # the look-up outlasted the holder
    finally:
        holder.kill()
        holder.wait()


def test_a_corrupt_wal_is_kept_once_however_often_opening_fails(db_path: Path) -> None:
    wal = _crash_with_a_wal(db_path)
    damaged = bytearray(wal.read_bytes())
    for i in range(200, 300):
        damaged[i] ^= 0xFF
    wal.write_bytes(bytes(damaged))
    for _ in range(3):
        with pytest.raises(WarehouseError, match="could not be replayed"), connect(db_path):
            pass
    (kept,) = db_path.parent.glob("*.wal.*.kept")
    assert kept.read_bytes() == bytes(damaged)
    assert not list(db_path.parent.glob("*.tmp"))


def test_a_full_disk_is_named_and_leaves_no_empty_copy(db_path: Path, tmp_path: Path) -> None:
    wal = _crash_with_a_wal(db_path)
    with tmpfs(tmp_path / "small", "size=8m") as small:
        db = small / db_path.name
        db.write_bytes(db_path.read_bytes())
        db.with_name(wal.name).write_bytes(wal.read_bytes())
        fill(small)
        with pytest.raises(WarehouseError) as failed, connect(db):
            pass
        message = str(failed.value)
        assert "no space left on device" in message and str(db) in message
        assert "folder" not in message
        left = [p.name for p in small.iterdir() if p.name.endswith((".kept", ".tmp"))]
        assert left == []  # no empty or partial copy of the log
        assert db.with_name(wal.name).read_bytes() == wal.read_bytes()


def test_ingest_on_a_full_disk_is_one_line_and_leaves_no_empty_database(
    tmp_path: Path,
) -> None:
    with tmpfs(tmp_path / "small", "size=512k") as small:
        fill(small)
        db = small / "events.duckdb"
        line = one_error_line(run_cli("ingest", str(SEED_FILE), "--db", str(db), timeout=180))
        assert "no space left on device" in line and str(db) in line
        assert not db.exists()  # an empty file would be refused as "not a DuckDB file" later


def test_query_failed_is_still_the_error_for_a_bad_query(warehouse_db: Path) -> None:
    with pytest.raises(QueryFailed, match="Did you mean"):
        run_query("SELECT * FROM event", warehouse_db)
