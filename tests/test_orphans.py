"""Nothing left running: an `eventpipe ingest` killed or stopped leaves no child behind.

Its children are Prefect's temporary API server (uvicorn) and the process pool (a
forkserver, its resource tracker, two workers), plus the reaper (tasks/lifeline.py).
Each test starts the installed console script on generated articles, records its
descendants from /proc while it runs, signals it, then asserts every one is gone.
Linux only: /proc is how descendants are found.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tasks.lifeline import descendants

from .test_cli import EVENTPIPE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc"),
]

N_ARTICLES = 30
# Prefect's first start with a new home takes 11-12 s here, more on a busy machine.
START_DEADLINE_S = 120.0
# Everything the command started must be gone this soon after it is killed: the
# reaper scans every 0.5 s and gives SIGTERM 3 s before SIGKILL.
GONE_DEADLINE_S = 15.0
# A SIGTERM'd command exits this soon (runtime.STOP_DEADLINE_SECONDS is 8 s).
EXIT_DEADLINE_S = 10.0

PARAGRAPHS = (
    "Police arrested {n} protesters in Nairobi on Monday after a march against fuel prices.",
    "Gunmen killed {k} villagers in Mopti, Mali, on Tuesday, local officials said.",
    "The president of Kenya met the prime minister of Ethiopia in Addis Ababa on Wednesday.",
)


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("articles")
    for i in range(N_ARTICLES):
        text = "\n\n".join(p.format(n=i + 2, k=i % 5 + 1) for p in PARAGRAPHS)
        (folder / f"a{i:03d}.txt").write_text(f"{text}\n\n(Report {i}.)\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Prefect home for the module: its database is made once (the first run)."""
    return tmp_path_factory.mktemp("prefect")


class Run:
    """An `eventpipe ingest` subprocess and every descendant it was seen with."""

    def __init__(self, articles: Path, db: Path, prefect_home: Path, tmp: Path) -> None:
        self.db = db
        self.stderr_path = tmp / "stderr.txt"
        env = {
            **os.environ,
            "PREFECT_HOME": str(prefect_home),
            "EVENTPIPE_DB": str(db),
            "EVENTPIPE_WORKERS": "2",
        }
        # Files, not pipes: reading a pipe to EOF would wait for any child left holding it.
        with open(tmp / "stdout.txt", "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(
                [EVENTPIPE, "ingest", str(articles), "--batch-size", "1"],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self.seen: dict[int, str] = {}

    def record(self) -> None:
        self.seen.update(descendants({self.proc.pid}))

    def commands(self) -> list[str]:
        return [_cmdline(pid) for pid in self.seen]

    def wait_for(self, what: str, ready: Callable[[Run], bool]) -> None:
        """Record descendants until `ready(self)`; fail if the command ends first."""
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            self.record()
            assert self.proc.poll() is None, f"ended before {what}: {self.stderr()}"
            if ready(self):
                self.record()
                return
            time.sleep(0.05)
        pytest.fail(f"no {what} within {START_DEADLINE_S} s: {self.commands()}")

    def survivors(self, within_s: float) -> list[str]:
        """Recorded descendants still running after up to `within_s` seconds."""
        deadline = time.monotonic() + within_s
        while True:
            left = [pid for pid, started in self.seen.items() if _alive(pid, started)]
            if not left or time.monotonic() > deadline:
                return [f"{pid} {_cmdline(pid)}" for pid in left]
            time.sleep(0.1)

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def kill_survivors(self) -> None:
        for pid, started in self.seen.items():
            if _alive(pid, started):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int, started: str) -> bool:
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = data[data.rindex(")") + 2 :].split()
    return fields[19] == started and fields[0] != "Z"  # a zombie holds no memory


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "(gone)"


def api_server(run: Run) -> bool:
    return any("uvicorn" in c for c in run.commands())


def pool_workers(run: Run) -> bool:
    """The forkserver and both workers (all run multiprocessing.forkserver's main)."""
    return sum("multiprocessing.forkserver" in c for c in run.commands()) >= 3


def articles_stored(n: int) -> Callable[[Run], bool]:
    def ready(run: Run) -> bool:
        return pool_workers(run) and _count(run.db, "SELECT count(*) FROM articles") >= n

    return ready


def _count(db: Path, sql: str) -> int:
    """A count read from `db` (0 while it does not exist or a writer holds it)."""
    if not db.exists():
        return 0
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return 0
    try:
        return int(con.execute(sql).fetchone()[0])  # type: ignore[index]
    except duckdb.Error:
        return 0
    finally:
        con.close()


def _running_runs(db: Path) -> int:
    """Runs still 'running' once the command has ended (waits out no writer: none is left)."""
    if not db.exists():
        return 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "runs" not in tables:
            return 0
        return int(con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_sigkill_leaves_no_child_running(
    articles: Path, prefect_home: Path, tmp_path: Path
) -> None:
    run = Run(articles, tmp_path / "events.duckdb", prefect_home, tmp_path)
    try:
        run.wait_for("API server and pool workers", lambda r: api_server(r) and pool_workers(r))
        run.proc.send_signal(signal.SIGKILL)
        run.proc.wait(timeout=30)
        assert run.survivors(GONE_DEADLINE_S) == []
    finally:
        run.proc.kill()
        run.kill_survivors()


MOMENTS: dict[str, Callable[[Run], bool]] = {
    # Before Prefect is imported: Python's default SIGTERM, nothing started yet.
    "right-after-start": lambda r: True,
    "api-server-starting": api_server,
    "pool-warming-up": pool_workers,
    "first-batch": articles_stored(1),
    "between-batches": articles_stored(5),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_sigterm_exits_soon_marks_the_run_and_leaves_no_child(
    moment: str, articles: Path, prefect_home: Path, tmp_path: Path
) -> None:
    db = tmp_path / "events.duckdb"
    run = Run(articles, db, prefect_home, tmp_path)
    try:
        run.wait_for(moment, MOMENTS[moment])
        sent = time.monotonic()
        run.proc.send_signal(signal.SIGTERM)
        try:
            run.proc.wait(timeout=EXIT_DEADLINE_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {EXIT_DEADLINE_S} s after SIGTERM: {run.stderr()}")
        took = time.monotonic() - sent
        stderr = run.stderr()
        assert run.proc.returncode in (1, -signal.SIGTERM), stderr
        assert "Traceback" not in stderr, stderr
        assert run.survivors(GONE_DEADLINE_S) == [], f"exited after {took:.1f} s"
        assert _running_runs(db) == 0, stderr
    finally:
        run.proc.kill()
        run.kill_survivors()
