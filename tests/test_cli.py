"""The `eventpipe` command line, run as users run it: the installed console script."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

from .conftest import FIXTURES, SEED_FILE

EVENTPIPE = shutil.which("eventpipe", path=str(Path(sys.executable).parent)) or "eventpipe"


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVENTPIPE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("command", [[], ["ingest"], ["query"], ["extract"], ["explain"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real `eventpipe ingest` in a subprocess, with a brand-new Prefect home."""
    tmp = tmp_path_factory.mktemp("cli")
    db = tmp / "nested" / "events.duckdb"
    proc = run_cli(
        "ingest",
        str(SEED_FILE),
        str(FIXTURES / "articles"),
        str(FIXTURES / "bad" / "empty.txt"),
        "--db",
        str(db),
        env={"PREFECT_HOME": str(tmp / "prefect-home")},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "8 new" in proc.stdout and "4 rejected" in proc.stdout
    assert "events stored by this run" in proc.stdout
    assert str(db) in proc.stdout.replace("\n", "")
    assert "empty.txt: file is empty" in proc.stderr
    return db


@pytest.mark.slow
def test_query_formats(ingested: Path) -> None:
    sql = (
        "SELECT event_type, event_date, fatalities FROM events ORDER BY fatalities DESC NULLS LAST"
    )
    as_json = run_cli("query", sql, "--db", str(ingested), "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    records = json.loads(as_json.stdout)
    assert isinstance(records, list) and records
    assert set(records[0]) == {"event_type", "event_date", "fatalities"}
    assert records[0]["fatalities"] >= 12
    as_csv = run_cli("query", sql, "--db", str(ingested), "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["event_type", "event_date", "fatalities"] and len(rows) == len(records) + 1
    as_table = run_cli(
        "query",
        "SELECT count(*) AS n_articles, '[red]x[/red]' AS markup FROM articles",
        "--db",
        str(ingested),
    )
    assert as_table.returncode == 0, as_table.stderr
    header, values = [line for line in as_table.stdout.splitlines() if "│" in line or "┃" in line]
    assert [c.strip() for c in header.split("┃")[1:3]] == ["n_articles", "markup"]
    assert [c.strip() for c in values.split("│")[1:3]] == ["8", "[red]x[/red]"]
    odd = run_cli(
        "query",
        "SELECT 'nan'::DOUBLE AS n, DATE '2025-10-11' AS d, '\\x01'::BLOB AS b",
        "--db",
        str(ingested),
        "-f",
        "json",
    )
    assert json.loads(odd.stdout) == [{"n": None, "d": "2025-10-11", "b": "01"}]
    dupes = run_cli("query", "SELECT 1 AS a, 2 AS a", "--db", str(ingested), "-f", "json")
    assert dupes.returncode == 1 and "appear twice" in dupes.stderr


@pytest.mark.slow
def test_query_refuses_delete_and_changes_nothing(ingested: Path) -> None:
    count = "SELECT count(*) AS n FROM events"
    before = json.loads(run_cli("query", count, "--db", str(ingested), "-f", "json").stdout)
    refused = run_cli("query", "DELETE FROM events", "--db", str(ingested))
    assert refused.returncode == 1
    assert "refused" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) <= 2
    after = json.loads(run_cli("query", count, "--db", str(ingested), "-f", "json").stdout)
    assert before == after and before[0]["n"] > 0


@pytest.mark.slow
def test_explain_a_stored_article_by_id_prefix(ingested: Path) -> None:
    sql = f"SELECT article_id FROM articles WHERE source LIKE '%{SEED_FILE.name}'"
    found = run_cli("query", sql, "--db", str(ingested), "-f", "json")
    article_id = json.loads(found.stdout)[0]["article_id"]
    proc = run_cli("explain", article_id[:10], "--db", str(ingested))
    assert proc.returncode == 0, proc.stderr
    assert f"article {article_id} (stored events" in proc.stdout
    assert "fatalities=12" in proc.stdout and "set by" in proc.stdout
    assert "“offensive”" in proc.stdout  # the trigger word that set the event type
    missing = run_cli("explain", "ffffffffff", "--db", str(ingested))
    assert missing.returncode == 1 and "no file and no stored article" in missing.stderr


def test_query_on_missing_database_is_one_clear_line(tmp_path: Path) -> None:
    proc = run_cli("query", "SELECT 1", "--db", str(tmp_path / "none.duckdb"))
    assert proc.returncode == 1
    assert "no warehouse at" in proc.stderr and "Traceback" not in proc.stderr


def test_extract_writes_one_prediction_per_case(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    text = SEED_FILE.read_text(encoding="utf-8")
    cases.write_text(
        json.dumps({"id": "seed", "published": "2025-10-12", "title": None, "text": text})
        + "\n"
        + json.dumps(
            {
                "id": "sport",
                "published": None,
                "title": None,
                "text": "The home side won the derby 3-0 on Saturday.",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "pred.jsonl"
    proc = run_cli("extract", str(cases), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    preds = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p["id"] for p in preds] == ["seed", "sport"]
    assert len(preds[0]["events"]) >= 6 and preds[1]["events"] == []
    assert {"event_type", "country", "event_date", "fatalities"} <= set(preds[0]["events"][0])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1]", "line 2: needs an object with an 'id' and a string 'text'"),
        ('{"id": "x", "text": "t", "published": "garbage"}', "line 2: 'published' must be"),
    ],
)
def test_extract_on_a_bad_cases_file_is_a_clear_error(
    tmp_path: Path, line: str, message: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "ok", "text": "Police arrested ten protesters."}\n' + line + "\n")
    out = tmp_path / "p.jsonl"
    proc = run_cli("extract", str(bad), "-o", str(out))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cannot read cases file" in proc.stderr and message in proc.stderr
    assert not out.exists()
