"""`eventpipe bench`'s scale figures: linking and the near-duplicate look-up, empty and full.

Linking a batch must cost about the same however much the warehouse holds. The bench
builds a warehouse of `link_events` current events, already linked to incidents
(`warehouse/synthetic.py`: bulk SQL, seconds for a million), and links one batch of
LINK_BATCH new events into it and into an empty warehouse: the same batch, through
the writer's own code (`warehouse.links.link_events`, inside the open transaction
that holds the batch, rolled back after). Likewise the near-duplicate look-up of a
batch's band keys, with no signatures stored and with `band_articles` articles'.
Each look-up opens its connection as a batch does, so what DuckDB must read from
the file (an index's nodes, the row groups of a window) is read each time.
"""

from __future__ import annotations

import os
import random
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tasks import neardup
from tasks.link import DEFAULT_SETTINGS, forget_names, incident_id_for
from tasks.store import linking
from warehouse import bands, links, synthetic
from warehouse.db import connect
from warehouse.profile import Scans

# New events linked in one batch (the figure: a run adding 1,000 events).
LINK_BATCH = 1000
# How dense the synthetic history is: events stored per day. About what ACLED codes
# worldwide in a year (150,000 events) reported twice each, with the batch's own
# 1,000 a day and a half of it; a million events then span four years.
HISTORY_EVENTS_PER_DAY = 700
HISTORY_START = date(2022, 1, 1)
# Articles whose band keys one near-duplicate look-up asks for: ingest's batch size.
NEARDUP_BATCH = 200
# Of those, how many are copies of a stored article (so the look-up finds some).
NEARDUP_PLANTED = 5
# Each time is the best of this many runs: on a shared machine the others are the
# same work slowed by other processes.
REPEATS = 3
# How often the linking step's resident memory is sampled (its peak is the figure).
RSS_SAMPLE_S = 0.002
# The linking time at full scale may be this many times the empty warehouse's.
LINK_RATIO_TARGET = 1.5
# The warehouse that shows what size alone costs: the same history's last days, as
# dense as the full one around the batch (the window reads the same neighbours).
MONTH_DAYS = 30


@dataclass(slots=True)
class ScaleReport:
    """The scale figures (part of `BenchReport`)."""

    link_events: int = 0  # events in the full warehouse
    link_batch: int = LINK_BATCH
    link_history_days: int = 0
    link_build_s: float = 0.0
    link_month_events: int = 0  # events in the last month of the history
    link_empty_events_s: float = 0.0  # linking throughput into an empty warehouse
    link_month_events_s: float = 0.0  # ... into one holding the last month
    link_full_events_s: float = 0.0  # ... into the full one
    link_full_vs_empty: float = 0.0  # time into the full one / time into the empty one
    link_full_vs_month: float = 0.0  # time into the full one / time into the month
    # The best runs' seconds reading the reports, deciding (the linker), writing links,
    # by warehouse (empty, month, full).
    link_parts: dict[str, dict[str, float]] = field(default_factory=dict)
    link_candidates: int = 0  # stored reports the linker was given (full)
    link_joined: int = 0  # new events that joined an incident stored before (full)
    link_rows_read: dict[str, int] = field(default_factory=dict)  # per table (full)
    # The linking step's tracemalloc peak, and the resident memory it gained, by
    # warehouse (empty, full).
    link_python_peak_mib: dict[str, float] = field(default_factory=dict)
    link_rss_growth_mib: dict[str, float] = field(default_factory=dict)
    neardup_articles: int = 0  # articles with signatures in the full warehouse
    neardup_batch: int = NEARDUP_BATCH
    neardup_keys: int = 0
    neardup_build_s: float = 0.0
    neardup_empty_s: float = 0.0  # one batch's look-up, no signatures stored
    neardup_full_s: float = 0.0
    neardup_found: int = 0
    neardup_rows_read: dict[str, int] = field(default_factory=dict)
    neardup_index_scan: bool = False  # the band rows were read through their index


