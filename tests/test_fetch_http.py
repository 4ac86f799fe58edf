"""The guarded HTTP client against real servers on 127.0.0.1 (never any other address)."""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import subprocess
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from tasks.fetch.crawl import fetch_pages, read_pages
from tasks.fetch.feeds import Entry
from tasks.fetch.guard import AddressRefused, HostPolicy, NameNotResolved
from tasks.fetch.http import Fetcher, FetchSettings, Inflater, Refusal, parse_retry_after
from tasks.fetch.robots import Politeness, origin, run_per_host
from tasks.records import FetchRecord, is_transient

from .livesite import LOOPBACK, Reply, Route, SiteServer

pytestmark = pytest.mark.usefixtures("only_loopback")

# Only the test servers' loopback address is allowed: private addresses stay refused.
TEST_SETTINGS = FetchSettings(
    contact_url="https://example.org/eventpipe-tests",
    allowed_addresses=(LOOPBACK,),
    per_host_delay_seconds=0,
    backoff_seconds=0.01,
    connect_timeout=1,
    read_timeout=1,
    total_timeout=5,
    max_retry_after_seconds=2,
)
PAGE = b"<html><body><p>Hello.</p></body></html>"


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(TEST_SETTINGS) as f:
        yield f


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "192.168.1.1",
        "172.16.0.5",
        "169.254.169.254",
        "::1",
        "fd00:ec2::254",
        "0.0.0.0",
        "2002:7f00:1::1",  # 6to4 carrying 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 carrying 169.254.169.254
    ],
)
def test_private_and_metadata_addresses_are_refused(address: str) -> None:
    with pytest.raises(AddressRefused):
        HostPolicy().check_host(address, 80)


def test_private_hosts_allowed_only_when_asked() -> None:
    assert HostPolicy(allow_private=True).check_host("10.0.0.1", 80)
    assert HostPolicy(allowed_addresses=("127.0.0.1",)).check_host("127.0.0.1", 80)
    with pytest.raises(AddressRefused, match="private"):
        HostPolicy(allowed_addresses=("127.0.0.1",)).check_host("10.0.0.1", 80)
    # Metadata stays refused even with private hosts allowed; by name, without a look-up.
    with pytest.raises(AddressRefused, match="metadata"):
        HostPolicy(allow_private=True).check_host("169.254.169.254", 80)
    with pytest.raises(AddressRefused, match="metadata"):
        HostPolicy(allow_private=True).check_host("metadata.google.internal", 80)
    with pytest.raises(AddressRefused, match="metadata"):  # ECS task credentials
        HostPolicy(allow_private=True).check_host("169.254.170.2", 80)
    assert HostPolicy().refusal(ipaddress.ip_address("93.184.216.34")) is None


def test_only_http_and_https(fetcher: Fetcher) -> None:
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "not a url"):
        assert fetcher.get(url).outcome == "bad_url", url


def test_a_page_is_fetched_with_the_user_agent(
    httpserver_ipv4: HTTPServer, fetcher: Fetcher
) -> None:
    httpserver_ipv4.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    res = fetcher.get(httpserver_ipv4.url_for("/page"))
    assert (res.outcome, res.status, res.body, res.attempts) == ("fetched", 200, PAGE, 1)
    (request, _response) = httpserver_ipv4.log[0]
    agent = request.headers["User-Agent"]
    assert agent.startswith("eventpipe/") and "+https://example.org/eventpipe-tests" in agent


def test_conditional_get_and_304(httpserver_ipv4: HTTPServer, fetcher: Fetcher) -> None:
    httpserver_ipv4.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )
    httpserver_ipv4.expect_request("/feed").respond_with_data(
        "<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"}
    )
    first = fetcher.get(httpserver_ipv4.url_for("/feed"))
    assert first.ok and first.headers["etag"] == '"v1"'
    second = fetcher.get(
        httpserver_ipv4.url_for("/feed"), etag='"v1"', last_modified=first.headers["last-modified"]
    )
    assert (second.outcome, second.status, second.body) == ("not_modified", 304, b"")
    sent = httpserver_ipv4.log[1][0].headers
    assert sent["If-Modified-Since"] == "Wed, 01 Jan 2025 00:00:00 GMT"


