"""GDELT 2.0 (events, mentions) and PLOVER exports from a real warehouse: the seed and two
outlets' reports of one bombing, coded and stored as `eventpipe ingest` does."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from warehouse.errors import UsageError, WarehouseError
from warehouse.formats import cameo, gdelt, plover
from warehouse.formats.selection import Selection, make_selection

from .conftest import FIXTURES, ROOT, SEED_FILE, read_rows

FORMATS = FIXTURES / "formats"


def _names(name: str) -> list[str]:
    return (FORMATS / name).read_text(encoding="utf-8").split()


EVENT_NAMES = _names("gdelt_events_columns.txt")
MENTION_NAMES = _names("gdelt_mentions_columns.txt")
PLOVER_NAMES = _names("plover_fields.txt")
# CAMEO codes are strings (GDELT: "store as a string": 040 is not 40).
CODES = {"EventCode": str, "EventBaseCode": str, "EventRootCode": str}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed and the fixture articles, loaded, cleaned, coded and stored (no Prefect)."""
    from tasks import clean, coding, load, store
    from tasks.load import discover
    from warehouse.runs import start_run

    path = tmp_path_factory.mktemp("formats") / "events.duckdb"
    files, _ = discover([str(SEED_FILE), str(FORMATS / "gdelt_articles")])
    docs, _ = load.load_units(load.work_units(files, 200))
    articles, _ = clean.clean_docs(docs)
    coded, _ = coding.code_articles(articles)
    start_run(path, "seed", "test", {})
    store.store_batch(path, "seed", coded)
    return path


def _export(write: Any, db: Path, selection: Selection, **kwargs: Any) -> tuple[str, Any]:
    out = io.StringIO()
    written = write(db, selection, out, **kwargs)
    return out.getvalue(), written


def _table(text: str, names: list[str]) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(text),
        sep="\t",
        header=None,
        names=names,
        dtype=CODES,
        quoting=csv.QUOTE_NONE,  # GDELT's files hold no quoting
        keep_default_na=True,
    )


def _incident_id(db: Path, where: str) -> str:
    (row,) = read_rows(db, f"SELECT incident_id FROM incidents WHERE {where}")
    return str(row[0])


# --- the published layouts ---------------------------------------------------------------


def test_column_lists_are_the_published_ones() -> None:
    assert list(gdelt.EVENT_COLUMNS) == EVENT_NAMES and len(EVENT_NAMES) == 61
    assert list(gdelt.MENTION_COLUMNS) == MENTION_NAMES and len(MENTION_NAMES) == 16
    assert list(plover.PLOVER_FIELDS) == PLOVER_NAMES and len(PLOVER_NAMES) == 23


def test_events_are_61_tab_separated_fields_and_read_back_with_gdelt_dtypes(db: Path) -> None:
    text, written = _export(gdelt.write_events, db, Selection())
    lines = text.splitlines()
    assert written.rows == len(lines) > 5
    assert all(len(line.split("\t")) == 61 for line in lines)
    table = _table(text, EVENT_NAMES)
    assert len(table) == written.rows
    for column in ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "QuadClass", "IsRootEvent"):
        assert table[column].dtype == "int64", column
    for column in ("FractionDate", "GoldsteinScale", "ActionGeo_Lat", "ActionGeo_Long"):
        assert table[column].dtype == "float64", column
    assert table["AvgTone"].isna().all()  # we compute no tone
    assert table["EventRootCode"].str.fullmatch(r"\d\d").all()
    assert (table["QuadClass"].between(1, 4)).all()
    assert (table["GLOBALEVENTID"] > 0).all() and table["GLOBALEVENTID"].is_unique
    days = pd.to_datetime(table["SQLDATE"].astype(str), format="%Y%m%d")
    assert (table["MonthYear"] == days.dt.year * 100 + days.dt.month).all()
    assert pd.to_datetime(table["DATEADDED"].astype(str), format="%Y%m%d%H%M%S").notna().all()


def test_the_seeds_twelve_dead_clash_is_cameo_fight_material_conflict(db: Path) -> None:
    incident = _incident_id(db, "fatalities = 12")
    table = _table(_export(gdelt.write_events, db, Selection())[0], EVENT_NAMES)
    (row,) = table[table["GLOBALEVENTID"] == gdelt.global_event_id(incident)].to_dict("records")
    assert row["EventRootCode"] == "19" and row["QuadClass"] == 4
    assert row["GoldsteinScale"] < 0
    assert row["Actor2CountryCode"] == "PAK" and row["Actor2Type1Code"] == "MIL"
    assert row["SOURCEURL"] == str(SEED_FILE.relative_to(ROOT)) or row["SOURCEURL"].endswith(
        SEED_FILE.name
    )


