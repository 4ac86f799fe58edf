"""The warehouse: numbered migrations applied once, the schema analysts rely on, batch writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tasks.errors import QueryFailed, QueryRefused, WarehouseError
from tasks.models import Article, Event, ExtractedArticle, Rejection
from tasks.store import SETTLED_REJECTIONS, article_row, rejection_row, store_batch
from warehouse import Batch, open_warehouse
from warehouse.db import connect, migrate, migrations, resolve_db_path
from warehouse.query import run_query
from warehouse.runs import finish_run, start_run

# Every event field of ../shared/eval/SCHEMA.md, named exactly as there.
SCHEMA_FIELDS = {
    "event_type",
    "acled_event_type",
    "acled_sub_event_type",
    "actor1",
    "actor1_country",
    "actor1_type",
    "actor2",
    "actor2_country",
    "actor2_type",
    "country",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "event_date",
    "fatalities",
}
PROVENANCE = {
    "event_id",
    "article_id",
    "run_id",
    "event_mode",
    "cameo_code",
    "date_text",
    "date_precision",
    "geo_precision",
    "sentence",
    "char_start",
    "char_end",
    "confidence",
    "extractor_version",
    "loaded_at",
}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
        [table],
    ).fetchall()
    return dict(rows)


def test_migrations_apply_once_and_are_recorded(db_path: Path) -> None:
    with connect(db_path) as con:
        recorded = con.execute("SELECT version, name FROM schema_migrations ORDER BY 1").fetchall()
        assert [v for v, _ in recorded] == [m.version for m in migrations()]
        assert migrate(con) == []
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (
            len(migrations()),
        )


def test_events_table_has_every_schema_field_and_provenance(db_path: Path) -> None:
    with connect(db_path) as con:
        cols = _columns(con, "events")
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert set(cols) >= SCHEMA_FIELDS | PROVENANCE
    assert cols["event_date"] == "DATE"
    assert cols["fatalities"] == "INTEGER"
    assert {
        "articles",
        "events",
        "runs",
        "rejections",
        "events_view",
        "daily_event_counts",
    } <= tables


def test_db_path_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("EVENTPIPE_DB", raising=False)
    assert resolve_db_path().name == "events.duckdb"
    assert resolve_db_path().parent.name == "warehouse"
    monkeypatch.setenv("EVENTPIPE_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path() == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"


def _article(text: str) -> Article:
    return Article("file", f"/data/{text[:8]}.txt", text, published_at=None)


def _event(**fields: object) -> Event:
    base: dict[str, object] = dict(
        event_type="ASSAULT",
        acled_event_type="Battles",
        acled_sub_event_type="Armed clash",
        actor1="army",
        actor1_country="MLI",
        country="MLI",
        event_date=date(2024, 3, 3),
        fatalities=4,
        sentence="The army clashed with militants.",
        char_start=0,
        char_end=32,
    )
    base.update(fields)
    return Event(**base)  # type: ignore[arg-type]


def test_store_batch_is_idempotent_and_counts(db_path: Path) -> None:
    start_run(db_path, "run-1", "test", {})
    a = ExtractedArticle(_article("The army clashed with militants in Mopti."), [_event()], "v1")
    b = ExtractedArticle(_article("Protesters marched in Bamako on Friday."), [], "v1")
    first = store_batch(db_path, "run-1", [a, b, a], [Rejection("x.pdf", "unknown_extension")])
    assert (first.articles_new, first.articles_duplicate, first.events_stored) == (2, 1, 1)
    assert first.articles_rejected == 1
    second = store_batch(db_path, "run-1", [a, b], [])
    assert (second.articles_new, second.articles_duplicate, second.events_stored) == (0, 2, 0)
    finish_run(db_path, "run-1", "completed", first + second)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone() == (
            1,
            1,
        )
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (2,)
        run = con.execute(
            "SELECT status, articles_seen, articles_new, articles_duplicate, events_stored"
            " FROM flow_runs"
        ).fetchone()
        assert run == ("completed", 6, 2, 3, 1)
        # Each batch is a completed child run; every row names one.
        batches = con.execute(
            "SELECT run_id, status, articles_new FROM runs WHERE parent_run_id = 'run-1'"
            " ORDER BY run_id"
        ).fetchall()
        assert batches == [("run-1/b00001", "completed", 2), ("run-1/b00002", "completed", 0)]
        orphans = con.execute(
            "SELECT count(*) FROM (SELECT run_id FROM articles UNION ALL SELECT run_id FROM events"
            " UNION ALL SELECT run_id FROM rejections)"
            " WHERE run_id NOT IN (SELECT run_id FROM runs WHERE status = 'completed')"
        ).fetchone()
        assert orphans == (0,)
        view = con.execute("SELECT article_source, event_type FROM events_view").fetchall()
        assert view == [(a.article.source, "ASSAULT")]


def test_every_settled_input_is_remembered_by_its_raw_hash(db_path: Path) -> None:
    """Stored, duplicate (in the batch, against the warehouse, by a race) and rejected."""
    start_run(db_path, "run-1", "test", {})
    text = "The army clashed with militants in Mopti."

    def copy(raw: str) -> Article:
        return Article("file", f"/data/{raw}.html", text, raw_sha256=raw * 64)

    stored, repeat, known = copy("a"), copy("b"), copy("c")
    coded = [ExtractedArticle(stored, [_event()], "v1"), ExtractedArticle(repeat, [], "v1")]
    refused = [
        Rejection("/data/d.html", "no_text", raw_sha256="d" * 64),
        Rejection("/data/e.html", "bad_html", raw_sha256="e" * 64),  # a parser crash: not settled
        Rejection("/data/x.pdf", "unknown_extension"),  # never read: no raw hash
    ]
    counts = store_batch(db_path, "run-1", coded, refused, duplicates=[known])
    assert (counts.articles_new, counts.articles_duplicate, counts.articles_rejected) == (1, 2, 3)
    # Another writer stored the text between this batch's look-up and its write.
    late = store_batch(db_path, "run-1", [ExtractedArticle(copy("f"), [], "v1")])
    assert (late.articles_new, late.articles_duplicate) == (0, 1)
    with connect(db_path) as con:
        rows = con.execute(
            "SELECT left(raw_sha256, 1), outcome, article_id, reason, run_id"
            " FROM settled_inputs ORDER BY 1"
        ).fetchall()
    aid = stored.article_id
    assert rows == [
        ("a", "stored", aid, None, "run-1/b00001"),
        ("b", "duplicate", aid, None, "run-1/b00001"),
        ("c", "duplicate", aid, None, "run-1/b00001"),
        ("d", "rejected", None, "no_text", "run-1/b00001"),
        ("f", "duplicate", aid, None, "run-1/b00002"),
    ]
    look_up = open_warehouse(db_path).settled_raw_hashes
    assert look_up([c * 64 for c in "abcdefz"], SETTLED_REJECTIONS) == {c * 64 for c in "abcdf"}


def test_inputs_settled_before_migration_11_are_still_skipped(db_path: Path) -> None:
    """A warehouse written before `settled_inputs`: the raw hashes on its rows still count."""
    start_run(db_path, "run-1", "test", {})
    article = Article(
        "file", "/data/g.html", "Police arrested ten protesters.", raw_sha256="g" * 64
    )
    legacy = Batch(  # as the writer wrote them before: no settled rows
        articles=[article_row(article)],
        rejections=[
            rejection_row(Rejection("/data/h.html", "empty", raw_sha256="h" * 64)),
            rejection_row(Rejection("/data/i.html", "bad_html", raw_sha256="i" * 64)),
        ],
    )
    open_warehouse(db_path).write_batch("run-1", legacy)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM settled_inputs").fetchone() == (0,)
    found = open_warehouse(db_path).settled_raw_hashes(
        ["g" * 64, "h" * 64, "i" * 64], SETTLED_REJECTIONS
    )
    assert found == {"g" * 64, "h" * 64}


def test_a_failing_batch_leaves_the_warehouse_as_it_was(db_path: Path) -> None:
    start_run(db_path, "run-1", "test", {})
    good = ExtractedArticle(_article("The army clashed with militants in Mopti."), [_event()], "v1")
    store_batch(db_path, "run-1", [good], [])
    with connect(db_path) as con:
        before = {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("articles", "events", "rejections")
        }
    # An event with no type breaks the NOT NULL constraint after the article row went in.
    broken = ExtractedArticle(
        _article("Gunmen attacked a village near Gao on Sunday."),
        [_event(), _event(event_type=None, char_start=5)],
        "v1",
    )
    with pytest.raises(WarehouseError, match="warehouse unchanged"):
        store_batch(db_path, "run-1", [broken], [Rejection("y.txt", "empty")])
    with connect(db_path) as con:
        after = {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("articles", "events", "rejections")
        }
    assert after == before


def test_event_ids_are_deterministic() -> None:
    assert _event().event_id("a1", "v1") == _event().event_id("a1", "v1")
    assert _event().event_id("a1", "v1") != _event().event_id("a2", "v1")
    assert _event().event_id("a1", "v1") != _event(fatalities=5).event_id("a1", "v1")


def test_query_refuses_writes_and_changes_nothing(db_path: Path) -> None:
    start_run(db_path, "run-1", "test", {})
    for sql in (
        "DELETE FROM runs",
        "DROP TABLE runs",
        "SELECT 1; DELETE FROM runs",
        "COPY runs TO 'x.csv'",
        "ATTACH 'other.duckdb'",
        "INSERT INTO runs SELECT * FROM runs",
        "/* note */ EXPLAIN ANALYZE COPY (SELECT 42) TO 'pwned.csv'",
        "INSTALL httpfs",
    ):
        with pytest.raises(QueryRefused, match="only reads"):
            run_query(sql, db_path)
    assert run_query("SELECT count(*) AS n FROM runs", db_path).records() == [{"n": 1}]


def test_query_on_a_missing_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse at"):
        run_query("SELECT 1", tmp_path / "none.duckdb")
    assert not (tmp_path / "none.duckdb").exists()


def test_closed_vocabularies_are_enforced_by_the_warehouse(db_path: Path) -> None:
    with connect(db_path) as con, pytest.raises(duckdb.ConstraintException):
        con.execute(
            "INSERT INTO events (event_id, article_id, run_id, event_type, extractor_version,"
            " loaded_at) VALUES ('e', 'a', 'r', 'KILL', 'v', now())"
        )


def test_events_outside_the_vocabularies_are_named() -> None:
    assert _event().problems() == []
    bad = _event(event_type="KILL", actor1_type="army", acled_sub_event_type="Peaceful protest")
    assert bad.problems() == [
        "event_type 'KILL' is not a PLOVER type",
        "actor1_type 'army' is not an actor type",
        "acled_sub_event_type 'Peaceful protest' does not belong to 'Battles'",
    ]


def test_query_reads_the_warehouse_and_nothing_else(db_path: Path, tmp_path: Path) -> None:
    start_run(db_path, "run-1", "test", {})
    outside = tmp_path / "secret.txt"
    outside.write_text("not for analysts' SQL")
    with pytest.raises(QueryFailed, match="disabled by configuration"):
        run_query(f"SELECT * FROM read_text('{outside}')", db_path)
    assert run_query("SELECT run_id FROM runs WHERE run_id = ?", db_path, ["run-1"]).rows == [
        ("run-1",)
    ]


def test_sql_vocabularies_match_the_typed_ones(db_path: Path) -> None:
    """The CHECK lists in the migrations and the Literal types must not drift apart."""
    from typing import get_args

    from tasks.models import ACLED_SUB_EVENT_TYPES, ActorType, PloverType, RejectReason

    sql = "".join(m.sql for m in migrations())
    vocabularies = [
        *get_args(PloverType),
        *get_args(ActorType),
        *get_args(RejectReason),
        *ACLED_SUB_EVENT_TYPES,
        *(s for subs in ACLED_SUB_EVENT_TYPES.values() for s in subs),
    ]
    assert [v for v in vocabularies if f"'{v}'" not in sql] == []


def test_codings_keep_their_rows_through_migration_9(db_path: Path) -> None:
    """009 rebuilds codings for the cut and the timeout flag: earlier rows are kept."""
    db_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(db_path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    for mig in migrations():
        if mig.version < 9:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mig.version, mig.name],
            )
    con.execute("INSERT INTO codings VALUES ('a1', 'v1', 'r1', 3, '2025-07-01 12:00:00+00')")
    assert 9 in migrate(con)
    assert con.execute(
        "SELECT article_id, events, coded_chars, flag FROM latest_codings"
    ).fetchall() == [("a1", 3, None, None)]
    con.execute("UPDATE codings SET flag = 'coding_timeout'")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE codings SET flag = 'slow'")
    con.close()
