"""The fetch stage over a batch: poll feeds, pick the new links, fetch and read pages.

Plain functions over lists (the Prefect wrappers are in `tasks/fetch_steps.py`).
Each URL's fate is a `FetchRecord`; nothing here raises for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tasks.fetch.feeds import Entry, FeedConfig, parse_feed
from tasks.fetch.http import HTML_TYPES, Fetcher, FetchSettings, Permit, Response
from tasks.fetch.pages import canonical_url, read_page
from tasks.fetch.robots import Politeness, for_run, run_per_host
from tasks.models import Article, FeedState, SourceKind
from tasks.records import FeedUpdate, FetchOutcome, FetchRecord, one_line

# Content types a feed may come as; HTML is let through so that feedparser,
# not the content type, says it is not a feed (servers mislabel real feeds).
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/xml",
        "text/xml",
        "text/html",
        "text/plain",
        "application/octet-stream",
    }
)


@dataclass(slots=True)
class FeedPoll:
    """One feed's poll: its record, its usable entries, and its next state (None if not due)."""

    feed: FeedConfig
    records: list[FetchRecord] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    update: FeedUpdate | None = None
    due_at: datetime | None = None  # a feed not due: when it will be

    @property
    def outcome(self) -> str:
        """How the poll went, for the run's summary: its outcome, or when it is due."""
        if self.records:
            return self.records[0].outcome
        if self.due_at is not None:
            return f"not due until {self.due_at:%H:%M} UTC"
        return "not_due"

    @property
    def due(self) -> bool:
        return self.update is not None


@dataclass(slots=True)
class FetchedPage:
    """A page's bytes and how they came, on the way to extraction."""

    entry: Entry
    final_url: str
    body: bytes
    content_type: str
    status: int | None
    attempts: int


# A poll with one of these outcomes starts the feed's interval; after any other (a
# timeout, a DNS failure, a refused address) the feed is due again at once, so a
# retry (say with --allow-private-hosts) is not skipped as "not due".
POLLED_OUTCOMES = frozenset({"fetched", "fetched_bozo", "not_modified"})


def due_at(feed: FeedConfig, state: FeedState | None) -> datetime | None:
    """When the feed is next due: None when it is due now (never polled successfully,
    no interval, or its last poll failed)."""
    if state is None or state.last_polled_at is None or not feed.interval_minutes:
        return None
    if state.last_outcome is not None and state.last_outcome not in POLLED_OUTCOMES:
        return None
    last = state.last_polled_at
    last = last if last.tzinfo else last.replace(tzinfo=UTC)
    return last + timedelta(minutes=feed.interval_minutes)


def is_due(feed: FeedConfig, state: FeedState | None, now: datetime) -> bool:
    """A feed is polled when never polled successfully, or when its interval has passed."""
    when = due_at(feed, state)
    return when is None or now >= when


def _permit(fetcher: Fetcher, polite: Politeness) -> Permit:
    return polite.permit(fetcher)


def _safe_get(
    fetcher: Fetcher,
    url: str,
    accept: frozenset[str],
    permit: Permit,
    state: FeedState | None = None,
) -> Response:
    """`Fetcher.get`, with any surprise turned into a record rather than a crashed batch."""
    try:
        return fetcher.get(
            url,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            accept=accept,
            permit=permit,
        )
    except Exception as exc:  # bad input is data: one odd URL must not end the run
        return Response(url, "connection_error", f"unexpected {type(exc).__name__}: {exc}")


def poll_feeds(
    run_id: str,
    feeds: list[FeedConfig],
    states: dict[str, FeedState],
    settings: FetchSettings,
    force: bool = False,
) -> list[FeedPoll]:
    """Fetch and parse the feeds that are due (all with `force`), hosts in parallel,
    with conditional GET.

    `states` are the feeds' stored cursors (read from the warehouse by the flow).
    """
    now = datetime.now(UTC)
    due = [f for f in feeds if force or is_due(f, states.get(f.url), now)]
    polite = for_run(run_id, settings)
    with Fetcher(settings) as fetcher:
        permit = _permit(fetcher, polite)

        def one(feed: FeedConfig) -> FeedPoll:
            state = states.get(feed.url)
            res = _safe_get(fetcher, feed.url, FEED_TYPES, permit, state)
            return read_poll(feed, state, res, now)

        polled = {p.feed.url: p for p in run_per_host(due, lambda f: f.url, one, polite)}
    return [polled.get(f.url) or FeedPoll(f, due_at=due_at(f, states.get(f.url))) for f in feeds]


