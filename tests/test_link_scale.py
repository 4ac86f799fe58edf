"""Linking and the near-duplicate look-up at scale: what they read, and that it is exact.

Timings are the benchmark's business (`eventpipe bench`, shared noisy machines):
these tests assert what the reads read (DuckDB's profiler: the rows each table scan
read, through an index or not) on real DuckDB files, and that the windowed reads
return exactly what the analysts' views say.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tasks import neardup
from tasks.link import DEFAULT_SETTINGS, incident_id_for, plan_links
from tasks.store import linking
from warehouse import bands, links, synthetic
from warehouse.candidates import candidate_reports, new_reports
from warehouse.db import connect
from warehouse.profile import Scans

FIRST = date(2024, 1, 1)
# DuckDB's row group: the unit its zonemaps let a scan skip.
ROW_GROUP_ROWS = 122_880


def _window(con: Any, country: str | None, lo: date, hi: date) -> set[tuple[str, str]]:
    """(event, incident) of the current events of a country's window, by the views."""
    rows = con.execute(
        "SELECT e.event_id, i.incident_id FROM current_events e"
        " JOIN articles a USING (article_id) JOIN incident_events i USING (event_id)"
        " WHERE e.country IS NOT DISTINCT FROM ?"
        " AND coalesce(e.event_date, a.published_at::DATE) BETWEEN ? AND ?",
        [country, lo, hi],
    ).fetchall()
    return {(r[0], r[1]) for r in rows}


def _muddle(con: Any, last: date) -> None:
    """What a real warehouse holds besides a clean history, in the window's last days:
    articles re-coded by a newer coder (their old events no longer current, the new
    ones stored long after their article), undated events, events stored before
    links existed, and a merge."""
    now = datetime.now(UTC)
    recoded = (
        "SELECT DISTINCT article_id FROM events WHERE event_date = ? ORDER BY article_id LIMIT 20"
    )
    con.execute(
        "INSERT INTO codings (article_id, extractor_version, run_id, events, coded_at)"
        f" SELECT article_id, 'v2', 'recode', 1, ? FROM ({recoded})",
        [now, last],
    )
    con.execute(
        "INSERT INTO events BY NAME SELECT * REPLACE (event_id || '-v2' AS event_id,"
        " 'v2' AS extractor_version, ? AS loaded_at, 'recode' AS run_id)"
        f" FROM events WHERE article_id IN ({recoded})",
        [now, last],
    )
    day_before = last - timedelta(days=1)
    con.execute(
        "UPDATE events SET event_date = NULL WHERE event_id IN"
        " (SELECT event_id FROM events WHERE event_date = ? ORDER BY event_id LIMIT 15)",
        [day_before],
    )
    con.execute(
        "DELETE FROM incident_links WHERE event_id IN (SELECT event_id FROM events"
        " WHERE event_date = ? ORDER BY event_id DESC LIMIT 10)",
        [day_before],
    )
    pair = con.execute(
        "SELECT min(incident_id), max(incident_id) FROM incident_links l"
        " JOIN events e USING (event_id) WHERE e.event_date = ? AND e.country = 'UKR'",
        [last],
    ).fetchone()
    con.execute(
        "INSERT INTO incident_merges VALUES (?, ?, 'merge', ?, 'test')",
        [pair[1], pair[0], now],
    )


def test_the_window_read_returns_what_the_views_hold(db_path: Path) -> None:
    """The reads that skip the rest of the table (stamps, zonemaps, look-ups by key)
    return the window's current events and their incidents exactly, oldest first."""
    n, days = 6_000, 20
    synthetic.build_history(db_path, n, days, FIRST)
    last = FIRST + timedelta(days=days - 1)
    with connect(db_path) as con:
        _muddle(con, last)
    published = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    new: list[dict[str, Any]] = [
        {"event_id": "new-ukr", "country": "UKR", "event_date": last},
        {"event_id": "new-sdn", "country": "SDN", "event_date": last - timedelta(days=3)},
        {"event_id": "new-syr", "country": "SYR", "event_date": None, "published_at": published},
        {"event_id": "new-none", "country": None, "event_date": last},
    ]
    with connect(db_path, read_only=True) as con:
        found = candidate_reports(con, new, window_days=7)
        expected: set[tuple[str, str]] = set()
        for r in new:
            day = r["event_date"] or r["published_at"].date()
            expected |= _window(con, r["country"], day - timedelta(7), day + timedelta(7))
    assert {(r["event_id"], r["incident_id"]) for r in found} == expected
    assert len(expected) > 300
    assert any(r["event_id"].endswith("-v2") for r in found)  # a re-coding's events...
    assert any(r["event_date"] is None for r in found)  # ...undated ones...
    assert any(r["incident_id"] == "inc-" + r["event_id"][:24] for r in found)  # ...unlinked
    times = [r["published_at"] for r in found]
    assert times == sorted(times)  # oldest report first


