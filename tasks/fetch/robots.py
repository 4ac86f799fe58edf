"""Manners: robots.txt (RFC 9309, via protego) and a delay between requests to one host.

A `Politeness` lives for one run (see `for_run`): each host's robots.txt is
fetched once through the guarded client, and each host's last request time
is remembered across the run's batches. `run_per_host` fetches many URLs
concurrently across hosts and one at a time, with the delay, within a host.
"""

from __future__ import annotations

import threading
import time
import typing
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
from protego import Protego

from tasks.fetch.http import Fetcher, FetchSettings
from tasks.fetch.records import ROBOTS_UNAVAILABLE

T = TypeVar("T")
R = TypeVar("R")

# RFC 9309 asks crawlers to parse at least the first 500 KiB of a robots.txt.
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_AGENT = "eventpipe"
# Runs whose manners are remembered at once (a process runs one flow at a time,
# but tests run many); the oldest is forgotten first.
MAX_RUNS_REMEMBERED = 8
_NO_ORIGIN = ""


def origin(url: httpx.URL | str) -> str:
    """scheme://host:port, the unit robots.txt and the per-host delay apply to."""
    u = httpx.URL(str(url))
    port = u.port or (443 if u.scheme == "https" else 80)
    return f"{u.scheme}://{u.host}:{port}"


class _Rules:
    """One origin's robots.txt verdict: allow all, disallow all, or parsed rules."""

    def __init__(self, parsed: Protego | None, allow_all: bool, note: str) -> None:
        self.parsed = parsed
        self.allow_all = allow_all
        self.note = note

    def refusal(self, url: str) -> str | None:
        if self.parsed is not None:
            return None if self.parsed.can_fetch(url, ROBOTS_AGENT) else "disallowed by robots.txt"
        return None if self.allow_all else self.note

    def crawl_delay(self) -> float | None:
        if self.parsed is None:
            return None
        delay = self.parsed.crawl_delay(ROBOTS_AGENT)
        return float(delay) if delay is not None else None


class Politeness:
    """robots.txt rules and last-request times per origin, shared by a run's threads."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._rules: dict[str, _Rules] = {}
        self._last: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def rules(self, fetcher: Fetcher, url: httpx.URL | str) -> _Rules:
        """The origin's robots.txt, fetched on first use (RFC 9309 on errors)."""
        key = origin(url)
        with self._lock("robots " + key):
            if key not in self._rules:
                self._rules[key] = self._fetch_rules(fetcher, key)
            return self._rules[key]

    def _fetch_rules(self, fetcher: Fetcher, key: str) -> _Rules:
        res = fetcher.get(f"{key}/robots.txt", max_bytes=ROBOTS_MAX_BYTES)
        if res.ok:
            text = res.body.decode("utf-8", errors="replace")
            return _Rules(Protego.parse(text), True, "")
        if res.outcome == "client_error":  # 4xx: no rules, crawl freely
            return _Rules(None, True, "")
        if res.outcome == "too_large":  # read what a parser must, and no more
            return _Rules(None, True, "")
        # 5xx, unreachable, blocked: assume complete disallow until a later run.
        return _Rules(None, False, f"{ROBOTS_UNAVAILABLE} ({res.outcome}: {res.detail})")

    def refusal(self, fetcher: Fetcher, url: httpx.URL) -> str | None:
        """Why robots.txt forbids this URL, or None (always None when robots are off)."""
        if not self.settings.respect_robots:
            return None
        return self.rules(fetcher, url).refusal(str(url))

    def delay(self, key: str) -> float:
        s = self.settings
        rules = self._rules.get(key)
        crawl = rules.crawl_delay() if rules else None
        return max(s.per_host_delay_seconds, min(crawl or 0.0, s.max_crawl_delay_seconds))

    def wait_turn(self, key: str) -> None:
        """Sleep until this origin's delay since its last request to it has passed."""
        with self._lock("delay " + key):
            wait = self._last.get(key, -1e9) + self.delay(key) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last[key] = time.monotonic()


_RUNS: dict[str, Politeness] = {}
_RUNS_LOCK = threading.Lock()


def for_run(run_id: str, settings: FetchSettings) -> Politeness:
    """The run's shared Politeness (robots.txt read once per host per run)."""
    with _RUNS_LOCK:
        found = _RUNS.get(run_id)
        if found is None or found.settings != settings:
            found = _RUNS[run_id] = Politeness(settings)
            while len(_RUNS) > MAX_RUNS_REMEMBERED:
                del _RUNS[next(iter(_RUNS))]
        return found


def forget_run(run_id: str) -> None:
    with _RUNS_LOCK:
        _RUNS.pop(run_id, None)


def run_per_host(
    items: Sequence[T],
    url_of: Callable[[T], str],
    work: Callable[[T], R],
    polite: Politeness,
) -> list[R]:
    """`work` on every item: hosts in parallel (bounded), each host's items in turn.

    Results come back in the order of `items`. `work` must not raise: bad
    input is data, so it returns a result saying what went wrong.
    """
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        try:
            key = origin(url_of(item))
        except (httpx.InvalidURL, TypeError):
            key = _NO_ORIGIN  # refused by the fetcher without a request: no delay
        groups.setdefault(key, []).append(index)
    results: list[R | None] = [None] * len(items)

    stop = threading.Event()

    def one_host(key: str, indices: list[int]) -> None:
        for index in indices:
            if stop.is_set():
                return
            if key != _NO_ORIGIN:
                polite.wait_turn(key)
            results[index] = work(items[index])

    workers = max(1, min(polite.settings.max_hosts_in_parallel, len(groups)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
    try:
        futures = [pool.submit(one_host, key, indices) for key, indices in groups.items()]
        for future in futures:
            future.result()
    except BaseException:
        # SIGTERM or Ctrl-C: no new request starts; those in flight end by their deadline.
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return typing.cast(list[R], results)