def read_poll(feed: FeedConfig, state: FeedState | None, res: Response, now: datetime) -> FeedPoll:
    """Turn a feed's response into entries, records and its next state."""
    record = FetchRecord(
        "feed",
        feed.url,
        res.outcome,
        res.detail,
        feed_url=feed.url,
        final_url=res.final_url,
        http_status=res.status,
        attempts=res.attempts,
        bytes=len(res.body) if res.ok else None,
    )
    update = FeedUpdate(
        feed.url,
        feed.name,
        res.outcome,
        res.status,
        now,
        etag=res.headers.get("etag") or (state.etag if state else None),
        last_modified=res.headers.get("last-modified") or (state.last_modified if state else None),
        held_etag=state.etag if state else None,
        held_last_modified=state.last_modified if state else None,
        move_cursor=res.outcome in ("fetched", "not_modified"),
    )
    poll = FeedPoll(feed, [record], [], update)
    if not res.ok:
        return poll
    try:
        parsed = parse_feed(res.body, res.content_type, res.final_url or feed.url, feed)
    except Exception as exc:  # feedparser on hostile bytes: this feed's problem only
        record.outcome, record.detail = "bad_feed", one_line(f"not parsed: {exc}")
        update.status = "bad_feed"
        return poll
    outcome: FetchOutcome = "fetched_bozo" if parsed.bozo else "fetched"
    if not parsed.entries and (parsed.bozo or not parsed.version):
        outcome = "bad_feed"
        record.detail = parsed.bozo_reason or "not an RSS or Atom feed"
    elif parsed.bozo:
        record.detail = f"malformed, {len(parsed.entries)} entries used: {parsed.bozo_reason}"
    record.outcome = update.status = outcome
    update.bozo, update.bozo_reason = parsed.bozo, parsed.bozo_reason
    update.entries = len(parsed.entries)
    poll.entries = parsed.entries
    if parsed.without_link:
        poll.records.append(
            FetchRecord(
                "feed",
                feed.url,
                "no_link",
                f"{parsed.without_link} entries without a usable http(s) link",
                feed_url=feed.url,
            )
        )
    return poll


def link_urls(
    entries: list[Entry],
) -> tuple[dict[str, Entry], list[FetchRecord], dict[str | None, int]]:
    """Each entry's canonical URL, once: the entries by URL, bad URLs' records, repeats per feed."""
    records: list[FetchRecord] = []
    repeats: dict[str | None, int] = {}
    by_url: dict[str, Entry] = {}
    for entry in entries:
        canon = canonical_url(entry.url)
        if canon is None:
            records.append(
                FetchRecord("page", entry.url, "bad_url", "not an http(s) URL", entry.feed_url)
            )
            continue
        entry.canonical_url = canon
        if canon in by_url:
            repeats[entry.feed_url] = repeats.get(entry.feed_url, 0) + 1
            continue
        by_url[canon] = entry
    return by_url, records, repeats


def drop_known(
    by_url: dict[str, Entry],
    known: set[str],
    skipped: dict[str | None, int],
    log_known: bool = False,
) -> tuple[list[Entry], list[FetchRecord]]:
    """The entries whose URL is not `known` (stored or settled), in order.

    Known links are added to `skipped` per feed, and recorded as `duplicate_url`
    when `log_known` (a URL asked for by name deserves an answer).
    """
    fresh: list[Entry] = []
    records: list[FetchRecord] = []
    for canon, entry in by_url.items():
        if canon not in known:
            fresh.append(entry)
            continue
        skipped[entry.feed_url] = skipped.get(entry.feed_url, 0) + 1
        if log_known:
            records.append(
                FetchRecord(
                    "page",
                    entry.url,
                    "duplicate_url",
                    "already stored: not fetched again",
                    entry.feed_url,
                    canonical_url=canon,
                )
            )
    return fresh, records


def fetch_pages(
    run_id: str, entries: list[Entry], settings: FetchSettings
) -> tuple[list[FetchedPage], list[FetchRecord]]:
    """Fetch the pages: hosts in parallel, one at a time within a host, robots.txt obeyed."""
    polite = for_run(run_id, settings)
    with Fetcher(settings) as fetcher:
        permit = _permit(fetcher, polite)
        responses = run_per_host(
            entries,
            lambda e: e.url,
            lambda e: _safe_get(fetcher, e.url, HTML_TYPES, permit),
            polite,
            over_budget=lambda e, why: Response(e.url, why.outcome, why.detail),
        )
    pages: list[FetchedPage] = []
    records: list[FetchRecord] = []
    for entry, res in zip(entries, responses, strict=True):
        if res.ok and res.body.strip():
            final = res.final_url or entry.url
            pages.append(
                FetchedPage(entry, final, res.body, res.content_type, res.status, res.attempts)
            )
            continue
        outcome, detail = (res.outcome, res.detail) if not res.ok else ("no_text", "empty body")
        records.append(
            FetchRecord(
                "page",
                entry.url,
                outcome,
                detail,
                feed_url=entry.feed_url,
                canonical_url=entry.canonical_url,
                final_url=res.final_url,
                http_status=res.status,
                attempts=res.attempts,
            )
        )
    return pages, records


def read_pages(
    pages: list[FetchedPage], source_kind: SourceKind
) -> tuple[list[tuple[Article, FetchRecord]], list[FetchRecord]]:
    """Articles from fetched pages, each with its (provisional 'stored') record; failures.

    A batch stage like `clean.clean_docs` (run over the process pool by its step).
    """
    articles: list[tuple[Article, FetchRecord]] = []
    failures: list[FetchRecord] = []
    for page in pages:
        result = read_page(page.entry, page.final_url, page.body, page.content_type, source_kind)
        record = result if isinstance(result, FetchRecord) else None
        if record is None:
            record = FetchRecord(
                "page", page.entry.url, "stored", "", page.entry.feed_url, page.entry.canonical_url
            )
        record.final_url = page.final_url
        record.http_status, record.attempts = page.status, page.attempts
        record.bytes = len(page.body)
        if isinstance(result, Article):
            record.article_id = result.article_id
            articles.append((result, record))
        else:
            failures.append(record)
    return articles, failures
