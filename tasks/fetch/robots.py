"""Manners: robots.txt (RFC 9309, via protego), a delay between requests to one host, budgets.

A `Politeness` lives for one run (see `for_run`): each host's robots.txt is
fetched once through the guarded client, and each host's last request time
and the time spent fetching from it are remembered across the run's batches.
`run_per_host` fetches many URLs concurrently across hosts and one at a time,
with the delay, within a host; once a host's budget (or the run's) is spent,
its remaining URLs are passed over. `Politeness.permit` is the fetcher's hook
on every hop: the budget, robots.txt, and the delay again for redirect hops
and retries (the scheduler's wait covers only a URL's first request).
"""

from __future__ import annotations

import threading
import time
import typing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import httpx
from protego import Protego

from tasks.fetch.http import Fetcher, FetchSettings, Permit, Refusal
from tasks.records import ROBOTS_UNAVAILABLE, FetchOutcome

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
    host = u.raw_host.decode("ascii")  # IDNA-encoded: a name as the wire has it
    if ":" in host:  # an IPv6 literal keeps its brackets, or the port runs into it
        host = f"[{host}]"
    return f"{u.scheme}://{host}:{port}"


class _Rules:
    """One origin's robots.txt verdict: allow all, disallow all, or parsed rules.

    A disallow-all verdict carries the outcome its pages get: `robots_disallowed`,
    or the robots.txt fetch's own final failure (`tls_error`).
    """

    def __init__(
        self,
        parsed: Protego | None,
        allow_all: bool,
        note: str,
        outcome: FetchOutcome = "robots_disallowed",
    ) -> None:
        self.parsed = parsed
        self.allow_all = allow_all
        self.note = note
        self.outcome: FetchOutcome = outcome

    def refusal(self, url: str) -> Refusal | None:
        if self.parsed is not None:
            if self.parsed.can_fetch(url, ROBOTS_AGENT):
                return None
            return Refusal("robots_disallowed", "disallowed by robots.txt")
        return None if self.allow_all else Refusal(self.outcome, self.note)

    def crawl_delay(self) -> float | None:
        if self.parsed is None:
            return None
        delay = self.parsed.crawl_delay(ROBOTS_AGENT)
        return float(delay) if delay is not None else None


