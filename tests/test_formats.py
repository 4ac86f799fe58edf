"""`eventpipe export`: ACLED, Parquet and CSV from a real warehouse.

The warehouse is built once per module by the real stages (load, clean, code, store and
link; no Prefect) from the seed and tests/fixtures/formats/articles: a Kenya protest in
July, a Nigeria attack in September, the seed's Afghanistan-Pakistan fighting in
October, verbal acts (talks), and an undated clash, so every filter has something to cut.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pycountry
import pytest

from flows.cli import main
from tasks.clean import clean_docs
from tasks.coding import code_articles
from tasks.load import discover, load_paths
from tasks.models import ACLED_SUB_EVENT_TYPES, ActorType
from tasks.store import store_batch
from warehouse.formats.acled import (
    ACLED_COLUMNS,
    DISORDER_BY_TYPE,
    INTER_CODES,
    NOTE_VERBS,
    disorder_type,
    id_number,
    interaction,
)
from warehouse.formats.countries import ACLED_REGIONS, countries
from warehouse.runs import start_run

from .conftest import FIXTURES, SEED_FILE, read_rows
from .test_cli import run_cli

FORMATS = FIXTURES / "formats"
INPUTS = [SEED_FILE, FORMATS / "articles"]
CODER_COUNTRIES = FIXTURES.parent.parent / "tasks" / "extract" / "data" / "acled_countries.tsv"


def build_warehouse(db: Path) -> Path:
    """The real stages over INPUTS, stored as one batch (what `ingest` does, minus Prefect)."""
    files, _ = discover(INPUTS)
    docs, rejected = load_paths(files)
    articles, unclean = clean_docs(docs)
    coded, failed = code_articles(articles)
    start_run(db, "formats", "test", {})
    counts = store_batch(db, "formats", coded, rejected + unclean + failed)
    assert counts.articles_new == 5
    return db


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("formats") / "events.duckdb")


def export(
    db: Path, *args: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """`eventpipe export ARGS --db DB` in this process, through the console entry point;
    its exit code, stdout and stderr."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["eventpipe", "export", *args, "--db", str(db)])
    with pytest.raises(SystemExit) as ended:
        main()
    out = capsys.readouterr()
    return int(ended.value.code or 0), out.out, out.err