def test_only_the_incidents_near_a_new_report_are_read_and_the_plan_is_the_same(
    db_path: Path,
) -> None:
    """The linker joins a report to an incident only through one of its reports within
    date_slack_days: handing it only those incidents changes nothing it decides."""
    n, days = 12_000, 20
    synthetic.build_history(db_path, n, days, FIRST)
    chosen = linking(DEFAULT_SETTINGS)
    assert chosen.near_days == DEFAULT_SETTINGS.date_slack_days
    with synthetic.trial_batch(db_path, 600, n, days, FIRST) as (con, ids, at):
        new = new_reports(con, ids, at)
        everything = candidate_reports(con, new, chosen.window_days)
        near = candidate_reports(con, new, chosen.window_days, chosen.near_days)
    assert len(new) == 600 and len(near) < len(everything)
    plan = plan_links(new, near)
    assert plan == plan_links(new, everything)
    founded = {incident_id_for({"event_id": e}) for e in ids}
    assert [x for x in plan.links if x["incident_id"] not in founded]  # some join stored ones


@pytest.mark.slow
def test_linking_reads_a_window_not_the_table(db_path: Path) -> None:
    """Linking a batch into 400,000 stored events reads, from each table, the row group
    or so its window's rows are in: no table is read whole."""
    n, days = 400_000, 400
    synthetic.build_history(db_path, n, days, FIRST)
    scans = Scans()
    with synthetic.trial_batch(db_path, 1000, n, days, FIRST) as (con, ids, at):
        counts = dict(
            con.execute(
                "SELECT 'events', count(*) FROM events UNION ALL"
                " SELECT 'articles', count(*) FROM articles UNION ALL"
                " SELECT 'codings', count(*) FROM codings UNION ALL"
                " SELECT 'incident_links', count(*) FROM incident_links"
            ).fetchall()
        )
        plan = links.link_events(con, "b", at, ids, linking(DEFAULT_SETTINGS), scans=scans)
    assert len(plan.links) == 1000
    assert counts["events"] > 3 * ROW_GROUP_ROWS and counts["incident_links"] >= n
    for table in ("events", "articles", "codings", "incident_links"):
        assert 0 < scans.rows[table] < ROW_GROUP_ROWS, (table, scans.rows[table])
        assert scans.rows[table] < counts[table] / 3, table


def test_merges_are_written_one_hop_from_the_survivor(db_path: Path) -> None:
    at = datetime.now(UTC)
    with connect(db_path) as con:
        con.execute("INSERT INTO incident_merges VALUES ('inc-x', 'inc-a', 'old', ?, 'old')", [at])
        plan = links.LinkPlan(
            links=[{"event_id": "e1", "incident_id": "inc-c", "reason": "r"}],
            merges=[
                {"incident_id": "inc-a", "merged_into": "inc-b", "reason": "r1"},
                {"incident_id": "inc-b", "merged_into": "inc-c", "reason": "r2"},
            ],
        )
        links.write_plan(con, "batch", at, plan)
        merged = con.execute(
            "SELECT incident_id, merged_into FROM incident_merges ORDER BY 1"
        ).fetchall()
    assert merged == [("inc-a", "inc-c"), ("inc-b", "inc-c"), ("inc-x", "inc-c")]


def test_the_band_look_up_goes_through_the_index(db_path: Path) -> None:
    """A batch's band keys are looked up one by one through the ART index on
    article_bands(band) (migration 014): only the matching band rows are read."""
    texts = [
        f"story {i}: " + " ".join(f"w{(i * 7 + k) % 997}" for k in range(80)) for i in range(8)
    ]
    signatures = [neardup.signature(t) for t in texts]
    planted = [(f"copy-{i}", s.minhash, s.bands) for i, s in enumerate(signatures[:3])]
    shape = (neardup.TAG, neardup.BANDS, 8 * neardup.ROWS, neardup.NUM_PERM)
    synthetic.build_signatures(db_path, 5_000, *shape, planted=planted)
    keys = [b for s in signatures for b in s.bands]
    scans = Scans()
    with connect(db_path, read_only=True) as con:
        found = bands.band_candidates(con, keys, scans)
        assert bands.band_candidates(con, []) == []
        brute = con.execute(
            "SELECT DISTINCT article_id FROM article_bands WHERE band IN"
            f" ({', '.join('?' * len(keys))}) ORDER BY 1",
            keys,
        ).fetchall()
    assert (
        [r["article_id"] for r in found] == [r[0] for r in brute] == ["copy-0", "copy-1", "copy-2"]
    )
    assert found[0]["minhash"] == signatures[0].minhash
    assert ("article_bands", "Index Scan") in scans.kinds
    assert ("article_minhash", "Index Scan") in scans.kinds
    assert scans.rows["article_bands"] == 3 * neardup.BANDS  # the planted copies' keys only