class Politeness:
    """robots.txt rules, last-request times and time spent per origin, shared by a run's threads."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._rules: dict[str, _Rules] = {}
        self._last: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._spent: dict[str, float] = {}  # seconds of finished work per origin
        self._busy: dict[str, list[float]] = {}  # start times of work in progress per origin
        self._run_spent = 0.0  # seconds of finished `run_per_host` calls
        self._run_active = 0  # calls in progress (side by side, they count once)
        self._run_since = 0.0  # when the first call in progress began
        self._turn = threading.local()  # the origin this thread's scheduler waited for

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
        if res.outcome == "tls_error":  # final for the host's pages too: never downgraded
            return _Rules(None, False, f"robots.txt: {res.detail}", "tls_error")
        # 5xx, unreachable, blocked: assume complete disallow until a later run.
        return _Rules(None, False, f"{ROBOTS_UNAVAILABLE} ({res.outcome}: {res.detail})")

    def refusal(self, fetcher: Fetcher, url: httpx.URL) -> Refusal | None:
        """Why robots.txt forbids this URL, or None (always None when robots are off)."""
        if not self.settings.respect_robots:
            return None
        return self.rules(fetcher, url).refusal(str(url))

    def permit(self, fetcher: Fetcher) -> Permit:
        """The fetcher's hook on every hop: budget, robots.txt, then the host's delay."""

        def check(url: httpx.URL) -> Refusal | None:
            key = origin(url)
            refusal = self.budget_refusal(key) or self.refusal(fetcher, url)
            if refusal is None:
                self.pace(key)
            return refusal

        return check

    # The per-host delay.

    def delay(self, key: str) -> float:
        s = self.settings
        rules = self._rules.get(key)
        crawl = rules.crawl_delay() if rules else None
        return max(s.per_host_delay_seconds, min(crawl or 0.0, s.max_crawl_delay_seconds))

    def wait_turn(self, key: str) -> None:
        """Sleep until this origin's delay since its last request to it has passed.

        The turn is this thread's until its next request to the origin (see `pace`).
        """
        self._wait(key)
        self._turn.key = key

    def pace(self, key: str) -> None:
        """Before a request: use the turn the scheduler took for it, else wait for one.

        The first request of a URL `run_per_host` scheduled has waited already;
        a redirect hop or a retry is another request, so it waits its turn too.
        """
        if getattr(self._turn, "key", None) == key:
            self._turn.key = None
            return
        self._wait(key)

    def _wait(self, key: str) -> None:
        with self._lock("delay " + key):
            wait = self._last.get(key, -1e9) + self.delay(key) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last[key] = time.monotonic()

    # Budgets: seconds spent fetching per origin and per run.

    def host_spent(self, key: str) -> float:
        """Seconds spent on this origin's URLs in this run, work in progress included."""
        now = time.monotonic()
        with self._guard:
            return self._spent.get(key, 0.0) + sum(now - t for t in self._busy.get(key, ()))

    def run_spent(self) -> float:
        """Seconds this run has spent fetching (calls side by side count once)."""
        now = time.monotonic()
        with self._guard:
            return self._run_spent + (now - self._run_since if self._run_active else 0.0)

    def budget_refusal(self, key: str) -> Refusal | None:
        """A refusal when the run's or this origin's fetch budget is spent, else None."""
        s = self.settings
        if s.run_budget_seconds and self.run_spent() >= s.run_budget_seconds:
            why = f"the run's fetch budget of {s.run_budget_seconds:g} s is spent"
            return Refusal("budget_exceeded", f"{why}: left for the next run")
        if s.host_budget_seconds and key and self.host_spent(key) >= s.host_budget_seconds:
            why = f"the fetch budget of {s.host_budget_seconds:g} s for {key} is spent"
            return Refusal("budget_exceeded", f"{why}: left for the next run")
        return None

    @contextmanager
    def working_on(self, key: str) -> Iterator[None]:
        """Count the time of the block against this origin's budget."""
        started = time.monotonic()
        with self._guard:
            self._busy.setdefault(key, []).append(started)
        try:
            yield
        finally:
            with self._guard:
                self._busy[key].remove(started)
                self._spent[key] = self._spent.get(key, 0.0) + time.monotonic() - started

    @contextmanager
    def running(self) -> Iterator[None]:
        """Count the time of the block (a `run_per_host` call) against the run's budget."""
        with self._guard:
            if self._run_active == 0:
                self._run_since = time.monotonic()
            self._run_active += 1
        try:
            yield
        finally:
            with self._guard:
                self._run_active -= 1
                if self._run_active == 0:
                    self._run_spent += time.monotonic() - self._run_since


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
    over_budget: Callable[[T, Refusal], R] | None = None,
) -> list[R]:
    """`work` on every item: hosts in parallel (bounded), each host's items in turn.

    Results come back in the order of `items`. `work` must not raise: bad
    input is data, so it returns a result saying what went wrong. Once the
    host's or the run's fetch budget is spent, an item is not worked on:
    `over_budget` gives its result; without it `work` runs with no wait, and
    its fetcher's permit (`Politeness.permit`) refuses the request.
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
            spent = polite.budget_refusal(key) if key != _NO_ORIGIN else None
            if spent is not None and over_budget is not None:
                results[index] = over_budget(items[index], spent)
                continue
            if key != _NO_ORIGIN and spent is None:
                polite.wait_turn(key)
            with polite.working_on(key):
                results[index] = work(items[index])

    workers = max(1, min(polite.settings.max_hosts_in_parallel, len(groups)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
    try:
        with polite.running():
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