@pytest.fixture
def run(
    warehouse: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Any:
    return lambda *args: export(warehouse, *args, capsys=capsys, monkeypatch=monkeypatch)


def published_columns() -> list[str]:
    lines = (FORMATS / "acled_columns.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


# --- the published layout and ACLED's codes ---------------------------------------------


def test_acleds_columns_are_the_published_list_in_order() -> None:
    assert list(ACLED_COLUMNS) == published_columns()
    assert len(ACLED_COLUMNS) == 31


def test_every_type_we_code_has_acleds_codes() -> None:
    subs = {s for group in ACLED_SUB_EVENT_TYPES.values() for s in group}
    assert set(NOTE_VERBS) == subs
    assert set(DISORDER_BY_TYPE) == set(ACLED_SUB_EVENT_TYPES)
    assert set(INTER_CODES) == set(get_args(ActorType))
    assert sorted(set(INTER_CODES.values())) == list(range(1, 9))
    assert disorder_type("Protests", "Excessive force against protesters") == (
        "Political violence; Demonstrations"
    )
    assert disorder_type("Riots", "Mob violence") == "Political violence"
    assert disorder_type("Riots", "Violent demonstration") == "Demonstrations"
    assert disorder_type("Strategic developments", "Arrests") == "Strategic developments"


@pytest.mark.parametrize(
    ("inter1", "inter2", "expected"),
    [(1, 2, 12), (2, 1, 12), (1, 1, 11), (6, None, 60), (None, 7, 70), (None, None, None)],
)
def test_interaction_is_the_two_codes_smaller_first(
    inter1: int | None, inter2: int | None, expected: int | None
) -> None:
    assert interaction(inter1, inter2) == expected


def test_event_numbers_are_the_ids_hex_and_fit_64_bits() -> None:
    assert id_number("inc-" + "0" * 14 + "1" + "f" * 9) == 1
    assert id_number("inc-2d3beecf7a6d81030d7bc602") == int("2d3beecf7a6d810", 16)
    assert id_number("not hex at all") == id_number("not hex at all") < 2**63


def test_every_iso_country_has_an_acled_region_and_the_coders_name() -> None:
    table = countries()
    assert {c.alpha_3 for c in pycountry.countries} <= set(table)
    assert {c.region for c in table.values()} <= ACLED_REGIONS
    coder = {
        line.split("\t")[0]: line.split("\t")[1]
        for line in CODER_COUNTRIES.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert {code: c.name for code, c in table.items()} == coder
    assert (table["AFG"].numeric, table["AFG"].region) == (4, "South Asia")
    assert (table["KEN"].numeric, table["KEN"].region) == (404, "Eastern Africa")
    assert (table["NGA"].numeric, table["NGA"].region) == (566, "Western Africa")


# --- ACLED export of a real warehouse ------------------------------------------------------


def test_the_seeds_acled_export_reads_in_pandas_with_its_battle(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "acled.csv"
    code, out, err = run("--format", "acled", "-o", str(target))
    assert code == 0, err
    frame = pd.read_csv(target)
    assert list(frame.columns) == published_columns()
    battle = frame[(frame.event_type == "Battles") & (frame.fatalities == 12)]
    assert len(battle) == 1
    row = battle.iloc[0]
    assert (row.iso, row.region, row.country) == (4, "South Asia", "Afghanistan")
    assert row.event_id_cnty.startswith("AFG") and row.event_id_cnty[3:].isdigit()
    assert (row.event_date, row.year, row.time_precision) == ("2025-10-11", 2025, 1)
    assert row.actor1 == "Military Forces of Afghanistan (2021-)"
    assert row.actor2 == "Military Forces of Pakistan"
    assert (row.inter1, row.inter2, row.interaction) == (1, 1, 11)
    assert row.disorder_type == "Political violence"
    assert row.notes.startswith("On 11 October 2025, Military Forces of Afghanistan (2021-)")
    assert row.notes.endswith("; 12 fatalities.")
    assert frame.event_id_cnty.is_unique
    assert frame.timestamp.dtype.kind == "i" and (frame.timestamp > 1_600_000_000).all()
    # The Nigeria attack: civilians targeted; the Kenya protest: demonstrations, by outlet.
    attack = frame[frame.country == "Nigeria"].iloc[0]
    assert (attack.civilian_targeting, attack.fatalities, attack.iso) == (
        "Civilian targeting",
        7,
        566,
    )
    protest = frame[frame.country == "Kenya"].iloc[0]
    assert (protest.disorder_type, protest.source, protest.interaction) == (
        "Demonstrations",
        "Nairobi Star",
        16,
    )
    # Verbal acts and the undated clash are left out, and said so.
    assert "left out" in err and "verbal acts (ACLED codes none)" in err
    assert "1 undated (ACLED rows need a day)" in err
    assert out == ""


def test_acled_left_out_counts_match_the_warehouse(
    run: Any, warehouse: Path, tmp_path: Path
) -> None:
    code, _, err = run("--format", "acled", "-o", str(tmp_path / "a.csv"))
    assert code == 0
    (verbal,) = read_rows(
        warehouse, "SELECT count(*) FROM incidents WHERE acled_event_type IS NULL"
    )[0]
    (undated,) = read_rows(
        warehouse,
        "SELECT count(*) FROM incidents WHERE acled_event_type IS NOT NULL AND event_date IS NULL",
    )[0]
    (total,) = read_rows(warehouse, "SELECT count(*) FROM incidents")[0]
    assert verbal >= 1 and undated == 1
    assert f"{verbal} verbal acts" in err and f"{verbal + undated} left out" in err
    assert len(pd.read_csv(tmp_path / "a.csv")) == total - verbal - undated


def test_event_ids_are_stable_across_exports_and_a_fresh_ingest(
    run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, fresh = (tmp_path / n for n in ("1.csv", "2.csv", "3.csv"))
    assert run("--format", "acled", "-o", str(first))[0] == 0
    assert run("--format", "acled", "-o", str(second))[0] == 0
    again = build_warehouse(tmp_path / "again" / "events.duckdb")
    assert (
        export(
            again, "--format", "acled", "-o", str(fresh), capsys=capsys, monkeypatch=monkeypatch
        )[0]
        == 0
    )
    ids = [list(pd.read_csv(p).event_id_cnty) for p in (first, second, fresh)]
    assert ids[0] == ids[1] == ids[2] and ids[0]


def test_the_events_level_has_a_row_per_report(run: Any, tmp_path: Path) -> None:
    assert run("--format", "acled", "-o", str(tmp_path / "i.csv"))[0] == 0
    code, _, err = run("--format", "acled", "--level", "events", "-o", str(tmp_path / "e.csv"))
    assert code == 0 and "events to" in err
    incidents, events = pd.read_csv(tmp_path / "i.csv"), pd.read_csv(tmp_path / "e.csv")
    assert len(events) >= len(incidents) > 0
    assert set(events.columns) == set(incidents.columns)
    assert events.event_id_cnty.is_unique


@pytest.mark.parametrize(
    ("options", "countries_seen"),
    [
        ((), {"Afghanistan", "Kenya", "Nigeria"}),
        (("--since", "2025-09-01"), {"Afghanistan", "Nigeria"}),
        (("--until", "2025-07-31"), {"Kenya"}),
        (("--since", "2025-09-01", "--until", "2025-09-30"), {"Nigeria"}),
        (("--country", "ken", "--country", "NGA"), {"Kenya", "Nigeria"}),
        (("--country", "AFG", "--since", "2025-10-11", "--until", "2025-10-11"), {"Afghanistan"}),
    ],
)
def test_days_and_countries_cut_the_export(
    run: Any, tmp_path: Path, options: tuple[str, ...], countries_seen: set[str]
) -> None:
    code, out, err = run("--format", "acled", "-o", "-", *options)
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert set(frame.country) == countries_seen
    if "--since" in options:
        assert (frame.event_date >= options[options.index("--since") + 1]).all()


def test_undated_rows_pass_only_without_a_day_filter(run: Any) -> None:
    code, out, _ = run("--format", "csv", "--level", "events", "-o", "-")
    assert code == 0
    every = pd.read_csv(io.StringIO(out))
    assert every.event_date.isna().sum() == 1
    code, out, _ = run("--format", "csv", "--level", "events", "-o", "-", "--until", "2030-01-01")
    assert code == 0
    dated = pd.read_csv(io.StringIO(out))
    assert dated.event_date.notna().all() and len(dated) == len(every) - 1


def test_an_empty_selection_exits_0_and_says_so(run: Any, tmp_path: Path) -> None:
    code, _, err = run(
        "--format", "acled", "-o", str(tmp_path / "none.csv"), "--since", "2031-01-01"
    )
    assert code == 0 and "exported 0 incidents" in err and "holds none" in err
    assert list(pd.read_csv(tmp_path / "none.csv").columns) == published_columns()


# --- bad input: one line, exit 2, nothing written -------------------------------------------


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (("--since", "2025-13-01"), "--since '2025-13-01' is not a day"),
        (("--since", "yesterday"), "is not a day"),
        (("--since", "2025-10-02", "--until", "2025-10-01"), "is after --until"),
        (("--country", "XYZ"), "--country 'XYZ' is not a known ISO 3166 alpha-3 code"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(
    run: Any, tmp_path: Path, options: tuple[str, ...], said: str
) -> None:
    target = tmp_path / "out.csv"
    fmt = () if "--format" in options else ("--format", "acled")
    code, out, err = run(*fmt, *options, "-o", str(target))
    assert code == 2
    assert said in err and len(err.strip().splitlines()) == 1
    assert out == "" and not target.exists() and list(tmp_path.iterdir()) == []


def test_parquet_is_refused_on_stdout_and_acled_in_a_folder(run: Any, tmp_path: Path) -> None:
    code, out, err = run("--format", "parquet", "-o", "-")
    assert code == 2 and "not text" in err and out == ""
    for fmt in ("acled", "gdelt", "gdelt-mentions", "plover"):
        code, _, err = run("--format", fmt, "-o", str(tmp_path))
        assert code == 2 and "is a folder" in err


def test_gdelt_and_plover_through_the_command(run: Any, tmp_path: Path) -> None:
    """The command writes each GDELT table with its published columns and PLOVER as JSON
    Lines, one row per incident, the same incidents as the ACLED export plus verbal acts."""
    fixtures = Path(__file__).parent / "fixtures" / "formats"
    for fmt, columns in (
        ("gdelt", "gdelt_events_columns.txt"),
        ("gdelt-mentions", "gdelt_mentions_columns.txt"),
    ):
        target = tmp_path / f"{fmt}.tsv"
        code, out, err = run("--format", fmt, "--header", "-o", str(target))
        assert code == 0, err
        lines = target.read_text(encoding="utf-8").splitlines()
        names = (fixtures / columns).read_text(encoding="utf-8").split()
        assert lines[0].split("\t") == names
        assert len(lines) > 1 and all(len(line.split("\t")) == len(names) for line in lines)
    code, out, err = run("--format", "plover", "-o", "-")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    code, acled, _ = run("--format", "acled", "-o", "-")
    assert len(records) > len(acled.splitlines()) - 1 > 0
    assert {e for r in records for e in r["event"]} >= {"ASSAULT", "CONSULT"}


# --- our tables: Parquet and CSV -------------------------------------------------------------


def test_parquet_round_trips_with_its_types_by_month(
    run: Any, warehouse: Path, tmp_path: Path
) -> None:
    target = tmp_path / "tables"
    code, _, err = run("--format", "parquet", "-o", str(target))
    assert code == 0, err
    assert sorted(p.name for p in target.iterdir()) == ["articles", "events", "incidents"]
    events = ds.dataset(target / "events", format="parquet", partitioning="hive").to_table()
    schema = events.schema
    assert schema.field("event_date").type == pa.date32()
    assert schema.field("fatalities").type == pa.int32()
    assert schema.field("latitude").type == pa.float64()
    assert schema.field("country").type == pa.string()
    (stored,) = read_rows(warehouse, "SELECT count(*) FROM events_view")[0]
    assert events.num_rows == stored
    months = {p.name for p in (target / "incidents").iterdir()}
    assert {"month=2025-07", "month=2025-09", "month=2025-10"} <= months
    assert "month=__HIVE_DEFAULT_PARTITION__" in months  # the undated clash
    incidents = ds.dataset(target / "incidents", format="parquet", partitioning="hive")
    frame = incidents.to_table().to_pandas()
    (n_incidents,) = read_rows(warehouse, "SELECT count(*) FROM incidents")[0]
    assert len(frame) == n_incidents
    assert frame.month.isna().sum() == 1
    battle = frame[frame.fatalities == 12]
    assert list(battle.acled_event_type) == ["Battles"]
    assert battle.iloc[0].geo_precision in ("point", "admin1", "country")
    assert ds.dataset(target / "articles", format="parquet", partitioning="hive").count_rows() == 5
    # A second export replaces the tables: nothing doubles.
    assert run("--format", "parquet", "-o", str(target), "--country", "KEN")[0] == 0
    kenya = ds.dataset(target / "events", format="parquet", partitioning="hive").to_table()
    assert set(kenya.column("country").to_pylist()) == {"KEN"}


def test_csv_to_a_folder_a_file_and_stdout(run: Any, warehouse: Path, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    assert run("--format", "csv", "-o", str(folder))[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "articles.csv",
        "events.csv",
        "incidents.csv",
    ]
    incidents = pd.read_csv(folder / "incidents.csv", parse_dates=["event_date"])
    (n_incidents,) = read_rows(warehouse, "SELECT count(*) FROM incidents")[0]
    assert len(incidents) == n_incidents
    assert incidents.event_date.dtype.kind == "M"
    assert incidents.fatalities.dtype.kind == "f"  # NULLs: pandas' float
    assert (incidents.fatalities.dropna() % 1 == 0).all()
    assert incidents.latitude.dtype.kind == "f"
    one = tmp_path / "incidents.csv"
    assert run("--format", "csv", "-o", str(one))[0] == 0
    assert one.read_bytes() == (folder / "incidents.csv").read_bytes()
    code, out, _ = run("--format", "csv", "-o", "-", "--level", "events")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:2] == ["event_id", "article_id"] and "outlet" in rows[0]
    assert len(rows) - 1 == len(pd.read_csv(folder / "events.csv"))


@pytest.mark.slow
def test_the_installed_command_exports_to_stdout_quietly(warehouse: Path, tmp_path: Path) -> None:
    ok = run_cli("export", "--format", "acled", "-o", "-", "--db", str(warehouse))
    assert ok.returncode == 0, ok.stderr
    frame = pd.read_csv(io.StringIO(ok.stdout))
    assert frame.shape[1] == 31 and (frame.fatalities == 12).any()
    # Not a terminal: no progress bar, only the summary line.
    assert ok.stderr.strip().splitlines() == [ok.stderr.strip()]
    assert ok.stderr.startswith("exported ")
    bad = run_cli("export", "--format", "acled", "-o", str(tmp_path / "x.csv"), "--since", "soon")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.csv").exists()