def test_two_outlets_reporting_one_bombing_are_one_event_with_two_mentions(db: Path) -> None:
    incident = _incident_id(db, "location = 'Quetta'")
    key = gdelt.global_event_id(incident)
    events = _table(_export(gdelt.write_events, db, Selection())[0], EVENT_NAMES)
    (row,) = events[events["GLOBALEVENTID"] == key].to_dict("records")
    assert (row["NumMentions"], row["NumSources"], row["NumArticles"]) == (2, 2, 2)
    assert row["ActionGeo_Type"] == gdelt.GEO_WORLD_CITY
    assert row["ActionGeo_FullName"] == "Quetta, Balochistan, Pakistan"
    assert row["ActionGeo_CountryCode"] == "PK"  # FIPS 10-4, as GDELT writes it
    assert row["EventRootCode"] == "18" and row["QuadClass"] == 4
    text, written = _export(gdelt.write_mentions, db, Selection())
    assert all(len(line.split("\t")) == 16 for line in text.splitlines())
    mentions = _table(text, MENTION_NAMES)
    assert len(mentions) == written.rows
    for column in ("GLOBALEVENTID", "SentenceID", "ActionCharOffset", "Confidence"):
        assert mentions[column].dtype == "int64", column
    ours = mentions[mentions["GLOBALEVENTID"] == key]
    assert sorted(ours["MentionSourceName"]) == ["dawn.com", "geo.tv"]
    assert (ours["MentionType"] == gdelt.MENTION_WEB).all()
    assert ours["MentionIdentifier"].str.startswith("https://").all()
    assert (ours["SentenceID"] >= 1).all() and ours["Confidence"].between(0, 100).all()
    assert (ours["EventTimeDate"] == row["DATEADDED"]).all()  # the codebook's definition
    assert (ours["InRawText"] == 1).all() and ours["MentionDocTone"].isna().all()


def test_mentions_of_a_local_file_are_citations_with_offsets_inside_the_article(
    db: Path,
) -> None:
    mentions = _table(_export(gdelt.write_mentions, db, Selection())[0], MENTION_NAMES)
    seed = mentions[mentions["MentionIdentifier"].str.endswith(SEED_FILE.name)]
    assert len(seed) > 3 and (seed["MentionType"] == gdelt.MENTION_CITATION).all()
    length = len(SEED_FILE.read_text(encoding="utf-8"))
    assert (seed["MentionDocLen"] <= length).all()
    for column in ("Actor1CharOffset", "Actor2CharOffset", "ActionCharOffset"):
        assert seed[column].between(-1, length).all(), column
    assert (seed["ActionCharOffset"] >= 0).all()


def test_ids_are_stable_across_exports_and_distinct_between_levels(db: Path) -> None:
    first = _export(gdelt.write_events, db, Selection())[0]
    assert _export(gdelt.write_events, db, Selection())[0] == first
    per_event = _table(_export(gdelt.write_events, db, Selection("events"))[0], EVENT_NAMES)
    per_incident = _table(first, EVENT_NAMES)
    assert set(per_event["GLOBALEVENTID"]).isdisjoint(per_incident["GLOBALEVENTID"])
    assert gdelt.global_event_id("inc-abc") == gdelt.global_event_id("inc-abc") < 2**63


def test_the_events_level_has_one_row_per_stored_event(db: Path) -> None:
    (stored,) = read_rows(db, "SELECT count(*) FROM events WHERE event_date IS NOT NULL")
    text, written = _export(gdelt.write_events, db, Selection("events"))
    table = _table(text, EVENT_NAMES)
    assert written.rows == len(table) == stored[0]
    assert (table["NumMentions"] == 1).all()
    quetta = table[table["ActionGeo_FullName"] == "Quetta, Balochistan, Pakistan"]
    assert sorted(quetta["IsRootEvent"]) == [0, 1]  # one report is its incident's main act


def test_header_adds_exactly_one_line(db: Path) -> None:
    for write, names in ((gdelt.write_events, EVENT_NAMES), (gdelt.write_mentions, MENTION_NAMES)):
        bare = _export(write, db, Selection())[0]
        headed = _export(write, db, Selection(), header=True)[0]
        assert headed == "\t".join(names) + "\n" + bare
        assert list(pd.read_csv(io.StringIO(headed), sep="\t", quoting=3).columns) == names


def test_undated_reports_are_left_out_and_counted(db: Path) -> None:
    (undated,) = read_rows(db, "SELECT count(*) FROM incidents WHERE event_date IS NULL")
    assert undated[0] >= 1  # the Zamfara raid, with no day in the text or its metadata
    for write in (gdelt.write_events, gdelt.write_mentions, plover.write_plover):
        written = _export(write, db, Selection())[1]
        assert written.left_out == undated[0]
        assert "no event date" in written.left_out_why


def test_selections_cut_rows(db: Path) -> None:
    every = _table(_export(gdelt.write_events, db, Selection())[0], EVENT_NAMES)
    pakistan = _table(
        _export(gdelt.write_events, db, Selection(countries=("PAK",)))[0], EVENT_NAMES
    )
    assert 0 < len(pakistan) < len(every)
    assert (pakistan["ActionGeo_CountryCode"] == "PK").all()
    recent = make_selection("incidents", "2025-01-01", None, None, set(cameo.countries()))
    later = _table(_export(gdelt.write_events, db, recent)[0], EVENT_NAMES)
    assert 0 < len(later) < len(every) and (later["SQLDATE"] >= 20250101).all()
    mentions = _export(gdelt.write_mentions, db, Selection(countries=("PAK",)))[1]
    assert mentions.rows < _export(gdelt.write_mentions, db, Selection())[1].rows


