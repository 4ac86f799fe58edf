"""Live-source flows: RSS/Atom feeds (`ingest-feeds`) and single pages (`ingest-urls`).

A batch of feeds is polled in one task, their new links fetched in one,
read in one, then coded and stored like files are; the store task writes
the batch's articles, events, fetch log and feed cursors in one transaction.
Every URL's fate is a `fetch_log` row; nothing about a feed or page fails the run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.ingest import chunked
from flows.runs import current_run_id, recorded_run
from tasks import fetch_steps, steps
from tasks.errors import EventpipeError
from tasks.fetch import robots
from tasks.fetch.feeds import DEFAULT_CONFIG, Entry, load_config
from tasks.fetch.http import FetchSettings
from tasks.fetch.records import FeedUpdate, FetchRecord, is_transient
from tasks.models import SourceKind
from tasks.runtime import raise_if_terminating
from tasks.store import BatchCounts
from warehouse.db import resolve_db_path

FEEDS_FLOW = "ingest-feeds"
URLS_FLOW = "ingest-urls"
# Feeds per batch: one poll task fetches them all; their pages (up to 200
# each) are fetched, read, coded and stored as one batch. Ten feeds bound a
# batch to 2,000 pages held in memory and one transaction: a crash or SIGTERM
# loses at most that much fetching, and the next run redoes it.
DEFAULT_FEED_BATCH = 10
# Pages per batch for `ingest-urls`.
DEFAULT_URL_BATCH = 100


@dataclass(slots=True)
class SourceSummary:
    """One feed's (or the URL list's) totals, for the run's table artifact."""

    source: str
    outcome: str = ""
    entries: int = 0
    fetched: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    events: int = 0

    def as_row(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "outcome": self.outcome,
            "entries": self.entries,
            "fetched": self.fetched,
            "new": self.new,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "events": self.events,
        }


@dataclass(slots=True)
class LiveResult:
    """What a live-source run did: totals, per-source summaries, outcomes, failed URLs."""

    run_id: str
    db: str
    counts: BatchCounts
    sources: list[SourceSummary]
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[FetchRecord] = field(default_factory=list)


@flow(name=FEEDS_FLOW)
def ingest_feeds(
    config: str | None = None,
    db: str | None = None,
    allow_private_hosts: bool = False,
    batch_size: int = DEFAULT_FEED_BATCH,
) -> LiveResult:
    """Poll the feeds of a TOML file, fetch their new pages, store articles and events."""
    if batch_size < 1:
        raise EventpipeError("batch_size must be at least 1")
    feeds_file = load_config(config, allow_private_hosts=allow_private_hosts or None)
    settings = feeds_file.settings
    db_path = str(resolve_db_path(db))
    run_id = current_run_id()
    parameters = {
        "config": str(config or DEFAULT_CONFIG),
        "allow_private_hosts": settings.allow_private_hosts,
        "batch_size": batch_size,
    }
    result = LiveResult(run_id, db_path, BatchCounts(), [])
    try:
        with recorded_run(db_path, run_id, FEEDS_FLOW, parameters, lambda: result.counts):
            pending = list(feeds_file.problems)  # bad [[feeds]] tables, stored with batch one
            for batch in list(chunked(feeds_file.feeds, batch_size)) or [[]]:
                raise_if_terminating()
                polls = fetch_steps.poll_feeds(db_path, run_id, batch, settings) if batch else []
                summaries = {
                    p.feed.url: SourceSummary(
                        p.feed.url,
                        p.records[0].outcome if p.records else "not_due",
                        len(p.entries),
                    )
                    for p in polls
                }
                records = pending + [r for p in polls for r in p.records]
                entries = [e for p in polls for e in p.entries]
                updates = [p.update for p in polls if p.update is not None]
                _live_batch(
                    db_path, run_id, settings, "feed", entries, records, updates, summaries, result
                )
                pending = []
                result.sources.extend(summaries.values())
    finally:
        robots.forget_run(run_id)
    _publish_artifact("ingest-feeds-summary", result)
    return result


@flow(name=URLS_FLOW)
def ingest_urls(
    urls: list[str],
    db: str | None = None,
    allow_private_hosts: bool = False,
    config: str | None = None,
    batch_size: int = DEFAULT_URL_BATCH,
) -> LiveResult:
    """Fetch single pages (settings from the `[fetch]` table of `config`, if given)."""
    if batch_size < 1:
        raise EventpipeError("batch_size must be at least 1")
    settings = (
        load_config(config, allow_private_hosts=allow_private_hosts or None).settings
        if config
        else FetchSettings(allow_private_hosts=allow_private_hosts)
    )
    db_path = str(resolve_db_path(db))
    run_id = current_run_id()
    parameters = {"urls": list(urls), "allow_private_hosts": settings.allow_private_hosts}
    result = LiveResult(run_id, db_path, BatchCounts(), [])
    summary = SourceSummary("URLs", "fetched", len(urls))
    try:
        with recorded_run(db_path, run_id, URLS_FLOW, parameters, lambda: result.counts):
            for batch in chunked([Entry(url=u.strip()) for u in urls], batch_size):
                raise_if_terminating()
                by_source = {None: summary}
                _live_batch(db_path, run_id, settings, "url", batch, [], [], by_source, result)
    finally:
        robots.forget_run(run_id)
    result.sources.append(summary)
    _publish_artifact("ingest-urls-summary", result)
    return result