def test_429_waits_for_retry_after_then_succeeds(
    httpserver_ipv4: HTTPServer, fetcher: Fetcher
) -> None:
    httpserver_ipv4.expect_ordered_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver_ipv4.expect_ordered_request("/busy").respond_with_data(PAGE)
    started = time.monotonic()
    res = fetcher.get(httpserver_ipv4.url_for("/busy"))
    assert (res.outcome, res.attempts) == ("fetched", 2)
    assert time.monotonic() - started >= 0.95


def test_retry_after_is_capped(httpserver_ipv4: HTTPServer) -> None:
    httpserver_ipv4.expect_request("/busy").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    settings = FetchSettings(
        allowed_addresses=(LOOPBACK,), max_attempts=2, max_retry_after_seconds=0.2
    )
    started = time.monotonic()
    with Fetcher(settings) as f:
        res = f.get(httpserver_ipv4.url_for("/busy"))
    assert (res.outcome, res.status, res.attempts) == ("rate_limited", 429, 2)
    assert time.monotonic() - started < 2
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("soon") is None


def test_500_then_success(httpserver_ipv4: HTTPServer, fetcher: Fetcher) -> None:
    httpserver_ipv4.expect_ordered_request("/flaky").respond_with_data("oops", status=500)
    httpserver_ipv4.expect_ordered_request("/flaky").respond_with_data("oops", status=503)
    httpserver_ipv4.expect_ordered_request("/flaky").respond_with_data(PAGE)
    res = fetcher.get(httpserver_ipv4.url_for("/flaky"))
    assert (res.outcome, res.attempts, res.body) == ("fetched", 3, PAGE)


def test_500_for_good_gives_up(httpserver_ipv4: HTTPServer, fetcher: Fetcher) -> None:
    httpserver_ipv4.expect_request("/down").respond_with_data("oops", status=502)
    res = fetcher.get(httpserver_ipv4.url_for("/down"))
    assert (res.outcome, res.status, res.attempts) == ("server_error", 502, 3)


def test_no_retry_on_other_4xx(httpserver_ipv4: HTTPServer, fetcher: Fetcher) -> None:
    httpserver_ipv4.expect_request("/gone").respond_with_data("gone", status=404)
    res = fetcher.get(httpserver_ipv4.url_for("/gone"))
    assert (res.outcome, res.status, res.attempts) == ("client_error", 404, 1)
    assert len(httpserver_ipv4.log) == 1


def test_redirects_followed_to_five(httpserver_ipv4: HTTPServer, fetcher: Fetcher) -> None:
    for hop in range(7):
        httpserver_ipv4.expect_request(f"/r{hop}").respond_with_data(
            "", status=302, headers={"Location": f"/r{hop + 1}"}
        )
    httpserver_ipv4.expect_request("/r7").respond_with_data(PAGE)
    res = fetcher.get(httpserver_ipv4.url_for("/r2"))
    assert res.outcome == "fetched" and res.final_url == httpserver_ipv4.url_for("/r7")
    assert fetcher.get(httpserver_ipv4.url_for("/r0")).outcome == "too_many_redirects"
    httpserver_ipv4.expect_request("/loop").respond_with_data(
        "", status=301, headers={"Location": "/loop"}
    )
    assert fetcher.get(httpserver_ipv4.url_for("/loop")).outcome == "too_many_redirects"


@pytest.mark.parametrize(
    ("target", "address"),
    [
        ("http://10.0.0.1/admin", "10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:9/", "::1"),
        ("http://127.0.0.2:9/", "127.0.0.2"),
    ],
)
def test_redirect_to_a_private_address_is_refused(
    httpserver_ipv4: HTTPServer, fetcher: Fetcher, target: str, address: str
) -> None:
    httpserver_ipv4.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": target}
    )
    res = fetcher.get(httpserver_ipv4.url_for("/go"))
    assert res.outcome == "blocked_address" and address in res.detail
    assert res.attempts == 1  # refused, not retried


def test_redirect_to_another_scheme_is_refused(
    httpserver_ipv4: HTTPServer, fetcher: Fetcher
) -> None:
    httpserver_ipv4.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    assert fetcher.get(httpserver_ipv4.url_for("/go")).outcome == "bad_url"


def test_the_transport_refuses_even_without_the_precheck() -> None:
    """The connect step checks the very address it connects to (no DNS rebinding)."""
    with Fetcher(FetchSettings()) as f, pytest.raises(AddressRefused, match="loopback"):
        f.client.get("http://127.0.0.1:9/")


