"""Feed and page flows, end to end: a real server on 127.0.0.1, real Prefect runs, real DuckDB."""

from __future__ import annotations

import gzip
import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.live import ingest_feeds, ingest_urls
from tasks.extract import EXTRACTOR_VERSION, extract_events

from .conftest import FIXTURES, shared_or_skip
from .livesite import Reply, Route, SiteServer, write_config

pytestmark = [pytest.mark.usefixtures("prefect_api", "only_loopback"), pytest.mark.slow]

HTML = {"Content-Type": "text/html; charset=utf-8"}
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def _rows(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _artifact_rows(key: str, run_id: str) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )
    (mine,) = [a for a in found if str(a.flow_run_id) == run_id]
    data = mine.data
    return json.loads(data) if isinstance(data, str) else data  # type: ignore[return-value]


def _conditional(body: bytes, etag: str, content_type: str) -> Route:
    """A route answering 304 to If-None-Match with its ETag, else the body with the ETag."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        same = handler.headers.get("If-None-Match") == etag
        handler.send_response(304 if same else 200)
        handler.send_header("ETag", etag)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", "0" if same else str(len(body)))
        handler.end_headers()
        if not same:
            handler.wfile.write(body)

    return route


def _serve_fixtures(site: SiteServer) -> None:
    for name in ("world.rss", "world.atom", "malformed.rss"):
        text = (FIXTURES / "feeds" / name).read_text(encoding="utf-8")
        body = text.replace("{base}", site.base).encode("utf-8")
        kind = "application/atom+xml" if name.endswith("atom") else "application/rss+xml"
        site.routes[f"/{name}"] = _conditional(body, f'"{name}-v1"', kind)
    for page in (FIXTURES / "pages").glob("*.html"):
        headers = {"Content-Type": "text/html"}  # the charset is the page's to say
        site.routes[f"/news/{page.name}"] = Reply(200, page.read_bytes(), headers)
    site.routes["/robots.txt"] = Reply(200, ROBOTS, {"Content-Type": "text/plain"})


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        _serve_fixtures(server)
        yield server


def test_feeds_end_to_end_then_nothing_new(site: SiteServer, db_path: Path, tmp_path: Path) -> None:
    feeds = [
        {"url": site.url("/world.rss"), "name": "World Desk", "country": "GBR", "language": "en"},
        {"url": site.url("/world.atom"), "name": "Europe Desk"},
        {"url": site.url("/malformed.rss"), "name": "Broken wire"},
    ]
    config = write_config(tmp_path / "feeds.toml", feeds)
    first = ingest_feeds(str(config), db=str(db_path))
    assert (first.counts.articles_new, first.counts.articles_rejected) == (3, 1)
    assert first.counts.events_stored > 0

    articles = {
        r[0].rsplit("/", 1)[1]: r
        for r in _rows(
            db_path,
            "SELECT url, title, author, published_at, site_name, language, source_kind, source,"
            " canonical_url, article_id, text FROM articles",
        )
    }
    assert sorted(articles) == ["lyon_protest.html", "mali_attack.html", "sudan_talks.html"]
    mali = articles["mali_attack.html"]
    assert mali[1:3] == ("Gunmen kill nine villagers in central Mali attack", "Aminata Diallo")
    assert mali[3].isoformat().startswith("2025-03-16T08:15:00")  # the entry's date, not the page's
    assert mali[4:7] == ("Sahel Monitor", "en", "feed")
    assert mali[7] == site.url("/world.rss")
    assert mali[8] == site.url("/news/mali_attack.html")  # trackers and fragment gone
    lyon = articles["lyon_protest.html"]
    assert lyon[2] == "Renée Lefèvre" and lyon[4] == "Rhône Courier"  # a windows-1252 page
    assert "Thérèse Girard" in lyon[10]

    # The stored events are what the coder gives on the same text.
    for _url, title, *_rest, article_id, text in articles.values():
        published = _rows(
            db_path, "SELECT published_at FROM articles WHERE article_id = ?", [article_id]
        )[0][0]
        expected = {
            e.event_id(article_id, EXTRACTOR_VERSION)
            for e in extract_events(text, published.date(), title)
        }
        stored = _rows(db_path, "SELECT event_id FROM events WHERE article_id = ?", [article_id])
        assert {r[0] for r in stored} == expected

    log = _rows(db_path, "SELECT kind, url, outcome, detail FROM fetch_log ORDER BY ALL")
    outcomes = {(k, u.replace(site.base, ""), o) for k, u, o, _ in log}
    assert ("feed", "/malformed.rss", "fetched_bozo") in outcomes
    assert ("feed", "/world.rss", "no_link") in outcomes
    assert ("page", "/news/stub.html", "no_text") in outcomes
    assert sum(o == "stored" for _, _, o, _ in log) == 3
    feeds_rows = _rows(db_path, "SELECT feed_url, etag, bozo, last_outcome FROM feeds ORDER BY 1")
    assert [(f.replace(site.base, ""), e, b) for f, e, b, _ in feeds_rows] == [
        ("/malformed.rss", '"malformed.rss-v1"', True),
        ("/world.atom", '"world.atom-v1"', False),
        ("/world.rss", '"world.rss-v1"', False),
    ]
    assert site.hits("/robots.txt") == 1  # once per host per run
    artifact = _artifact_rows("ingest-feeds-summary", first.run_id)
    assert artifact[-1]["source"] == "TOTAL" and artifact[-1]["new"] == 3
    by_feed = {row["source"].replace(site.base, ""): row for row in artifact[:-1]}
    assert by_feed["/world.rss"]["outcome"] == "fetched" and by_feed["/world.rss"]["entries"] == 3
    assert by_feed["/malformed.rss"]["outcome"] == "fetched_bozo"

    second = ingest_feeds(str(config), db=str(db_path))
    assert (second.counts.articles_new, second.counts.events_stored) == (0, 0)
    assert second.outcomes["not_modified"] == 3
    assert site.hits("/news/mali_attack.html") == 1 and site.hits("/news/stub.html") == 1
    assert _rows(db_path, "SELECT count(*) FROM articles") == [(3,)]
    runs = _rows(
        db_path,
        "SELECT status, articles_new FROM runs WHERE parent_run_id IS NULL ORDER BY started_at",
    )
    assert runs[-2:] == [("completed", 3), ("completed", 0)]
    sent = [h.get("if-none-match") for p, h in site.requests if p == "/world.rss"]
    assert sent == [None, '"world.rss-v1"']


def _hang(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(3)


def _flaky(status: int, headers: dict[str, str]) -> Route:
    """A route failing once with `status`, then serving a page."""
    calls = itertools.count()
    lock = threading.Lock()
    page = (FIXTURES / "pages" / "sudan_talks.html").read_bytes()

    def route(handler: BaseHTTPRequestHandler) -> None:
        with lock:
            n = next(calls)
        body = page if n else b"busy"
        handler.send_response(200 if n else status)
        for key, value in {**HTML, **({} if n else headers)}.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def _rss(base: str, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{link}</title><link>{base}{link}</link></item>" for link in links
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


def test_bad_input_is_recorded_per_url_and_the_run_goes_on(
    site: SiteServer, db_path: Path, tmp_path: Path
) -> None:
    with SiteServer() as slow:
        slow.routes["/hang.rss"] = _hang
        site.routes["/rate.html"] = _flaky(429, {"Retry-After": "1"})
        site.routes["/flaky.html"] = _flaky(500, {})
        bomb = gzip.compress(b" " * (30 * 1024 * 1024))
        site.routes["/bomb.html"] = Reply(200, bomb, {**HTML, "Content-Encoding": "gzip"})
        site.routes["/private.html"] = Reply(302, b"", {"Location": "http://10.0.0.1/secret"})
        site.routes["/meta.html"] = Reply(302, b"", {"Location": "http://169.254.169.254/"})
        site.routes["/photo.jpg"] = Reply(
            200, b"\xff\xd8\xff\xe0" * 64, {"Content-Type": "image/jpeg"}
        )
        site.routes["/private/page.html"] = Reply(200, b"<p>secret</p>", HTML)
        site.routes["/not-a-feed"] = Reply(200, b"<html><body><p>Hello</p></body></html>", HTML)
        site.routes["/empty.rss"] = Reply(200, b"", {"Content-Type": "application/rss+xml"})
        links = [
            "/rate.html",
            "/flaky.html",
            "/bomb.html",
            "/private.html",
            "/meta.html",
            "/photo.jpg",
            "/private/page.html",
            "/missing.html",
        ]
        site.routes["/mixed.rss"] = Reply(200, _rss(site.base, links), {"Content-Type": "text/xml"})
        feeds = [
            {"url": site.url("/mixed.rss")},
            {"url": slow.url("/hang.rss")},
            {"url": site.url("/not-a-feed")},
            {"url": site.url("/empty.rss")},
            {"url": site.url("/gone.rss")},
            {"url": "http://10.0.0.1/feed.rss"},
            {"name": "no url here"},
        ]
        config = write_config(
            tmp_path / "feeds.toml",
            feeds,
            read_timeout=1,
            total_timeout=3,
            max_attempts=2,
            max_body_bytes=2 * 1024 * 1024,
        )
        slow.routes["/robots.txt"] = Reply(404, b"")
        started = time.monotonic()
        result = ingest_feeds(str(config), db=str(db_path))
        elapsed = time.monotonic() - started
    assert elapsed < 20
    log = {
        u.replace(site.base, "").replace(slow.base, ""): (o, s, a)
        for u, o, s, a in _rows(
            db_path,
            "SELECT url, outcome, http_status, attempts FROM fetch_log WHERE outcome <> 'no_link'",
        )
    }
    assert log["/rate.html"] == ("stored", 200, 2)
    assert log["/flaky.html"][0] == "duplicate_content"  # the same page text as rate.html
    assert log["/flaky.html"][2] == 2
    assert log["/bomb.html"][0] == "too_large"
    assert log["/private.html"][0] == "blocked_address"
    assert log["/meta.html"][0] == "blocked_address"
    assert log["/photo.jpg"][0] == "bad_content_type"
    assert log["/private/page.html"][0] == "robots_disallowed"
    assert log["/missing.html"] == ("client_error", 404, 1)
    assert log["/hang.rss"][0:3:2] == ("timeout", 2)
    assert log["/not-a-feed"][0] == "bad_feed"
    assert log["/empty.rss"][0] == "bad_feed"
    assert log["/gone.rss"][0] == "client_error"
    assert log["http://10.0.0.1/feed.rss"][0] == "blocked_address"
    assert log["feeds[7]"][0] == "bad_config"
    assert site.hits("/private/page.html") == 0
    assert result.counts.articles_new == 1
    assert _rows(db_path, "SELECT status FROM runs WHERE parent_run_id IS NULL") == [("completed",)]
    # The hanging feed failed for now: its cursor stays empty, it is asked again next run.
    assert _rows(db_path, "SELECT last_outcome FROM feeds WHERE feed_url LIKE '%hang.rss'") == [
        ("timeout",)
    ]


def test_a_feed_whose_pages_failed_for_now_keeps_its_cursor(
    site: SiteServer, db_path: Path, tmp_path: Path
) -> None:
    site.routes["/down.html"] = Reply(503, b"", HTML)
    feed = _rss(site.base, ["/down.html", "/news/mali_attack.html"])
    site.routes["/f.rss"] = _conditional(feed, '"f1"', "application/rss+xml")
    config = write_config(tmp_path / "f.toml", [{"url": site.url("/f.rss")}], max_attempts=1)
    ingest_feeds(str(config), db=str(db_path))
    assert _rows(db_path, "SELECT etag, last_outcome FROM feeds") == [(None, "fetched")]
    site.routes["/down.html"] = Reply(
        200, (FIXTURES / "pages" / "sudan_talks.html").read_bytes(), HTML
    )
    second = ingest_feeds(str(config), db=str(db_path))
    assert second.counts.articles_new == 1  # the page that was down; mali is known already
    assert site.hits("/news/mali_attack.html") == 1
    assert _rows(db_path, "SELECT etag FROM feeds") == [('"f1"',)]


def test_ingest_urls(site: SiteServer, db_path: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "f.toml", [])
    urls = [
        site.url("/news/sudan_talks.html"),
        site.url("/news/sudan_talks.html#again"),
        site.url("/news/stub.html"),
        "ftp://127.0.0.1/x",
    ]
    result = ingest_urls(urls, db=str(db_path), config=str(config))
    assert result.counts.articles_new == 1
    assert sorted(r.outcome for r in result.failures) == ["bad_url", "no_text"]
    again = ingest_urls(urls[:1], db=str(db_path), config=str(config))
    assert again.counts.articles_new == 0 and again.outcomes["duplicate_url"] == 1
    assert site.hits("/news/sudan_talks.html") == 1
    assert _rows(db_path, "SELECT source_kind, source FROM articles") == [("url", urls[0])]
    # Without the config's allow-list the loopback server is refused by the guard.
    refused = ingest_urls([site.url("/news/mali_attack.html")], db=str(db_path))
    assert [r.outcome for r in refused.failures] == ["blocked_address"]


def test_the_ingest_urls_command(site: SiteServer, db_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    config = write_config(tmp_path / "f.toml", [])
    urls = [site.url("/news/mali_attack.html"), site.url("/news/stub.html")]
    args = ["ingest-urls", *urls, "--config", str(config), "--db", str(db_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2 links, 1 new" in result.stdout and "events stored by this run" in result.stdout
    assert f"no_text page {urls[1]}: no article text found" in result.stderr
    assert "fetch_log" in result.stderr


def test_real_pages_from_the_shared_corpus(db_path: Path, tmp_path: Path) -> None:
    corpus = shared_or_skip("corpus", "article-extraction-benchmark", "html")
    pages = sorted(corpus.glob("*.html.gz"))[:20]
    with SiteServer() as site:
        for page in pages:
            site.routes[f"/p/{page.name[:12]}.html"] = Reply(
                200, gzip.decompress(page.read_bytes()), {"Content-Type": "text/html"}
            )
        site.routes["/corpus.rss"] = Reply(
            200,
            _rss(site.base, [f"/p/{p.name[:12]}.html" for p in pages]),
            {"Content-Type": "text/xml"},
        )
        config = write_config(tmp_path / "f.toml", [{"url": site.url("/corpus.rss")}])
        result = ingest_feeds(str(config), db=str(db_path))
    assert result.counts.articles_new >= 15
    assert result.counts.articles_seen == 20
    assert _rows(db_path, "SELECT count(*) FROM articles WHERE title IS NOT NULL") == [
        (result.counts.articles_new,)
    ]


def test_pages_past_a_hosts_budget_wait_for_the_next_run(
    site: SiteServer, db_path: Path, tmp_path: Path
) -> None:
    """budget_exceeded is for now: the feed keeps its cursor and the next run fetches the rest."""
    pages = ["mali_attack.html", "sudan_talks.html", "lyon_protest.html"]

    def slow(name: str) -> Route:
        body = (FIXTURES / "pages" / name).read_bytes()

        def route(handler: BaseHTTPRequestHandler) -> None:
            time.sleep(0.5)
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        return route

    with SiteServer() as slow_site:
        for name in pages:
            slow_site.routes[f"/{name}"] = slow(name)
        slow_site.routes["/robots.txt"] = Reply(404, b"")
        feed = _rss(slow_site.base, [f"/{name}" for name in pages])
        site.routes["/slow.rss"] = _conditional(feed, '"s1"', "application/rss+xml")
        config = write_config(
            tmp_path / "f.toml", [{"url": site.url("/slow.rss")}], host_budget_seconds=0.4
        )
        first = ingest_feeds(str(config), db=str(db_path))
        assert first.counts.articles_new == 1  # the budget was spent by the first page
        assert first.outcomes["budget_exceeded"] == 2
        assert _rows(db_path, "SELECT etag FROM feeds") == [(None,)]  # held
        second = ingest_feeds(str(config), db=str(db_path))
        assert second.counts.articles_new == 1
        third = ingest_feeds(str(config), db=str(db_path))
        assert third.counts.articles_new == 1
        assert [slow_site.hits(f"/{name}") for name in pages] == [1, 1, 1]
    assert _rows(db_path, "SELECT etag FROM feeds") == [('"s1"',)]
    log = _rows(db_path, "SELECT outcome, count(*) FROM fetch_log WHERE kind = 'page' GROUP BY 1")
    assert dict(log) == {"stored": 3, "budget_exceeded": 3}
