"""The warehouse on DuckLake: the same migrations, rows and answers as on a DuckDB file.

Real parts: DuckLake catalogs in SQLite and in a real PostgreSQL server (tests/pg.py),
Parquet files on disk, the real `eventpipe ingest` in subprocesses for the slow tests.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from warehouse import compare, lake
from warehouse.db import check_location, connect
from warehouse.errors import BadWarehouse, QueryFailed, WarehouseError
from warehouse.query import run_query

from . import pg
from .conftest import FIXTURES, SEEDS
from .test_cli import EVENTPIPE, run_cli

# Event columns compared across backends: all but the stamps of when and by which run.
EVENT_COLUMNS = (
    "event_id, article_id, event_type, acled_event_type, acled_sub_event_type, actor1,"
    " actor2, country, admin1, location, latitude, longitude, event_date, fatalities,"
    " actor1_canonical, actor2_canonical"
)
# Rows that point at nothing, or belong to no completed run: 0 in a consistent warehouse.
# The writers' inputs are bare texts: one publication date for all (the reference's too).
PUBLISHED = ("--published", "2024-06-01")
ORPHANS = compare.ORPHANS  # the README's orphan query, kept in one place


def sqlite_lake(tmp_path: Path, name: str = "cat") -> tuple[str, str]:
    return f"ducklake:sqlite:{tmp_path / name}.sqlite", str(tmp_path / f"{name}-files")


def test_keys_are_the_files_primary_keys(db_path: Path) -> None:
    """The keys the lake enforces by anti-join are those the file's migrations declare."""
    with connect(db_path) as con:
        rows = con.execute(
            "SELECT table_name, constraint_column_names FROM duckdb_constraints()"
            " WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    assert {t: tuple(cols) for t, cols in rows} == lake.KEYS


def test_a_lake_migrates_to_the_files_tables_and_views(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, files = sqlite_lake(tmp_path)
    monkeypatch.setenv(lake.DATA_PATH_ENV, files)
    shape = (
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_catalog = current_database() ORDER BY ALL"
    )
    with connect(db_path) as con:
        on_file = con.execute(shape).fetchall()
    with connect(db) as con:
        assert lake.on_lake(con)
        on_lake = con.execute(shape).fetchall()
        versions = con.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert [r for r in on_lake if r[0] != lake.WRITES_TABLE] == on_file
    assert versions is not None and versions[0] >= 14
    with connect(db) as con:  # a second open applies nothing again
        again = con.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert again == versions


def test_translate_keeps_not_null_and_drops_keys_checks_indexes() -> None:
    sql = (
        "CREATE TABLE t (a VARCHAR PRIMARY KEY, -- a comment (with parens)\n"
        " b INTEGER NOT NULL CHECK (b IN (1, 2)), c VARCHAR,\n"
        " PRIMARY KEY (a, b),\n CHECK ((c = 'x') = (b IS NULL)));\n"
        "CREATE INDEX t_b ON t (b);\nCREATE VIEW v AS SELECT a FROM t;"
    )
    out = lake.translate(sql)
    assert "PRIMARY" not in out and "CHECK" not in out and "INDEX" not in out
    assert "b INTEGER NOT NULL" in out and "CREATE VIEW v AS SELECT a FROM t;" in out
    assert out.count("(") == out.count(")")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("ducklake:mysql:db=x", "not a DuckLake location"),
        ("ducklake:sqlite:", "names no catalog"),
        ("ducklake:sqlite:{tmp}/new.sqlite", "is a new DuckLake: give --data-path"),
        ("ducklake:duckdb:{tmp}/new.ducklake", "is a new DuckLake: give --data-path"),
        ("ducklake:sqlite:{tmp}/no/such/cat.sqlite", "no folder"),
        ("ducklake:duckdb:{tmp}", "is a folder, not a DuckDB file"),
        (
            "ducklake:postgres:dbname=x host=127.0.0.1 port={port} user=u connect_timeout=5",
            "cannot reach the DuckLake catalog",
        ),
    ],
)
def test_a_bad_lake_location_is_one_line(
    location: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(lake.DATA_PATH_ENV, raising=False)
    db = location.format(tmp=tmp_path, port=_closed_port())
    with pytest.raises(BadWarehouse) as caught:
        check_location(db)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_query_on_a_lake_reads_the_lake_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, files = sqlite_lake(tmp_path)
    monkeypatch.setenv(lake.DATA_PATH_ENV, files)
    with connect(db):
        pass
    assert run_query("SELECT count(*) FROM events_view", db).rows == [(0,)]
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(QueryFailed):
        run_query(f"SELECT * FROM read_csv('{outside}')", db)


def test_a_missing_lake_is_not_made_by_a_reader(tmp_path: Path) -> None:
    db, _ = sqlite_lake(tmp_path)
    with pytest.raises(WarehouseError):
        run_query("SELECT 1 FROM events", db)


# --- the real command, on every backend --------------------------------------------------


# Prefect's temporary API may start this slowly when several start at once.
CROWDED_STARTUP = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600"}


def _ingest(db: str, data: str | None, *paths: Path | str, home: Path) -> None:
    args = ["ingest", *map(str, paths), "--db", db]
    if data:
        args += ["--data-path", data]
    done = run_cli(*args, env={"PREFECT_HOME": str(home)}, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def _state(db: str) -> dict[str, object]:
    return {
        "events": run_query(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY event_id", db).rows,
        "incidents": run_query(  # all but when each was first and last stored
            "SELECT * EXCLUDE (first_reported, last_reported) FROM incidents ORDER BY incident_id",
            db,
        ).rows,
        "articles": run_query("SELECT article_id FROM articles ORDER BY 1", db).rows,
        "orphans": run_query(ORPHANS, db).rows,
    }


@pytest.mark.slow
def test_the_same_events_and_incidents_on_a_file_and_on_lakes(
    tmp_path: Path, pg_server: str
) -> None:
    inputs = (SEEDS, FIXTURES / "extract")
    file_db = str(tmp_path / "events.duckdb")
    sqlite_db, sqlite_files = sqlite_lake(tmp_path)
    pg_db = f"ducklake:postgres:{pg.new_database(pg_server, 'same')}"
    timings = {}
    for db, data in [(file_db, None), (sqlite_db, sqlite_files), (pg_db, str(tmp_path / "pg"))]:
        started = time.perf_counter()
        _ingest(db, data, *inputs, home=tmp_path / "prefect")
        timings[db.split(":")[1] if db.startswith("ducklake:") else "file"] = (
            time.perf_counter() - started
        )
    print("ingest seconds:", {k: round(v, 1) for k, v in timings.items()})
    want = _state(file_db)
    assert want["events"] and want["incidents"] and want["orphans"] == [(0,)]
    assert _state(sqlite_db) == want
    assert _state(pg_db) == want
    _ingest(pg_db, None, *inputs, home=tmp_path / "prefect")  # again: nothing new
    assert _state(pg_db) == want


@pytest.mark.slow
def test_four_writers_at_once_store_every_input_once(tmp_path: Path, pg_server: str) -> None:
    """Four ingests of overlapping inputs into one PostgreSQL-catalog lake, at once,
    while queries read: all complete, each article and event is stored once."""
    texts = [
        json.loads(line)["text"]
        for name in ("cases.jsonl", "dev2_cases.jsonl")
        for line in (FIXTURES / "extract" / name).read_text(encoding="utf-8").splitlines()
    ]
    folders = []
    for k in range(4):  # each writer gets about two thirds of the inputs, overlapping
        folder = tmp_path / f"in{k}"
        folder.mkdir()
        for i, text in enumerate(texts):
            if i % 3 != k % 3:
                (folder / f"{i:03d}.txt").write_text(text, encoding="utf-8")
        folders.append(folder)
    db = f"ducklake:postgres:{pg.new_database(pg_server, 'many')}"
    data = str(tmp_path / "files")
    with connect_env(data), connect(db):
        pass  # made and migrated once, so the four race on batches, not on creation
    # Four temporary Prefect APIs start at once beside the reader and PostgreSQL: on a
    # loaded 2-core machine one took longer than the 90 s the project allows a single
    # start (tasks/runtime.py), and its writer failed before writing anything.
    env = {**os.environ, lake.DATA_PATH_ENV: data, **CROWDED_STARTUP}
    writers = [
        subprocess.Popen(
            [EVENTPIPE, "ingest", str(f), "--db", db, "--batch-size", "3", *PUBLISHED],
            env={**env, "PREFECT_HOME": str(tmp_path / f"p{k}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, f in enumerate(folders)
    ]
    reads = 0
    while any(w.poll() is None for w in writers):
        run_query("SELECT count(*) FROM events_view", db)  # readers never wait for writers
        reads += 1
        time.sleep(0.5)
    outs = [w.communicate() for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], [o[1][-1500:] for o in outs]
    reference = str(tmp_path / "one.duckdb")
    _ingest(reference, None, *folders, *PUBLISHED, home=tmp_path / "p-ref")
    got, want = _state(db), _state(reference)
    assert reads > 0 and got["orphans"] == [(0,)]
    assert got["articles"] == want["articles"] and got["events"] == want["events"]
    # Incidents depend on the order reports arrive in (the first founds one), so they are
    # checked for consistency, not against the one-writer reference: each current event
    # in one incident, each link stored once, each merge one hop from its survivor.
    for where in (db, reference):
        assert run_query(CONSISTENT, where).rows == [(0, 0, 0)], where


# Current events not counted once in the incidents, links stored twice, merge chains.
CONSISTENT = """
SELECT (SELECT count(*) FROM events_view) - (SELECT sum(num_events) FROM incidents),
       (SELECT count(*) - count(DISTINCT event_id) FROM incident_links),
       (SELECT count(*) FROM incident_merges m JOIN incident_merges n
          ON m.merged_into = n.incident_id)
"""


class connect_env:  # noqa: N801  (a context manager named for what it does)
    """$EVENTPIPE_DATA_PATH set for the block."""

    def __init__(self, data: str) -> None:
        self.data, self.old = data, os.environ.get(lake.DATA_PATH_ENV)

    def __enter__(self) -> None:
        os.environ[lake.DATA_PATH_ENV] = self.data

    def __exit__(self, *exc: object) -> None:
        if self.old is None:
            os.environ.pop(lake.DATA_PATH_ENV, None)
        else:
            os.environ[lake.DATA_PATH_ENV] = self.old
