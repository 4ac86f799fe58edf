"""Live-source flows: RSS/Atom feeds (`ingest-feeds`) and single pages (`ingest-urls`).

Per batch: poll the feeds (one task), pick their new links, fetch them, read
them (on every core), skip stored texts and code the rest, settle each
page's outcome, then store articles, events, fetch log and feed cursors in
one transaction. Every URL's fate is a `fetch_log` row; nothing about a
feed or page fails the run.
"""

from __future__ import annotations

from functools import partial

from prefect import flow

from flows.report.publish import refresh_after
from flows.skeleton import (
    RunResult,
    SourceSummary,
    batches,
    code_new,
    flow_run,
    report_progress,
)
from flows.worker_writes import WorkerWrites, worker_writes
from tasks import fetch_steps, steps
from tasks.fetch import robots
from tasks.fetch.feeds import DEFAULT_CONFIG, Entry, load_config
from tasks.fetch.http import FetchSettings
from tasks.live_batch import Fetched, LiveDone, ReadBatch, settle_and_store
from tasks.models import SourceKind
from tasks.records import FeedUpdate, FetchRecord

FEEDS_FLOW = "ingest-feeds"
URLS_FLOW = "ingest-urls"
# Feeds per batch: one poll task fetches them all; their pages (up to 200
# each) are fetched, read, coded and stored as one batch. Ten feeds bound a
# batch to 2,000 pages held in memory and one transaction: a crash or SIGTERM
# loses at most that much fetching, and the next run redoes it.
DEFAULT_FEED_BATCH = 10
# Pages per batch for `ingest-urls`.
DEFAULT_URL_BATCH = 100


@flow(name=FEEDS_FLOW)
def ingest_feeds(
    config: str | None = None,
    db: str | None = None,
    allow_private_hosts: bool = False,
    batch_size: int = DEFAULT_FEED_BATCH,
    force: bool = False,
    report: bool = False,
) -> RunResult:
    """Poll the feeds of a TOML file, fetch their new pages, store articles and events.

    A feed is polled when due (its interval passed since its last successful poll),
    or always with `force`. With `report` (scheduled runs), a run that stored new
    articles refreshes the HTML report and links it in an artifact.
    """
    feeds_file = load_config(config, allow_private_hosts=allow_private_hosts or None)
    settings = feeds_file.settings
    parameters = {
        "config": str(config or DEFAULT_CONFIG),
        "allow_private_hosts": settings.allow_private_hosts,
        "batch_size": batch_size,
        "force": force,
    }
    # On Dask with a DuckLake, the workers read, code and store the fetched batches.
    with (
        flow_run(FEEDS_FLOW, db, parameters, batch_size) as result,
        worker_writes(result.db, result.run_id) as writes,
    ):
        try:
            pending = list(feeds_file.problems)  # bad [[feeds]] tables, stored with batch one
            for batch in batches(feeds_file.feeds, batch_size, at_least_one=True):
                polls = fetch_steps.poll_feeds(result.db, result.run_id, batch, settings, force)
                summaries: dict[str | None, SourceSummary] = {
                    p.feed.url: SourceSummary(p.feed.url, p.outcome, len(p.entries)) for p in polls
                }
                records = pending + [r for p in polls for r in p.records]
                entries = [e for p in polls for e in p.entries]
                updates = [p.update for p in polls if p.update is not None]
                live_batch(result, settings, "feed", entries, records, updates, summaries, writes)
                report_progress(result, len(result.sources) + len(batch), len(feeds_file.feeds))
                pending = []
                result.sources.extend(summaries.values())
        finally:
            robots.forget_run(result.run_id)
        if writes is not None:
            writes.drain()  # every batch stored before the report is refreshed
        refresh_after(result, report)
    return result


@flow(name=URLS_FLOW)
def ingest_urls(
    urls: list[str],
    db: str | None = None,
    allow_private_hosts: bool = False,
    config: str | None = None,
    batch_size: int = DEFAULT_URL_BATCH,
) -> RunResult:
    """Fetch single pages (settings from the `[fetch]` table of `config`, if given)."""
    settings = (
        load_config(config, allow_private_hosts=allow_private_hosts or None).settings
        if config
        else FetchSettings(allow_private_hosts=allow_private_hosts)
    )
    parameters = {"urls": list(urls), "allow_private_hosts": settings.allow_private_hosts}
    summary = SourceSummary("URLs", "fetched", len(urls))
    with (
        flow_run(URLS_FLOW, db, parameters, batch_size) as result,
        worker_writes(result.db, result.run_id) as writes,
    ):
        try:
            done = 0
            for batch in batches([Entry(url=u.strip()) for u in urls], batch_size):
                live_batch(result, settings, "url", batch, [], [], {None: summary}, writes)
                done += len(batch)
                report_progress(result, done, len(urls))
        finally:
            robots.forget_run(result.run_id)
        result.sources.append(summary)
    return result


def live_batch(
    result: RunResult,
    settings: FetchSettings,
    source_kind: SourceKind,
    entries: list[Entry],
    records: list[FetchRecord],
    updates: list[FeedUpdate],
    summaries: dict[str | None, SourceSummary],
    writes: WorkerWrites | None = None,
) -> None:
    """Select, fetch, read, code, settle and store one batch; add its totals to `result`
    (when it is stored: at once here, or when the Dask workers have stored it)."""
    db, run_id = result.db, result.run_id
    fresh_links, link_records, skipped = fetch_steps.select_new(db, entries, source_kind == "url")
    pages, fetch_records = (
        fetch_steps.fetch_pages(run_id, fresh_links, settings) if fresh_links else ([], [])
    )
    fetched = Fetched(
        source_kind, len(entries), skipped, link_records + fetch_records, records, updates
    )
    done = partial(_add_totals, result, summaries)
    if writes is not None:
        writes.submit_live(pages, fetched, done)
        return
    read, read_failures = fetch_steps.read_pages(pages, source_kind) if pages else ([], [])
    coded = code_new(db, [article for article, _ in read])
    batch = ReadBatch(read, read_failures, coded.fresh, coded.extracted, coded.failures)
    done(settle_and_store(db, run_id, fetched, batch, steps.store_batch))


def _add_totals(
    result: RunResult, summaries: dict[str | None, SourceSummary], done: LiveDone
) -> None:
    result.counts += done.counts
    result.outcomes.update(r.outcome for r in done.records)
    result.failures.extend(r for r in done.records if r.failed)
    for key, tally in done.tallies.items():
        if (summary := summaries.get(key)) is not None:
            summary.fetched += tally.fetched
            summary.counts += tally.counts