def test_non_html_content_type_is_refused(httpserver_ipv4: HTTPServer, fetcher: Fetcher) -> None:
    httpserver_ipv4.expect_request("/photo.jpg").respond_with_data(
        b"\xff\xd8\xff" * 100, content_type="image/jpeg"
    )
    res = fetcher.get(httpserver_ipv4.url_for("/photo.jpg"), accept=frozenset({"text/html"}))
    assert (res.outcome, res.body) == ("bad_content_type", b"")


def _hang(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(4)


def _drip(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for _ in range(40):
        handler.wfile.write(b"<p>x</p>")
        handler.wfile.flush()
        time.sleep(0.2)


def test_a_hanging_server_meets_the_read_deadline(site: SiteServer, fetcher: Fetcher) -> None:
    site.routes["/hang"] = _hang
    started = time.monotonic()
    settings = FetchSettings(
        allowed_addresses=(LOOPBACK,), read_timeout=0.5, max_attempts=2, backoff_seconds=0.01
    )
    with Fetcher(settings) as f:
        res = f.get(site.url("/hang"))
    assert (res.outcome, res.attempts) == ("timeout", 2)
    assert time.monotonic() - started < 2.5


def test_a_dripping_body_meets_the_total_deadline(site: SiteServer) -> None:
    site.routes["/drip"] = _drip
    settings = FetchSettings(
        allowed_addresses=(LOOPBACK,), read_timeout=1, total_timeout=1, max_attempts=1
    )
    started = time.monotonic()
    with Fetcher(settings) as f:
        res = f.get(site.url("/drip"))
    assert res.outcome == "timeout" and "deadline" in res.detail
    assert time.monotonic() - started < 2


def _drip_headers(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(40):  # a header line every 0.2 s: each read is well within its timeout
        handler.wfile.write(b"X-Slow: yes\r\n")
        handler.wfile.flush()
        time.sleep(0.2)


def test_dripping_headers_meet_the_total_deadline(site: SiteServer) -> None:
    site.routes["/drip-headers"] = _drip_headers
    settings = FetchSettings(
        allowed_addresses=(LOOPBACK,), read_timeout=1, total_timeout=1, max_attempts=1
    )
    started = time.monotonic()
    with Fetcher(settings) as f:
        res = f.get(site.url("/drip-headers"))
    assert res.outcome == "timeout"
    assert time.monotonic() - started < 2


def test_a_gzip_bomb_stops_at_the_cap(site: SiteServer) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MiB in ~200 KB
    site.routes["/bomb"] = Reply(
        200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    )
    settings = FetchSettings(allowed_addresses=(LOOPBACK,), max_body_bytes=1024 * 1024)
    with Fetcher(settings) as f:
        res = f.get(site.url("/bomb"))
    assert (res.outcome, res.body) == ("too_large", b"")


def test_gzip_and_deflate_bodies_are_decoded(site: SiteServer, fetcher: Fetcher) -> None:
    site.routes["/gz"] = Reply(200, gzip.compress(PAGE), {"Content-Encoding": "gzip"})
    site.routes["/zlib"] = Reply(200, zlib.compress(PAGE), {"Content-Encoding": "deflate"})
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    site.routes["/raw"] = Reply(
        200, raw.compress(PAGE) + raw.flush(), {"Content-Encoding": "deflate"}
    )
    site.routes["/br"] = Reply(200, b"xx", {"Content-Encoding": "br"})
    for path in ("/gz", "/zlib", "/raw"):
        assert fetcher.get(site.url(path)).body == PAGE, path
    assert fetcher.get(site.url("/br")).outcome == "bad_encoding"
    assert fetcher.get(site.url("/gz")).attempts == 1


def test_inflater_never_makes_more_than_room() -> None:
    inflater = Inflater.for_encoding("gzip")
    assert inflater is not None
    out = inflater.feed(gzip.compress(b"a" * 10_000_000), 1000)
    assert 1000 < len(out) <= 1001


def test_a_large_declared_body_is_refused_unread(site: SiteServer) -> None:
    site.routes["/big"] = Reply(200, b"x" * 5000, {"Content-Type": "text/html"})
    with Fetcher(FetchSettings(allowed_addresses=(LOOPBACK,), max_body_bytes=1000)) as f:
        res = f.get(site.url("/big"))
    assert res.outcome == "too_large" and "declared" in res.detail


def test_robots_txt_is_honoured_and_read_once(site: SiteServer, fetcher: Fetcher) -> None:
    site.routes["/robots.txt"] = Reply(
        200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}
    )
    site.routes["/private/page"] = Reply(200, PAGE, {"Content-Type": "text/html"})
    site.routes["/public/page"] = Reply(200, PAGE, {"Content-Type": "text/html"})
    polite = Politeness(TEST_SETTINGS)

    def permit(url: Any) -> Refusal | None:
        return polite.refusal(fetcher, url)

    urls = [site.url("/private/page"), site.url("/public/page"), site.url("/public/page?2")]
    results = run_per_host(urls, lambda u: u, lambda u: fetcher.get(u, permit=permit), polite)
    assert [r.outcome for r in results] == ["robots_disallowed", "fetched", "fetched"]
    assert site.hits("/robots.txt") == 1 and site.hits("/private/page") == 0


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [
        (Reply(404, b""), True),
        (Reply(503, b""), False),
        (Reply(200, b"User-agent: *\nDisallow: /"), False),
    ],
)
def test_robots_txt_errors_follow_rfc_9309(site: SiteServer, robots: Reply, allowed: bool) -> None:
    site.routes["/robots.txt"] = robots
    with Fetcher(TEST_SETTINGS) as f:
        refusal = Politeness(TEST_SETTINGS).refusal(f, httpx.URL(site.url("/a")))
    assert (refusal is None) == allowed


def test_per_host_delay_and_parallel_hosts() -> None:
    """Each host waits its delay between requests; two hosts are fetched side by side.
    Checked by when each server saw its requests (an order, not a time limit, so a
    loaded machine cannot fail it): both first requests come before either second one."""
    seen: dict[str, list[float]] = {"one": [], "two": []}

    def stamped(name: str) -> Callable[[BaseHTTPRequestHandler], None]:
        def reply(handler: BaseHTTPRequestHandler) -> None:
            seen[name].append(time.monotonic())
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(PAGE)))
            handler.end_headers()
            handler.wfile.write(PAGE)

        return reply

    with SiteServer() as one, SiteServer() as two:
        one.routes["/p"], two.routes["/p"] = stamped("one"), stamped("two")
        settings = FetchSettings(
            allowed_addresses=(LOOPBACK,), per_host_delay_seconds=0.3, respect_robots=False
        )
        polite = Politeness(settings)
        urls = [one.url("/p"), one.url("/p?2"), two.url("/p"), two.url("/p?2")]
        with Fetcher(settings) as f:
            results = run_per_host(urls, lambda u: u, f.get, polite)
    assert [r.outcome for r in results] == ["fetched"] * 4
    # Each host waited its delay (counted from when the client sent the request before,
    # so the server sees a few milliseconds less).
    assert all(b - a >= 0.25 for a, b in seen.values())
    firsts, seconds = [t[0] for t in seen.values()], [t[1] for t in seen.values()]
    assert max(firsts) < min(seconds)  # the hosts side by side, not one after the other


