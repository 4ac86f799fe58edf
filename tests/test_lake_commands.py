"""`query`, `explain`, `incident`, `export` and `report` on a DuckLake give what they give
on a DuckDB file (issue 17, "Past one machine").

One pair of warehouses per module: the seed, the extract cases and the incident story
sets (written as files with sidecars, as `verify-backends` writes them: several reports
per incident, outlets, URLs) ingested by the real `eventpipe ingest` into a DuckDB file
and into a SQLite-catalog DuckLake with `--data-path` (both at once: two processes, two
cores). Each command then runs on both and the outputs are compared: in this process
(typer's runner, `main`'s exit codes), so that the cases can be many on a shared
two-core machine; once as a real `eventpipe` process per backend, and the bad-location
checks, which are about exit codes, always so.

What may differ is when rows were loaded and by which run: the two ingests are two runs,
seconds apart. Each export case names those columns and why; all else must be equal.
Every article has a publication date (sidecars, the cases' own, `--published`), so the
reports' days (`reported_at`, `first_reported`, `last_reported`) are the same on both.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.cli_common import EXIT_FAILED, EXIT_USAGE
from flows.verify import write_sets
from warehouse import lake
from warehouse.db import connect
from warehouse.errors import BadWarehouse, EventpipeError, UsageError, WarehouseError
from warehouse.query import run_query

from .conftest import FIXTURES, SEED_FILE, SEEDS
from .test_cli import run_cli
from .test_ducklake import CROWDED_STARTUP, _closed_port, sqlite_lake

Backend = str  # "file" or "lake"
BACKENDS: tuple[Backend, ...] = ("file", "lake")
# Bare texts get this day, so every report's day is a publication day, not a load time.
PUBLISHED = ("--published", "2024-06-01")


@dataclass(frozen=True)
class Ran:
    """What a command did: its exit code, its output, and the one line `main` prints for
    an error (an exit code 1 or 2 without a traceback)."""

    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Pair:
    """The same inputs in a DuckDB file and in a SQLite-catalog DuckLake."""

    dbs: dict[Backend, str]
    tmp: Path

    def out(self, backend: Backend, name: str) -> Path:
        return self.tmp / backend / name

    def _args(self, backend: Backend, args: tuple[str, ...]) -> list[str]:
        """ARGS with `{out}` as the backend's own output folder, then `--db <backend>`."""
        return [a.replace("{out}", str(self.tmp / backend)) for a in args] + [
            "--db",
            self.dbs[backend],
        ]

    def run(self, *args: str) -> dict[Backend, Ran]:
        """`eventpipe ARGS` on each backend, in this process: the command's own code (typer's
        runner), with `main`'s exit codes and one-line errors; no process started, so that
        the cases stay many and the module quick on a shared two-core machine."""
        return {b: _invoke(self._args(b, args)) for b in BACKENDS}

    def run_cli(self, *args: str) -> dict[Backend, Ran]:
        """`eventpipe ARGS` as users run it, in a process per backend, both at once."""

        def one(backend: Backend) -> Ran:
            done = run_cli(*self._args(backend, args))
            return Ran(done.returncode, done.stdout, done.stderr)

        with ThreadPoolExecutor(len(BACKENDS)) as pool:
            return dict(zip(BACKENDS, pool.map(one, BACKENDS), strict=True))


