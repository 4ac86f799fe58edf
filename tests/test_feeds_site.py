"""Done-when: `eventpipe ingest-feeds --allow-private-hosts` over a local site of hundreds of
odd and malformed feeds completes cleanly, stores each story once, and a second run adds nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from tasks.extract import EXTRACTOR_VERSION, extract_events

from .livesite import SiteServer, write_config
from .sitegen import build_site
from .test_cli import run_cli

N_FEEDS = 300


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_hundreds_of_odd_feeds_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "wh" / "events.duckdb"
    with SiteServer() as one, SiteServer() as two, SiteServer() as three:
        site = build_site([one, two, three], n_feeds=N_FEEDS)
        # Only loopback URLs anywhere in the site: the flag lets them through, nothing else.
        assert all(str(f["url"]).startswith("http://127.0.0.1:") for f in site.feeds)
        config = write_config(
            tmp_path / "feeds.toml", site.feeds, allow_loopback=False, max_attempts=2
        )
        args = ["ingest-feeds", "--allow-private-hosts", "--config", str(config), "--db", str(db)]
        started = time.monotonic()
        first = run_cli(*args)
        first_s = time.monotonic() - started
        assert first.returncode == 0, first.stderr[-3000:]
        assert "Traceback" not in first.stdout + first.stderr
        articles = _rows(
            db,
            "SELECT article_id, title, text, published_at, author, site_name, language, url"
            " FROM articles",
        )
        events_after_first = _rows(db, "SELECT count(*) FROM events")[0][0]
        started = time.monotonic()
        second = run_cli(*args)
        second_s = time.monotonic() - started
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Traceback" not in second.stdout + second.stderr

    # Each story once, whatever number of feeds and addresses listed it. Generated stories
    # that differ only in a figure or a weekday are near-duplicates of one another
    # (tasks/neardup.py): stored once, and recorded against the one stored.
    near = _rows(db, "SELECT title FROM near_duplicates")
    assert len(articles) + len(near) == len(site.expected_keys)
    assert {a[1] for a in articles} | {n[0] for n in near} >= {
        p.title for p in site.pages if p.text_key in site.expected_keys
    }
    for _id, title, text, published, author, site_name, language, url in articles:
        assert published is not None and author and site_name == "Daily Ledger"
        assert language == "en" and url.startswith("http://127.0.0.1:")
        assert "\ufffd" not in text + title + author  # windows-1252 and latin-1 decoded right
    # Events as good as the coder gives on the same texts.
    stored: dict[str, set[str]] = {}
    for article_id, event_id in _rows(db, "SELECT article_id, event_id FROM events"):
        stored.setdefault(article_id, set()).add(event_id)
    for article_id, title, text, published, *_ in articles:
        expected = {
            e.event_id(article_id, EXTRACTOR_VERSION)
            for e in extract_events(text, published.date(), title)
        }
        assert stored.get(article_id, set()) == expected, title

    outcomes = dict(_rows(db, "SELECT outcome, count(*) FROM fetch_log GROUP BY ALL"))
    assert {
        "fetched",
        "fetched_bozo",
        "not_modified",
        "stored",
        "duplicate_content",
        "bad_feed",
        "client_error",
        "server_error",
        "too_many_redirects",
        "too_large",
        "no_link",
        "no_text",
        "robots_disallowed",
        "bad_content_type",
    } <= set(outcomes)
    assert _rows(db, "SELECT count(*) FROM feeds") == [(N_FEEDS,)]
    runs = _rows(
        db,
        "SELECT status, articles_new, events_stored FROM runs WHERE parent_run_id IS NULL"
        " ORDER BY started_at",
    )
    assert runs == [
        ("completed", len(articles), events_after_first),
        ("completed", 0, 0),
    ]
    # Nothing stored twice.
    assert _rows(db, "SELECT count(*) FROM articles") == [(len(articles),)]
    assert _rows(db, "SELECT count(*) - count(DISTINCT event_id) FROM events") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM events") == [(events_after_first,)]
    assert _rows(db, "SELECT count(*) - count(DISTINCT canonical_url) FROM articles") == [(0,)]
    print(
        f"\n{N_FEEDS} feeds, {len(site.pages)} pages, {len(articles)} articles,"
        f" {events_after_first} events; first run {first_s:.1f} s, second {second_s:.1f} s;"
        f" fetch outcomes {outcomes}"
    )