def test_crawl_delay_is_honoured_up_to_the_cap(site: SiteServer, fetcher: Fetcher) -> None:
    site.routes["/robots.txt"] = Reply(200, b"User-agent: *\nCrawl-delay: 30\n")
    settings = FetchSettings(
        allowed_addresses=(LOOPBACK,), per_host_delay_seconds=0, max_crawl_delay_seconds=0.5
    )
    polite = Politeness(settings)
    assert polite.refusal(fetcher, httpx.URL(site.url("/a"))) is None
    assert polite.delay(origin(site.url("/a"))) == 0.5


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1 (skips without openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_tls_is_verified_with_no_insecure_fallback(tmp_path: Path) -> None:
    """A self-signed certificate is refused (and not retried), never fetched unverified."""
    with SiteServer(tls=_self_signed(tmp_path)) as server, Fetcher(TEST_SETTINGS) as f:
        server.routes["/p"] = Reply(200, PAGE, {"Content-Type": "text/html"})
        res = f.get(server.url("/p"))
        assert server.url("/p").startswith("https://")
        assert (res.outcome, res.attempts, res.body) == ("tls_error", 1, b"")
        assert "CERTIFICATE_VERIFY_FAILED" in res.detail


def test_a_tls_error_on_robots_txt_is_the_pages_tls_error(tmp_path: Path) -> None:
    """A certificate that does not verify on robots.txt is final for the page, not 'for now'."""
    with SiteServer(tls=_self_signed(tmp_path)) as server:
        server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nAllow: /\n")
        server.routes["/p"] = Reply(200, PAGE, {"Content-Type": "text/html"})
        pages, records = fetch_pages("tls-robots", [Entry(server.url("/p"))], TEST_SETTINGS)
    assert pages == []
    (record,) = records
    assert record.outcome == "tls_error" and "robots.txt" in record.detail
    assert "CERTIFICATE_VERIFY_FAILED" in record.detail
    assert not is_transient(record)


def test_a_name_that_does_not_resolve_is_a_dns_error(fetcher: Fetcher) -> None:
    """Offline, a feed host that does not resolve is no address the guard refused."""
    url = "http://feeds.bbci.invalid/news/rss.xml"  # RFC 2606: .invalid never resolves
    with pytest.raises(NameNotResolved):
        HostPolicy().check_url(httpx.URL(url))
    res = fetcher.get(url)
    assert (res.outcome, res.attempts) == ("dns_error", 1)  # tried again next run, not now
    assert "feeds.bbci.invalid" in res.detail and "does not resolve" in res.detail
    record = FetchRecord("feed", url, res.outcome, res.detail)
    assert is_transient(record)
    assert fetcher.get("http://10.0.0.1/feed").outcome == "blocked_address"  # still the guard's


def test_origin_keeps_ipv6_brackets() -> None:
    assert origin("http://[::1]:8081/p") == "http://[::1]:8081"
    assert origin("https://[2001:db8::1]/feed") == "https://[2001:db8::1]:443"
    assert origin("http://Example.org/a?b") == "http://example.org:80"
    assert origin("http://münchen.example/x") == "http://xn--mnchen-3ya.example:80"
    assert httpx.URL(origin("http://[::1]:8081/p") + "/robots.txt").host == "::1"


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_a_page_on_an_ipv6_literal_host_is_fetched() -> None:
    """robots.txt of http://[::1]:port is asked at that origin, not at 'http://::1:port'."""
    settings = FetchSettings(
        allow_private_hosts=True, per_host_delay_seconds=0, connect_timeout=1, read_timeout=1
    )
    with SiteServer(host="::1") as server:
        server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private/\n")
        server.routes["/news/a.html"] = Reply(200, PAGE, {"Content-Type": "text/html"})
        server.routes["/private/b.html"] = Reply(200, PAGE, {"Content-Type": "text/html"})
        entries = [Entry(server.url("/news/a.html")), Entry(server.url("/private/b.html"))]
        assert entries[0].url.startswith("http://[::1]:")
        pages, records = fetch_pages("ipv6", entries, settings)
        assert [p.body for p in pages] == [PAGE]
        assert [r.outcome for r in records] == ["robots_disallowed"]
        assert server.hits("/robots.txt") == 1 and server.hits("/private/b.html") == 0


def test_every_redirect_hop_waits_for_the_per_host_delay(site: SiteServer) -> None:
    """Three requests to one host (two redirects) with a 0.3 s delay take at least 0.6 s."""
    site.routes["/r1"] = Reply(302, b"", {"Location": "/r2"})
    site.routes["/r2"] = Reply(302, b"", {"Location": "/r3"})
    site.routes["/r3"] = Reply(200, PAGE, {"Content-Type": "text/html"})
    settings = FetchSettings(
        allowed_addresses=(LOOPBACK,), per_host_delay_seconds=0.3, respect_robots=False
    )
    started = time.monotonic()
    pages, records = fetch_pages("redirect-delay", [Entry(site.url("/r1"))], settings)
    elapsed = time.monotonic() - started
    assert records == [] and [p.final_url for p in pages] == [site.url("/r3")]
    assert elapsed >= 0.6
    assert [site.hits(p) for p in ("/r1", "/r2", "/r3")] == [1, 1, 1]


def _slow(seconds: float) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(PAGE)))
        handler.end_headers()
        handler.wfile.write(PAGE)

    return route