def _invoke(args: list[str]) -> Ran:
    """A command run in this process, its failure shown as `flows.cli.main` shows it."""
    result = CliRunner().invoke(app, args)
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return Ran(result.exit_code, result.stdout, result.stderr)
    assert isinstance(exc, EventpipeError), result.stderr  # else a traceback: a bug
    code = EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAILED
    return Ran(code, result.stdout, result.stderr + f"error: {exc}\n")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    tmp = tmp_path_factory.mktemp("lakecmd")
    sets = tmp / "sets"
    assert write_sets(FIXTURES / "incidents" / "sets_dev2.jsonl", sets) > 20
    inputs = [str(SEEDS), str(FIXTURES / "extract" / "cases.jsonl"), str(sets)]
    lake_db, files = sqlite_lake(tmp)
    dbs = {"file": str(tmp / "events.duckdb"), "lake": lake_db}
    data = {"file": [], "lake": ["--data-path", files]}
    for backend in BACKENDS:
        (tmp / backend).mkdir()

    def ingest(backend: Backend) -> subprocess.CompletedProcess[str]:
        home = {"PREFECT_HOME": str(tmp / f"prefect-{backend}"), **CROWDED_STARTUP}
        args = ["ingest", *inputs, *PUBLISHED, "--db", dbs[backend], *data[backend]]
        return run_cli(*args, env=home, timeout=600)

    with ThreadPoolExecutor(len(BACKENDS)) as pool:
        done = dict(zip(BACKENDS, pool.map(ingest, BACKENDS), strict=True))
    for backend, proc in done.items():
        assert proc.returncode == 0, (backend, proc.stderr[-2000:])
    assert lake.is_lake(dbs["lake"]) and any(Path(files).rglob("*.parquet"))
    return Pair(dbs, tmp)


def _same(got: dict[Backend, Ran], rc: int = 0) -> str:
    """The file's stdout, after checking the lake's run ended and printed the same."""
    file, on_lake = got["file"], got["lake"]
    assert file.returncode == rc, file.stderr[-1500:]
    assert on_lake.returncode == rc, on_lake.stderr[-1500:]
    assert "Traceback" not in file.stderr + on_lake.stderr
    assert on_lake.stdout == file.stdout
    assert on_lake.stderr == file.stderr
    return file.stdout


# --- query --------------------------------------------------------------------------------

