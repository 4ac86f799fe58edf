"""Prefect task wrappers of the fetch stage: one step over a batch each, like `steps.py`.

Retries happen inside the HTTP layer, per URL, so one flaky page never
re-runs a batch; these tasks have no Prefect retries. Inputs are paths,
ids, URLs and records, never connections; caching is off (bodies are big).
The fetch stage never opens the warehouse: what it needs from it (feed
cursors, known URLs) is read here and handed over as data.
"""

from __future__ import annotations

from tasks.runtime import configure_prefect_env

configure_prefect_env()

from functools import partial  # noqa: E402

from prefect import task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from tasks import parallel  # noqa: E402
from tasks.fetch import crawl  # noqa: E402
from tasks.fetch.crawl import FeedPoll, FetchedPage  # noqa: E402
from tasks.fetch.feeds import Entry, FeedConfig  # noqa: E402
from tasks.fetch.http import FetchSettings  # noqa: E402
from tasks.models import Article, FeedState, SourceKind  # noqa: E402
from tasks.records import SETTLED_OUTCOMES, FetchRecord  # noqa: E402
from warehouse import open_warehouse  # noqa: E402


@task(name="poll-feeds", cache_policy=NO_CACHE)
def poll_feeds(
    db: str, run_id: str, feeds: list[FeedConfig], settings: FetchSettings, force: bool = False
) -> list[FeedPoll]:
    """Fetch and parse a batch of feeds that are due, or all of them with `force`
    (conditional GET; hosts in parallel)."""
    cursors = open_warehouse(db).feed_cursors([f.url for f in feeds])
    states = {url: FeedState(**row) for url, row in cursors.items()}
    return crawl.poll_feeds(run_id, feeds, states, settings, force)


@task(name="select-new-links", cache_policy=NO_CACHE)
def select_new(
    db: str, entries: list[Entry], log_known: bool = False
) -> tuple[list[Entry], list[FetchRecord], dict[str | None, int]]:
    """Drop links seen in this batch or known to the warehouse, before any fetch.

    Returns the links to fetch, the records of bad (and, with `log_known`, known)
    links, and how many known or repeated links each feed had.
    """
    by_url, records, skipped = crawl.link_urls(entries)
    known = open_warehouse(db).settled_urls(list(by_url), SETTLED_OUTCOMES)
    fresh, known_records = crawl.drop_known(by_url, known, skipped, log_known)
    return fresh, records + known_records, skipped


@task(name="fetch-pages", cache_policy=NO_CACHE)
def fetch_pages(
    run_id: str, entries: list[Entry], settings: FetchSettings
) -> tuple[list[FetchedPage], list[FetchRecord]]:
    """Fetch a batch of pages politely (robots.txt, per-host delay; hosts in parallel)."""
    return crawl.fetch_pages(run_id, entries, settings)


@task(name="read-pages", cache_policy=NO_CACHE)
def read_pages(
    pages: list[FetchedPage], source_kind: SourceKind
) -> tuple[list[tuple[Article, FetchRecord]], list[FetchRecord]]:
    """Main text and metadata of each fetched page (trafilatura, htmldate; on every core)."""
    return parallel.map_split(partial(crawl.read_pages, source_kind=source_kind), pages)