def bench_linking(n: int, scratch: Path, report: ScaleReport) -> None:
    """Link LINK_BATCH events into an empty warehouse, one holding the last MONTH_DAYS
    days of the history and one holding all `n` events of it."""
    days = max(1, -(-n // HISTORY_EVENTS_PER_DAY))
    month_events = min(n, MONTH_DAYS * HISTORY_EVENTS_PER_DAY)
    dbs = {
        "empty": (scratch / "link-empty.duckdb", 0),
        "month": (scratch / "link-month.duckdb", month_events),
        "full": (scratch / "link-full.duckdb", n),
    }
    for name, (db, last) in dbs.items():
        started = time.perf_counter()
        synthetic.build_history(db, n, days, HISTORY_START, last=last)
        if name == "full":
            report.link_build_s = round(time.perf_counter() - started, 1)
    report.link_events, report.link_history_days = n, days
    report.link_month_events = month_events
    best = {
        name: min((_link_once(db, n, days) for _ in range(REPEATS)), key=lambda f: f["seconds"])
        for name, (db, _) in dbs.items()
    }
    report.link_empty_events_s = _rate(LINK_BATCH, best["empty"]["seconds"])
    report.link_month_events_s = _rate(LINK_BATCH, best["month"]["seconds"])
    report.link_full_events_s = _rate(LINK_BATCH, best["full"]["seconds"])
    report.link_full_vs_empty = round(best["full"]["seconds"] / best["empty"]["seconds"], 2)
    report.link_full_vs_month = round(best["full"]["seconds"] / best["month"]["seconds"], 2)
    report.link_parts = {name: figures["parts"] for name, figures in best.items()}
    full = dbs["full"][0]
    scans = Scans()
    counted = _link_once(full, n, days, scans=scans)
    report.link_rows_read = dict(sorted(scans.rows.items()))
    report.link_candidates, report.link_joined = counted["candidates"], counted["joined"]
    for name in ("empty", "full"):
        measured = _link_once(dbs[name][0], n, days, memory=True)
        report.link_python_peak_mib[name] = measured["python_peak_mib"]
        report.link_rss_growth_mib[name] = measured["rss_growth_mib"]


def _link_once(
    db: Path, n: int, days: int, memory: bool = False, scans: Scans | None = None
) -> dict[str, Any]:
    """One batch linked into `db` (then rolled back): seconds, or memory, and counts."""
    chosen = linking(DEFAULT_SETTINGS)
    given: list[int] = []

    def linker(new: list[dict[str, Any]], stored: list[dict[str, Any]]) -> links.LinkPlan:
        given.append(len(stored))
        return chosen.linker(new, stored)

    counting = links.Linking(linker, chosen.window_days, chosen.near_days)
    with synthetic.trial_batch(db, LINK_BATCH, n, days, HISTORY_START) as (con, ids, at):
        forget_names()  # as a new process links its first batch
        sampler = _RssSampler() if memory else None
        if sampler is not None:
            tracemalloc.start()
            sampler.start()
        parts: dict[str, float] = {}
        started = time.perf_counter()
        plan = links.link_events(con, "bench-batch", at, ids, counting, scans=scans, timings=parts)
        seconds = time.perf_counter() - started
        parts = {k: round(v, 3) for k, v in parts.items()}
        figures: dict[str, Any] = {"seconds": seconds, "candidates": given[0], "parts": parts}
        if sampler is not None:
            figures["python_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
            figures["rss_growth_mib"] = round(sampler.stop() / 2**20, 1)
        founded = {incident_id_for({"event_id": e}) for e in ids}  # by the batch itself
    figures["joined"] = sum(1 for x in plan.links if x["incident_id"] not in founded)
    return figures


class _RssSampler(threading.Thread):
    """This process's resident memory, sampled until stopped: its growth at the peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.base = self.peak = _rss_bytes()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(RSS_SAMPLE_S):
            self.peak = max(self.peak, _rss_bytes())

    def stop(self) -> int:
        self.peak = max(self.peak, _rss_bytes())
        self.done.set()
        self.join()
        return self.peak - self.base


def _rss_bytes() -> int:
    pages = Path("/proc/self/statm").read_text().split()[1]
    return int(pages) * os.sysconf("SC_PAGE_SIZE")


def bench_band_lookup(n: int, scratch: Path, report: ScaleReport) -> None:
    """One batch's near-duplicate look-up with no signatures stored and with `n`."""
    rng = random.Random(5)
    words = [f"w{k}" for k in range(5000)]
    texts = [" ".join(rng.choice(words) for _ in range(200)) for _ in range(NEARDUP_BATCH)]
    signatures = [neardup.signature(t) for t in texts]
    keys = [b for s in signatures for b in s.bands]
    planted = [
        (f"bench-copy-{i:04d}", s.minhash, s.bands)
        for i, s in enumerate(signatures[:NEARDUP_PLANTED])
    ]
    empty, full = scratch / "bands-empty.duckdb", scratch / "bands-full.duckdb"
    started = time.perf_counter()
    hex_digits = 8 * neardup.ROWS  # a band's values, 32 bits each, in hex
    shape = (neardup.TAG, neardup.BANDS, hex_digits, neardup.NUM_PERM)
    synthetic.build_signatures(full, n, *shape, planted=planted)
    report.neardup_articles = n + len(planted)
    report.neardup_build_s = round(time.perf_counter() - started, 1)
    synthetic.build_signatures(empty, 0, *shape)
    report.neardup_keys = len(keys)

    def lookup(db: Path, scans: Scans | None = None) -> tuple[float, int]:
        with connect(db, read_only=True) as con:  # a batch's own, new connection
            started = time.perf_counter()
            found = bands.band_candidates(con, keys, scans)
            return time.perf_counter() - started, len(found)

    report.neardup_empty_s = round(min(lookup(empty)[0] for _ in range(REPEATS)), 3)
    report.neardup_full_s = round(min(lookup(full)[0] for _ in range(REPEATS)), 3)
    scans = Scans()
    report.neardup_found = lookup(full, scans)[1]
    report.neardup_rows_read = dict(sorted(scans.rows.items()))
    report.neardup_index_scan = ("article_bands", "Index Scan") in scans.kinds


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def _parts(parts: dict[str, float]) -> str:
    return " / ".join(str(parts.get(k, 0.0)) for k in ("read", "decide", "write"))


def scale_lines(r: ScaleReport) -> list[str]:
    """The scale figures as `eventpipe bench` prints them."""
    lines = []
    if r.link_events:
        met = "met" if r.link_full_vs_empty <= LINK_RATIO_TARGET else "MISSED"
        reads = ", ".join(f"{t} {rows:,}" for t, rows in r.link_rows_read.items())
        parts = ";  ".join(f"{name} {_parts(p)}" for name, p in r.link_parts.items())
        peaks, rss = r.link_python_peak_mib, r.link_rss_growth_mib
        lines += [
            f"link    {r.link_batch} new events into an empty warehouse"
            f"       {r.link_empty_events_s:>9} events/s",
            f"link    the same into the last month ({r.link_month_events:,} events)"
            f" {r.link_month_events_s:>9} events/s",
            f"link    the same into {r.link_events:,} stored events"
            f"      {r.link_full_events_s:>9} events/s   = {r.link_full_vs_empty} x the empty"
            f" time (target <= {LINK_RATIO_TARGET}: {met}), {r.link_full_vs_month} x the month's",
            f"link    seconds reading / deciding / writing: {parts}",
            f"link    at {r.link_events:,}: given {r.link_candidates:,} stored reports,"
            f" {r.link_joined} new events joined stored incidents; rows read: {reads}"
            f"   (history of {r.link_history_days} days built in {r.link_build_s} s)",
            f"memory  the linking step: Python peak {peaks.get('empty')} MiB empty,"
            f" {peaks.get('full')} MiB full (tracemalloc); resident memory grew"
            f" {rss.get('empty')} / {rss.get('full')} MiB (sampled; DuckDB's included)",
        ]
    if r.neardup_articles:
        how = "through the band index" if r.neardup_index_scan else "NOT through the band index"
        reads = ", ".join(f"{t} {rows:,}" for t, rows in r.neardup_rows_read.items())
        lines += [
            f"neardup look-up of {r.neardup_batch} articles ({r.neardup_keys:,} band keys):"
            f" {r.neardup_empty_s} s with none stored, {r.neardup_full_s} s with"
            f" {r.neardup_articles:,} stored, {how}; found {r.neardup_found}, rows read:"
            f" {reads}   (built in {r.neardup_build_s} s)",
        ]
    return lines