# (SQL, output format, the least rows the file's answer must hold): no column of these
# depends on when or by which run a row was loaded.
QUERIES = [
    pytest.param("SELECT * FROM incidents ORDER BY incident_id", "json", 80, id="incidents"),
    pytest.param(
        "SELECT event_date, count(*) AS events, coalesce(sum(fatalities), 0) AS deaths"
        " FROM events_view GROUP BY event_date ORDER BY event_date NULLS LAST",
        "json",
        30,
        id="daily-counts",
    ),
    pytest.param(
        "SELECT * EXCLUDE (run_id, loaded_at) FROM incident_reports ORDER BY incident_id, event_id",
        "json",
        120,
        id="incident-reports",
    ),
    pytest.param(
        "SELECT * EXCLUDE (run_id, loaded_at) FROM events_view ORDER BY event_id",
        "csv",
        120,
        id="events-view",
    ),
    pytest.param(
        "SELECT coalesce(actor1_canonical, actor1) AS actor, count(*) AS incidents,"
        " sum(num_sources) AS sources FROM incidents GROUP BY ALL"
        " ORDER BY incidents DESC, actor NULLS LAST LIMIT 15",
        "table",
        10,
        id="top-actors-table",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("sql", "fmt", "least"), QUERIES)
def test_query_answers_the_same(pair: Pair, sql: str, fmt: str, least: int) -> None:
    shown = _same(pair.run("query", sql, "--format", fmt))
    if fmt == "json":
        rows = len(json.loads(shown))
    elif fmt == "csv":
        rows = len(list(csv.reader(io.StringIO(shown)))) - 1
    else:
        rows = sum(1 for line in shown.splitlines() if line.startswith("│"))
    assert rows >= least


@pytest.mark.slow
def test_the_console_script_answers_the_same(pair: Pair) -> None:
    """Once as users run it (a process per backend): the installed `eventpipe` on a lake."""
    sql = "SELECT incident_id, num_events, fatalities FROM incidents ORDER BY incident_id"
    shown = _same(pair.run_cli("query", sql, "--format", "json"))
    assert len(json.loads(shown)) >= 80


# --- explain and incident -------------------------------------------------------------------

# Each target: how to find it on the file (SQL giving one id), how much of the id to give
# (a prefix must do), the exit code, and words the output must hold.
LOOKUPS = [
    pytest.param(
        "explain",
        f"SELECT article_id FROM articles WHERE source LIKE '%{SEED_FILE.name}'",
        10,
        0,
        ("fatalities=12", "set by", "“offensive”"),
        id="explain-seed-by-prefix",
    ),
    pytest.param(
        "explain",
        "SELECT article_id FROM events_view GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        32,
        0,
        ("stored events", " inc-", "report(s))"),
        id="explain-busiest-article",
    ),
    pytest.param("explain", "SELECT 'ffffffffff'", 10, 1, (), id="explain-unknown"),
    pytest.param(
        "incident",
        "SELECT incident_id FROM incidents ORDER BY num_sources DESC, incident_id LIMIT 1",
        28,
        0,
        ("num_sources", "report(s)", "link_reason"),
        id="incident-most-reported",
    ),
    pytest.param(
        "incident",
        "SELECT incident_id FROM incidents WHERE num_events = 1 ORDER BY incident_id LIMIT 1",
        14,
        0,
        ("1 report(s)",),
        id="incident-by-prefix",
    ),
    pytest.param("incident", "SELECT 'inc-ffffffff'", 12, 1, (), id="incident-unknown"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "find", "chars", "rc", "words"), LOOKUPS)
def test_explain_and_incident_show_the_same(
    pair: Pair, command: str, find: str, chars: int, rc: int, words: tuple[str, ...]
) -> None:
    rows = run_query(find, pair.dbs["file"]).rows
    assert len(rows) == 1
    got = pair.run(command, str(rows[0][0])[:chars])
    shown = _same(got, rc)
    for word in words:
        assert word in shown
    if rc:
        assert got["lake"].stderr.startswith("error: no ")


# --- export ---------------------------------------------------------------------------------

Table = list[dict[str, Any]]


def _csv(text: str, delimiter: str = ",") -> Table:
    if delimiter == "\t":  # GDELT's tables quote nothing
        return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    return list(csv.DictReader(io.StringIO(text)))


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


def _parquet(folder: Path) -> dict[str, Table]:
    """Each table of a Parquet export, rows sorted by their key (a partition's rows have no
    order of their own), and the partition files it was written as."""
    keys = {"events": "event_id", "incidents": "incident_id", "articles": "article_id"}
    tables: dict[str, Table] = {}
    for table, key in keys.items():
        files = sorted(p.relative_to(folder).as_posix() for p in (folder / table).rglob("*"))
        cur = duckdb.sql(
            f"SELECT * FROM read_parquet('{folder / table}/**/*.parquet', hive_partitioning"
            f" = true) ORDER BY {key}"
        )
        columns = cur.columns
        tables[table] = [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
        tables[f"{table} files"] = [{"path": f} for f in files]
    return tables


def _read(kind: str, out: Path, stdout: str) -> dict[str, Table]:
    if kind == "acled":
        return {"acled": _csv(out.read_text(encoding="utf-8"))}
    if kind == "tsv":
        return {"tsv": _csv(out.read_text(encoding="utf-8"), "\t")}
    if kind == "jsonl":
        lines = out.read_text(encoding="utf-8").splitlines()
        return {"plover": [_flat(json.loads(line)) for line in lines]}
    if kind == "csv-folder":
        return {p.stem: _csv(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.csv"))}
    if kind == "csv-stdout":
        return {"stdout": _csv(stdout)}
    assert kind == "parquet"
    return _parquet(out)


# Columns of our own tables that record the load: the time each row was stored
# (`loaded_at`, an event's `article_loaded_at`, an incident's latest report's load) and
# the run that stored it (`run_id`, a new UUID per run).
TABLE_LOADS = {
    "events": {"loaded_at", "article_loaded_at", "run_id"},
    "incidents": {"loaded_at"},
    "articles": {"loaded_at", "run_id"},
}


@dataclass(frozen=True)
class ExportCase:
    args: tuple[str, ...]  # after `export`; {out} is the backend's folder
    output: str  # the file or folder written under {out} ("" for stdout)
    kind: str  # how to read it back
    loads: dict[str, set[str]]  # per table read: the columns that record the load
    least: int  # rows the file's export must hold (in its first table)
    why: str  # why the load columns differ between two runs


EXPORTS = [
    pytest.param(
        ExportCase(
            ("-f", "acled", "-o", "{out}/acled.csv"),
            "acled.csv",
            "acled",
            {"acled": {"timestamp"}},
            60,
            "ACLED's timestamp: Unix seconds of the latest report's load",
        ),
        id="acled",
    ),
    pytest.param(
        ExportCase(
            ("-f", "acled", "--level", "events", "--country", "NGA", "-o", "{out}/ng.csv"),
            "ng.csv",
            "acled",
            {"acled": {"timestamp"}},
            10,
            "as above",
        ),
        id="acled-events-nigeria",
    ),
    pytest.param(
        ExportCase(
            ("-f", "gdelt", "--header", "-o", "{out}/events.tsv"),
            "events.tsv",
            "tsv",
            {"tsv": {"DATEADDED"}},
            80,
            "GDELT's DATEADDED: when the latest report was loaded",
        ),
        id="gdelt",
    ),
    pytest.param(
        ExportCase(
            ("-f", "gdelt-mentions", "--header", "-o", "{out}/mentions.tsv"),
            "mentions.tsv",
            "tsv",
            {"tsv": {"EventTimeDate"}},
            100,
            "EventTimeDate is the event's DATEADDED (MentionTimeDate, the report's"
            " publication, must match)",
        ),
        id="gdelt-mentions",
    ),
    pytest.param(
        ExportCase(
            ("-f", "plover", "-o", "{out}/plover.jsonl"),
            "plover.jsonl",
            "jsonl",
            {"plover": {"coded_date", "coded_time"}},
            80,
            "PLOVER's coded_date and coded_time: when the latest report was loaded",
        ),
        id="plover",
    ),
    pytest.param(
        ExportCase(
            ("-f", "csv", "-o", "{out}/csv"), "csv", "csv-folder", TABLE_LOADS, 50, "load stamps"
        ),
        id="csv-folder",
    ),
    pytest.param(
        ExportCase(
            ("-f", "csv", "--level", "events", "--since", "2024-10-01", "-o", "-"),
            "",
            "csv-stdout",
            {"stdout": TABLE_LOADS["events"]},
            20,
            "load stamps",
        ),
        id="csv-events-since-stdout",
    ),
    pytest.param(
        ExportCase(
            ("-f", "parquet", "-o", "{out}/parquet"),
            "parquet",
            "parquet",
            {**TABLE_LOADS, **{f"{t} files": set() for t in TABLE_LOADS}},
            50,
            "load stamps",
        ),
        id="parquet",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", EXPORTS)
def test_export_writes_the_same_rows(pair: Pair, case: ExportCase) -> None:
    got = pair.run("export", *case.args)
    for backend, proc in got.items():
        assert proc.returncode == 0, (backend, proc.stderr[-1500:])
    # The summary line names the target: the same once each backend's folder is masked.
    lines = {b: p.stderr.replace(str(pair.tmp / b), "{out}") for b, p in got.items()}
    assert lines["lake"] == lines["file"] and "exported" in lines["file"]
    read = {b: _read(case.kind, pair.out(b, case.output), got[b].stdout) for b in BACKENDS}
    assert read["lake"].keys() == read["file"].keys() == case.loads.keys()
    first = next(iter(case.loads))
    assert len(read["file"][first]) >= case.least
    for table, loads in case.loads.items():
        file_rows, lake_rows = read["file"][table], read["lake"][table]
        assert len(lake_rows) == len(file_rows), table
        assert list(lake_rows[0]) == list(file_rows[0]), table  # the same columns, in order
        assert loads <= set(file_rows[0]), (table, loads - set(file_rows[0]))
        for f, k in zip(file_rows, lake_rows, strict=True):
            assert {c: v for c, v in k.items() if c not in loads} == {
                c: v for c, v in f.items() if c not in loads
            }, table
            assert all(k[c] not in (None, "") for c in loads), table  # stamped, not empty


# --- report ---------------------------------------------------------------------------------

# The page's one line that depends on when it was written.
WRITTEN_AT = re.compile(r"Written by eventpipe at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "least"),
    # One report: drawing its charts takes seconds; the exports above try selections.
    [pytest.param(("--since", "2024-01-01"), 80, id="since-2024")],
)
def test_report_shows_the_same_numbers(pair: Pair, args: tuple[str, ...], least: int) -> None:
    got = pair.run("report", "-o", "{out}/report.html", *args)
    pages = {}
    for backend, proc in got.items():
        assert proc.returncode == 0, (backend, proc.stderr[-1500:])
        text = pair.out(backend, "report.html").read_text(encoding="utf-8")
        assert len(WRITTEN_AT.findall(text)) == 1
        pages[backend] = WRITTEN_AT.sub("Written by eventpipe at <time>.", text)
    assert pages["lake"] == pages["file"]
    lines = {b: p.stderr.replace(str(pair.tmp / b), "{out}") for b, p in got.items()}
    assert lines["lake"] == lines["file"]
    found = re.search(r"report: ([\d,]+) incidents, ([\d,]+) deaths", lines["file"])
    assert found and int(found.group(1).replace(",", "")) >= least


# --- a lake that cannot be read: one line, exit 2 --------------------------------------------

BadLocation = Callable[[Path], str]
# Each: how to make the location, and words its one line must hold.
BAD_LOCATIONS = [
    pytest.param(
        lambda tmp: "ducklake:sqlite:/nonexistent/dir/x.sqlite",
        "no folder /nonexistent/dir for its catalog",
        id="sqlite-no-folder",
    ),
    pytest.param(
        lambda tmp: (
            f"ducklake:postgres:dbname=x host=127.0.0.1 port={_closed_port()} user=u"
            " connect_timeout=5"
        ),
        "cannot reach the DuckLake catalog",
        id="postgres-closed-port",
    ),
    pytest.param(
        lambda tmp: f"ducklake:sqlite:{_text_file(tmp)}",
        "is not a SQLite file, so it cannot be a DuckLake catalog",
        id="sqlite-not-sqlite",
    ),
    pytest.param(
        lambda tmp: f"ducklake:duckdb:{_text_file(tmp)}",
        "is not a DuckDB file, so it cannot be a DuckLake catalog",
        id="duckdb-not-duckdb",
    ),
    pytest.param(lambda tmp: f"ducklake:sqlite:{tmp}", "is a folder", id="sqlite-a-folder"),
]


def _text_file(tmp: Path) -> Path:
    made = tmp / "notes.txt"
    made.write_text("not a catalog\n" * 50, encoding="utf-8")
    return made


@pytest.mark.parametrize(("make", "words"), BAD_LOCATIONS)
def test_reading_a_bad_lake_is_one_line(make: BadLocation, words: str, tmp_path: Path) -> None:
    """Queries and the readers under export and report all open a lake one way."""
    db = make(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(BadWarehouse) as caught:
        run_query("SELECT 1", db)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(BadWarehouse) as again, connect(db, read_only=True):
        pass
    assert str(again.value) == str(caught.value)
    assert sorted(tmp_path.rglob("*")) == before  # nothing was made


def test_a_missing_catalog_file_is_no_warehouse_yet(tmp_path: Path) -> None:
    """In an existing folder, a reader's missing catalog is what a missing DuckDB file is:
    nothing ingested yet (exit 1), not a bad location; and the reader makes no file."""
    db, _ = sqlite_lake(tmp_path)
    with pytest.raises(WarehouseError) as caught:
        run_query("SELECT 1", db)
    assert not isinstance(caught.value, BadWarehouse)
    assert "no warehouse at" in str(caught.value)
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize(("make", "words"), BAD_LOCATIONS[:2])
def test_commands_on_a_bad_lake_exit_2_in_one_line(
    make: BadLocation, words: str, tmp_path: Path
) -> None:
    db = make(tmp_path)
    commands = [
        ["query", "SELECT count(*) FROM incidents"],
        ["export", "-f", "acled", "-o", str(tmp_path / "out.csv")],
        ["report", "-o", str(tmp_path / "report.html")],
    ]
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda c: run_cli(*c, "--db", db), commands))
    for command, proc in zip(commands, done, strict=True):
        assert proc.returncode == 2, (command[0], proc.stderr)
        assert words in proc.stderr and "Traceback" not in proc.stderr, command[0]
        assert len(proc.stderr.strip().splitlines()) == 1, (command[0], proc.stderr)
        assert proc.stdout == ""
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "report.html").exists()
