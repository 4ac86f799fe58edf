"""Prefect task wrappers of the fetch stage: one step over a batch each, like `steps.py`.

Retries happen inside the HTTP layer, per URL, so one flaky page never
re-runs a batch; these tasks have no Prefect retries. Inputs are paths,
ids, URLs and records, never connections; caching is off (bodies are big).
"""

from __future__ import annotations

from tasks.runtime import configure_prefect_env

configure_prefect_env()

from prefect import task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from tasks.fetch import crawl, storage  # noqa: E402
from tasks.fetch.crawl import FeedPoll, FetchedPage  # noqa: E402
from tasks.fetch.feeds import Entry, FeedConfig  # noqa: E402
from tasks.fetch.http import FetchSettings  # noqa: E402
from tasks.fetch.records import FeedUpdate, FetchRecord  # noqa: E402
from tasks.models import Article, SourceKind  # noqa: E402
from tasks.store import BatchCounts, ExtractedArticle  # noqa: E402


@task(name="poll-feeds", cache_policy=NO_CACHE)
def poll_feeds(
    db: str, run_id: str, feeds: list[FeedConfig], settings: FetchSettings
) -> list[FeedPoll]:
    """Fetch and parse a batch of feeds (conditional GET; hosts in parallel)."""
    return crawl.poll_feeds(db, run_id, feeds, settings)


@task(name="select-new-links", cache_policy=NO_CACHE)
def select_new(
    db: str, entries: list[Entry], log_known: bool = False
) -> tuple[list[Entry], list[FetchRecord], dict[str | None, int]]:
    """Drop links seen in this batch or known to the warehouse, before any fetch."""
    return crawl.select_new(db, entries, log_known)


@task(name="fetch-pages", cache_policy=NO_CACHE)
def fetch_pages(
    run_id: str, entries: list[Entry], settings: FetchSettings
) -> tuple[list[FetchedPage], list[FetchRecord]]:
    """Fetch a batch of pages politely (robots.txt, per-host delay; hosts in parallel)."""
    return crawl.fetch_pages(run_id, entries, settings)


@task(name="extract-pages", cache_policy=NO_CACHE)
def extract_pages(
    pages: list[FetchedPage], source_kind: SourceKind
) -> tuple[list[tuple[Article, FetchRecord]], list[FetchRecord]]:
    """Main text and metadata of each fetched page (trafilatura, htmldate)."""
    return crawl.extract_pages(pages, source_kind)


@task(name="store-live-batch", cache_policy=NO_CACHE)
def store_live_batch(
    db: str,
    run_id: str,
    extracted: list[ExtractedArticle],
    records: list[FetchRecord],
    feeds: list[FeedUpdate],
) -> BatchCounts:
    """Articles, events, fetch log and feed cursors of a batch, in one transaction."""
    return storage.store_live_batch(db, run_id, extracted, records, feeds)