@pytest.mark.parametrize(
    ("since", "countries", "message"),
    [("2024-13-01", None, "--since '2024-13-01' is not a day"), (None, ["XYZ"], "--country 'XYZ'")],
)
def test_a_bad_day_or_an_unknown_country_is_one_line(
    since: str | None, countries: list[str] | None, message: str
) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        make_selection("incidents", since, None, countries, set(cameo.countries()))
    assert "\n" not in str(caught.value)


# --- CAMEO tables -------------------------------------------------------------------------


def test_every_cameo_code_the_coder_emits_has_a_goldstein_score() -> None:
    triggers = json.loads((ROOT / "tasks/extract/data/triggers.json").read_text("utf-8"))
    codes = {t["cameo"] for t in triggers["triggers"]}
    assert {"190", "195", "040", "030", "1724", "138"} <= codes
    table = cameo.goldstein_table()
    missing = sorted(c for c in codes if c not in table)
    assert missing == []
    assert cameo.goldstein("190") == -10.0 and cameo.goldstein("040") == 1.0
    assert cameo.goldstein("0874") == 10.0  # retreat or surrender: the scale's top


def test_a_four_digit_code_missing_from_the_table_falls_back_to_its_base(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert "1399" not in cameo.goldstein_table()
    assert cameo.goldstein("1399") == cameo.goldstein_table()["139"]
    assert "using 139's Goldstein score" in caplog.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("code\tgoldstein\n190\t-10.0\n190\t-10.0\n", "listed twice"),
        ("code\tgoldstein\n190\t-11\n", "not in \\[-10, 10\\]"),
        ("code\tgoldstein\n21x\t1.0\n", "not a CAMEO event code"),
        ("code\tscore\n190\t-10.0\n", "the header must be code goldstein"),
    ],
)
def test_a_malformed_goldstein_table_is_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "goldstein.tsv"
    path.write_text("# a comment\n" + body, encoding="utf-8")
    with pytest.raises(WarehouseError, match=message):
        cameo.goldstein_table(path)


def test_quad_classes_follow_cameos_roots() -> None:
    assert [cameo.quad_class(c) for c in ("040", "057", "0874", "112", "138", "190")] == [
        1,
        1,
        2,
        3,
        3,
        4,
    ]
    assert cameo.countries()["GBR"].fips == "UK" and cameo.countries()["PAK"].iso2 == "PK"


# --- PLOVER -------------------------------------------------------------------------------


def test_plover_lines_have_the_published_fields_and_read_into_pandas(db: Path) -> None:
    text, written = _export(plover.write_plover, db, Selection())
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == written.rows > 5
    for record in records:
        assert list(record) == PLOVER_NAMES + list(plover.EXTRA_FIELDS)
        assert isinstance(record["source"], list) and isinstance(record["event"], list)
        assert isinstance(record["context"], list) and isinstance(record["mode"], list)
    # pandas reads a whole-number float (-10.0) as an integer unless told the column's type.
    dtypes = {"quad_code": "int64", "event_scale": "float64"}
    table = pd.read_json(io.StringIO(text), lines=True, dtype=dtypes)
    assert len(table) == written.rows
    assert table["date"].astype(str).str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert table["quad_code"].dtype == "int64" and table["event_scale"].dtype == "float64"
    assert set(table["event"].str[0]) >= {"ASSAULT", "CONSULT"}  # verbal acts are kept


def test_plover_record_of_the_bombing_cites_its_reports(db: Path) -> None:
    incident = _incident_id(db, "location = 'Quetta'")
    records = [
        json.loads(x) for x in _export(plover.write_plover, db, Selection())[0].split("\n") if x
    ]
    (record,) = [r for r in records if r["id"] == incident]
    assert record["event"] == ["ASSAULT"] and record["quad_code"] == 4
    assert record["event_loc"]["name"] == "Quetta"
    assert record["event_loc"]["country code"] == "PK" and record["event_loc"]["cc3"] == "PAK"
    assert len(record["event_text"]) == 2  # each outlet's sentence
    assert record["cite_info"]["url"].startswith("https://")
    assert record["text_info"]["start"] >= 0 and record["text_info"]["sequence"] >= 1
    assert record["size"]["dead"] == 5
    clash = _incident_id(db, "fatalities = 12")
    (seed,) = [r for r in records if r["id"] == clash]
    assert seed["size"]["dead"] == 12 and seed["date"] == "2025-10-11"
    events = _export(plover.write_plover, db, Selection("events"))[0].splitlines()
    assert any(json.loads(line)["link"] == incident for line in events)