def _live_batch(
    db: str,
    run_id: str,
    settings: FetchSettings,
    source_kind: SourceKind,
    entries: list[Entry],
    records: list[FetchRecord],
    updates: list[FeedUpdate],
    summaries: dict[Any, SourceSummary],
    result: LiveResult,
) -> None:
    """Pick new links, fetch, read, code and store one batch; add its totals to `result`."""
    fresh, selected_records, skipped = fetch_steps.select_new(db, entries, source_kind == "url")
    pages, fetch_records = fetch_steps.fetch_pages(run_id, fresh, settings) if fresh else ([], [])
    pairs, extract_records = fetch_steps.extract_pages(pages, source_kind) if pages else ([], [])
    articles = [article for article, _ in pairs]
    new_articles, _ = steps.skip_stored(db, articles) if articles else ([], 0)
    extracted, coder_failures = steps.extract_events(new_articles) if new_articles else ([], [])
    new_ids = {a.article_id for a in new_articles}
    coded = {x.article.article_id: len(x.events) for x in extracted}
    failures = iter(coder_failures)
    seen: set[str] = set()
    for article, record in pairs:  # provisional 'stored' records get their real outcome
        if article.article_id not in new_ids or article.article_id in seen:
            record.outcome, record.detail = "duplicate_content", "text stored already"
        elif article.article_id not in coded:
            failure = next(failures, None)
            record.outcome = "extract_failed"
            record.detail = failure.detail if failure else "the event coder failed"
        seen.add(article.article_id)
    page_records = selected_records + fetch_records + extract_records + [r for _, r in pairs]
    _hold_cursors(updates, page_records)
    all_records = records + page_records
    stored = BatchCounts()
    if extracted or all_records or updates:
        stored = fetch_steps.store_live_batch(db, run_id, extracted, all_records, updates)
    # Every link is a would-be article: new, duplicate (known link, stored text) or rejected.
    counts = BatchCounts(
        articles_seen=len(entries),
        articles_new=stored.articles_new,
        articles_duplicate=sum(skipped.values())
        + len(articles)
        - len(new_articles)
        + stored.articles_duplicate,
        articles_rejected=sum(r.failed for r in page_records),
        events_stored=stored.events_stored,
    )
    result.counts += counts
    result.outcomes.update(r.outcome for r in all_records)
    result.failures.extend(r for r in all_records if r.failed)
    _summarise(summaries, page_records, skipped, coded, source_kind)


def _hold_cursors(updates: list[FeedUpdate], page_records: list[FetchRecord]) -> None:
    """A feed whose pages failed for now keeps its old cursor, to list them again next time."""
    retry = {r.feed_url for r in page_records if is_transient(r)}
    for update in updates:
        if update.feed_url in retry:
            update.move_cursor = False


def _summarise(
    summaries: dict[Any, SourceSummary],
    page_records: list[FetchRecord],
    skipped: dict[str | None, int],
    coded: dict[str, int],
    source_kind: SourceKind,
) -> None:
    def summary_of(feed_url: str | None) -> SourceSummary | None:
        return summaries.get(None if source_kind == "url" else feed_url)

    for feed_url, n in skipped.items():
        if (s := summary_of(feed_url)) is not None:
            s.duplicate += n
    for record in page_records:
        s = summary_of(record.feed_url)
        if s is None:
            continue
        s.fetched += record.bytes is not None
        if record.outcome == "stored":
            s.new += 1
            s.events += coded.get(record.article_id or "", 0)
        elif record.outcome == "duplicate_content":  # known links are in `skipped`
            s.duplicate += 1
        elif record.failed:
            s.rejected += 1


def _publish_artifact(key: str, result: LiveResult) -> None:
    rows = [s.as_row() for s in result.sources]
    c = result.counts
    rows.append(
        SourceSummary(
            "TOTAL",
            "",
            sum(s.entries for s in result.sources),
            sum(s.fetched for s in result.sources),
            c.articles_new,
            c.articles_duplicate,
            c.articles_rejected,
            c.events_stored,
        ).as_row()
    )
    create_table_artifact(rows, key=key, description="Feeds and pages: fetched, new, events")