def test_a_page_declaring_punycode_is_fetched_and_read_quickly(site: SiteServer) -> None:
    """charset=punycode in the header and the meta of a 1 MB page: read as UTF-8, not for 70 s."""
    text = "<p>Gunmen attacked a village in central Mali on Sunday, killing nine people.</p>" * 20
    head = f'<html><head><meta charset="punycode"><title>T</title></head><body>{text}</body>'
    bomb = b"a" * 512 * 1024 + b"-" + b"b" * 512 * 1024  # punycode's decoder: minutes
    site.routes["/p.html"] = Reply(
        200, head.encode() + bomb, {"Content-Type": "text/html; charset=punycode"}
    )
    settings = FetchSettings(allowed_addresses=(LOOPBACK,), per_host_delay_seconds=0)
    started = time.monotonic()
    pages, records = fetch_pages("punycode", [Entry(site.url("/p.html"))], settings)
    assert records == [] and len(pages) == 1
    articles, failures = read_pages(pages, "url")
    assert time.monotonic() - started < 10  # a bound far from flaky, far below a minute
    assert failures == [] and articles[0][0].text.startswith("Gunmen attacked")


def test_a_slow_host_stops_at_its_budget() -> None:
    """Once a host's budget is spent its other URLs are left for the next run; others go on."""
    with SiteServer() as slow, SiteServer() as quick:
        slow.routes["/slow"] = _slow(0.4)
        quick.routes["/p"] = Reply(200, PAGE, {"Content-Type": "text/html"})
        settings = FetchSettings(
            allowed_addresses=(LOOPBACK,),
            per_host_delay_seconds=0,
            respect_robots=False,
            host_budget_seconds=1.0,
        )
        entries = [Entry(slow.url(f"/slow?{i}"), feed_url="f") for i in range(8)]
        entries += [Entry(quick.url(f"/p?{i}")) for i in range(3)]
        started = time.monotonic()
        pages, records = fetch_pages("host-budget", entries, settings)
        elapsed = time.monotonic() - started
        slow_hits = slow.hits("/slow")
    assert 1 <= slow_hits <= 4  # fetched while the budget lasted (0.4 s each)
    assert len(pages) == slow_hits + 3
    assert len(records) == 8 - slow_hits
    assert {r.outcome for r in records} == {"budget_exceeded"}
    assert all(is_transient(r) and "budget of 1 s" in r.detail for r in records)
    assert all(r.attempts == 0 and r.feed_url == "f" for r in records)
    assert elapsed < 8 * 0.4


