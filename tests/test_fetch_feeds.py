"""Feeds file, feed parsing (bytes only), page decoding and canonical URLs: no network."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import get_args

import duckdb
import pytest

from tasks.errors import EventpipeError
from tasks.fetch.feeds import DEFAULT_CONFIG, FeedConfig, load_config, parse_feed
from tasks.fetch.pages import canonical_url, decode_html, read_page
from tasks.models import Article
from tasks.records import FetchOutcome, FetchRecord
from warehouse.db import migrate, migrations

from .conftest import FIXTURES
from .livesite import write_config

FEEDS = FIXTURES / "feeds"
PAGES = FIXTURES / "pages"
BASE = "http://127.0.0.1:8000"
FEED = FeedConfig(f"{BASE}/world.rss", language="en")


def _fixture_feed(name: str) -> bytes:
    return (FEEDS / name).read_text(encoding="utf-8").replace("{base}", BASE).encode("utf-8")


def test_the_seed_feeds_file_loads() -> None:
    config = load_config(None)
    assert config.problems == []
    assert len(config.feeds) >= 5
    assert all(f.url.startswith("https://") and f.name for f in config.feeds)
    assert config.settings.allow_private_hosts is False
    assert DEFAULT_CONFIG.name == "feeds.toml"


def test_bad_feed_tables_are_records_and_the_rest_load(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "feeds.toml",
        [
            {"url": f"{BASE}/a.rss", "name": "A", "interval_minutes": 30},
            {"url": f"{BASE}/a.rss", "name": "A again"},
            {"name": "no url"},
            {"url": "ftp://example.org/feed"},
            {"url": f"{BASE}/b.rss", "colour": "red"},
            {"url": f"{BASE}/c.rss", "interval_minutes": -5},
            {"url": f"{BASE}/d.rss", "name": 7},
        ],
    )
    config = load_config(path)
    assert [f.url for f in config.feeds] == [f"{BASE}/a.rss"]
    assert config.feeds[0].interval_minutes == 30
    assert sorted(p.outcome for p in config.problems) == [
        "bad_config",
        "bad_config",
        "bad_config",
        "bad_config",
        "bad_url",
    ]
    assert config.settings.per_host_delay_seconds == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[feeds]\nurl = 1", "not valid TOML"),
        ("[fetch]\nspeed = 3\n", "unknown [fetch] setting 'speed'"),
        ("[fetch]\nallow_private_hosts = 'yes'\n", "wrong type"),
        ("[fetch]\nread_timeout = -1\n", "must not be negative"),
        ("feeds = 3\n", "must be an array"),
        ("[fetch]\nallowed_addresses = ['localhost']\n", "does not appear to be an IPv4 or IPv6"),
    ],
)
def test_a_bad_feeds_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(text)
    with pytest.raises(EventpipeError, match=message.replace("[", r"\[")):
        load_config(path)
    with pytest.raises(EventpipeError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_the_allow_option_overrides_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path / "f.toml", [], allow_private_hosts=False)
    assert load_config(path, allow_private_hosts=True).settings.allow_private_hosts is True
    assert load_config(path, allow_private_hosts=None).settings.allow_private_hosts is False


def test_rss_entries() -> None:
    parsed = parse_feed(_fixture_feed("world.rss"), "application/rss+xml", FEED.url, FEED)
    assert not parsed.bozo and parsed.version == "rss20"
    assert parsed.without_link == 1
    first = parsed.entries[0]
    assert first.url == f"{BASE}/news/mali_attack.html?utm_source=rss&utm_medium=feed"
    assert first.author == "Aminata Diallo" and first.feed_url == FEED.url
    assert (
        first.published is not None and first.published.isoformat() == "2025-03-16T08:15:00+00:00"
    )
    assert [e.title for e in parsed.entries][2] == "Watch: the week in pictures"


def test_atom_entries_with_relative_links() -> None:
    feed = FeedConfig(f"{BASE}/feeds/world.atom")
    parsed = parse_feed(_fixture_feed("world.atom"), "application/atom+xml", feed.url, feed)
    assert parsed.version == "atom10" and not parsed.bozo
    assert [e.url for e in parsed.entries] == [
        f"{BASE}/news/lyon_protest.html",
        f"{BASE}/news/mali_attack.html#comments",
    ]
    assert parsed.entries[0].author == "Renée Lefèvre"
    assert parsed.entries[1].published is not None  # from <updated>


def test_a_malformed_feed_with_usable_entries_is_used_and_flagged() -> None:
    parsed = parse_feed(_fixture_feed("malformed.rss"), "application/rss+xml", FEED.url, FEED)
    assert parsed.bozo and parsed.bozo_reason
    assert [e.url for e in parsed.entries] == [
        f"{BASE}/news/sudan_talks.html",
        f"{BASE}/news/lyon_protest.html",
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body><h1>Not a feed</h1><p>Just a page.</p></body></html>",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        b"<rss><channel><item><title>cut off",
        str(FEEDS / "world.rss").encode(),  # a path: feedparser must not open it
        b"http://127.0.0.1:9/feed.xml",  # a URL: feedparser must not fetch it
    ],
)
def test_bytes_that_are_no_feed_give_no_entries(body: bytes) -> None:
    parsed = parse_feed(body, "text/xml", FEED.url, FEED)
    assert parsed.entries == []


def test_decode_by_meta_charset_http_charset_and_guess() -> None:
    lyon = (PAGES / "lyon_protest.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        lyon.decode("utf-8")
    text, charset = decode_html(lyon, "text/html")
    assert charset == "cp1252" and "Renée Lefèvre" in text and "government’s" in text
    latin = "<html><body><p>Zürich, São Paulo, Ærø</p></body></html>".encode("latin-1")
    assert decode_html(latin, "text/html; charset=ISO-8859-1")[0].count("ü") == 1
    assert decode_html("<p>Kraków</p>".encode(), "text/html")[0] == "<p>Kraków</p>"
    assert decode_html(b"\xef\xbb\xbf<p>bom</p>")[0] == "<p>bom</p>"
    bogus = decode_html("<p>Zürich</p>".encode(), "text/html; charset=no-such-charset")
    assert bogus[0] == "<p>Zürich</p>"


def test_a_non_utf8_page_is_stored_correctly() -> None:
    from tasks.fetch.feeds import Entry

    entry = Entry(f"{BASE}/news/lyon_protest.html")
    article = read_page(
        entry, entry.url, (PAGES / "lyon_protest.html").read_bytes(), "text/html", "url"
    )
    assert isinstance(article, Article)
    assert article.author == "Renée Lefèvre" and article.site_name == "Rhône Courier"
    assert "Thérèse Girard" in article.text and "\ufffd" not in article.text
    assert article.published_at is not None and article.published_at.year == 2025
    stub = read_page(
        Entry(f"{BASE}/stub"),
        f"{BASE}/stub",
        (PAGES / "stub.html").read_bytes(),
        "text/html",
        "url",
    )
    assert isinstance(stub, FetchRecord) and stub.outcome == "no_text"


def test_canonical_urls() -> None:
    assert (
        canonical_url("HTTP://Example.COM:80/a/b?utm_source=x&id=3#top")
        == "http://example.com/a/b?id=3"
    )
    assert (
        canonical_url(f"{BASE}/news/a.html?story=1&page=2") == f"{BASE}/news/a.html?page=2&story=1"
    )
    assert canonical_url("javascript:alert(1)") is None
    assert canonical_url("mailto:desk@example.org") is None


def test_fetch_outcomes_match_the_sql_vocabulary() -> None:
    """The fetch_log CHECK list (after every migration) and the FetchOutcome Literal agree."""
    con = duckdb.connect()
    migrate(con)
    (check,) = con.execute(
        "SELECT expression FROM duckdb_constraints()"
        " WHERE table_name = 'fetch_log' AND expression LIKE '(outcome IN%'"
    ).fetchone() or ("",)
    assert set(re.findall(r"'([a-z_]+)'", check)) == set(get_args(FetchOutcome))


@pytest.mark.parametrize("command", ["ingest-feeds", "ingest-urls"])
def test_live_commands_have_help(command: str) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "--allow-private-hosts" in result.output


def test_saved_html_pages_keep_their_author_and_site() -> None:
    from tasks.clean import clean_doc
    from tasks.load import load_paths

    docs, _ = load_paths([FIXTURES / "articles" / "sahel_attack.html"])
    article = clean_doc(docs[0])
    assert isinstance(article, Article)
    assert (article.author, article.site_name) == ("Staff Reporter", "example.org")


def test_a_feed_is_polled_when_its_interval_has_passed() -> None:
    from datetime import UTC, datetime, timedelta

    from tasks.fetch.crawl import is_due
    from tasks.models import FeedState

    now = datetime(2025, 7, 1, 12, tzinfo=UTC)
    hourly = FeedConfig(f"{BASE}/a.rss", interval_minutes=60)
    polled = FeedState('"v1"', None, now - timedelta(minutes=30))
    assert not is_due(hourly, polled, now)
    assert is_due(hourly, FeedState(None, None, now - timedelta(minutes=61)), now)
    assert is_due(hourly, None, now)
    assert is_due(FeedConfig(f"{BASE}/b.rss"), polled, now)  # no interval: every run


def test_an_unreadable_robots_txt_is_a_failure_for_now_not_for_good() -> None:
    from tasks.records import ROBOTS_UNAVAILABLE, FetchRecord, is_transient

    later = FetchRecord("page", "https://a.example/x", "robots_disallowed", ROBOTS_UNAVAILABLE)
    never = FetchRecord("page", "https://a.example/y", "robots_disallowed", "Disallow: /y")
    assert is_transient(later) and not is_transient(never)
    assert is_transient(FetchRecord("page", "https://a.example/z", "timeout", "slow"))


def _punycode_bomb(size: int) -> bytes:
    """Bytes punycode's decoder spends minutes on: ASCII, one '-', then base-36 digits."""
    return b"a" * (size // 2) + b"-" + b"b" * (size // 2)


def test_a_page_declaring_punycode_is_read_quickly() -> None:
    """A charset that is no document encoding is ignored (punycode took 70 s on 1.6 MB)."""
    from tasks.fetch.charsets import document_codec

    head = b'<html><head><meta charset="punycode"><title>T</title></head><body><p>Hello</p>'
    body = head + _punycode_bomb(1024 * 1024)
    started = time.monotonic()
    text, charset = decode_html(body, "text/html; charset=punycode")
    assert time.monotonic() - started < 10
    assert charset == "utf-8" and text.startswith("<html>")
    for name in (
        "punycode",
        "idna",
        "rot13",
        "uu",
        "zlib",
        "base64",
        "hex",
        "bz2",
        "unicode_escape",
    ):
        assert document_codec(name) is None, name
    assert document_codec("Windows-1252") == "cp1252" and document_codec("latin1") == "iso8859-1"


def test_a_feed_declaring_punycode_is_read_quickly() -> None:
    rss = _fixture_feed("world.rss")
    declared = rss.replace(b'encoding="UTF-8"', b'encoding="punycode"', 1)
    assert declared != rss
    body = declared + b"<!--" + _punycode_bomb(600 * 1024) + b" -->"
    for content_type in ("application/rss+xml; charset=punycode", "application/rss+xml"):
        started = time.monotonic()
        parsed = parse_feed(body, content_type, FEED.url, FEED)
        assert time.monotonic() - started < 10
        assert len(parsed.entries) == len(
            parse_feed(rss, "application/rss+xml", FEED.url, FEED).entries
        )


def test_the_fetch_log_keeps_its_rows_through_migration_8(db_path: Path) -> None:
    """008 rebuilds fetch_log for the new outcomes: rows written before it are all kept."""
    db_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(db_path))
    for mig in migrations():
        if mig.version < 8:
            con.execute(mig.sql)
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER"
                " PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ"
                " NOT NULL DEFAULT current_timestamp)"
            )
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mig.version, mig.name],
            )
    row = [
        "r1",
        "page",
        "http://a.example/1",
        None,
        None,
        None,
        "timeout",
        None,
        "slow",
        3,
        None,
        None,
        "2025-07-01 12:00:00+00",
    ]
    con.execute(f"INSERT INTO fetch_log VALUES ({', '.join('?' * len(row))})", row)
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE fetch_log SET outcome = 'dns_error'")
    assert migrate(con)[0] == 8  # and the later ones
    assert con.execute("SELECT run_id, outcome, detail, attempts FROM fetch_log").fetchall() == [
        ("r1", "timeout", "slow", 3)
    ]
    con.execute("UPDATE fetch_log SET outcome = 'dns_error'")
    con.execute("UPDATE fetch_log SET outcome = 'budget_exceeded'")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE fetch_log SET outcome = 'no_such_outcome'")
    con.close()


def test_the_fetch_budgets_come_from_the_fetch_table(tmp_path: Path) -> None:
    config = write_config(tmp_path / "f.toml", [], host_budget_seconds=5, run_budget_seconds=60.5)
    settings = load_config(config).settings
    assert (settings.host_budget_seconds, settings.run_budget_seconds) == (5, 60.5)
    with pytest.raises(EventpipeError, match="must not be negative"):
        load_config(write_config(tmp_path / "g.toml", [], host_budget_seconds=-1))