def test_the_run_budget_is_shared_by_hosts_and_batches() -> None:
    with SiteServer() as one, SiteServer() as two:
        for server in (one, two):
            server.routes["/slow"] = _slow(0.3)
        settings = FetchSettings(
            allowed_addresses=(LOOPBACK,),
            per_host_delay_seconds=0,
            respect_robots=False,
            run_budget_seconds=0.8,
        )
        batch = [Entry(one.url(f"/slow?{i}")) for i in range(5)]
        batch += [Entry(two.url(f"/slow?{i}")) for i in range(5)]
        first_pages, first_records = fetch_pages("run-budget", batch, settings)
        hits = one.hits("/slow") + two.hits("/slow")
        assert 2 <= hits <= 8 and len(first_pages) == hits
        assert {r.outcome for r in first_records} == {"budget_exceeded"}
        assert "run's fetch budget" in first_records[0].detail
        # The next batch of the same run has nothing left; another run starts afresh.
        later = [Entry(one.url("/slow?later"))]
        assert fetch_pages("run-budget", later, settings)[1][0].outcome == "budget_exceeded"
        assert len(fetch_pages("next-run", later, settings)[0]) == 1


def test_a_slow_url_stops_retrying_when_its_host_budget_is_spent(site: SiteServer) -> None:
    """One URL timing out attempt after attempt no longer holds the run for all its retries."""
    site.routes["/hang"] = _hang
    settings = FetchSettings(
        allowed_addresses=(LOOPBACK,),
        per_host_delay_seconds=0,
        respect_robots=False,
        read_timeout=0.5,
        max_attempts=5,
        backoff_seconds=0.01,
        host_budget_seconds=0.8,
    )
    started = time.monotonic()
    _pages, (record,) = fetch_pages("slow-retries", [Entry(site.url("/hang"))], settings)
    assert record.outcome == "budget_exceeded" and "budget of 0.8 s" in record.detail
    assert site.hits("/hang") == 2  # the third attempt found the budget spent
    assert time.monotonic() - started < 2.5  # not 5 attempts of 0.5 s
