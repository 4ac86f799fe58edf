"""A live batch (feeds, pages) after fetching: read, code, settle, store, as plain data.

The flow process selects and fetches a batch's links (I/O with per-host politeness,
robots.txt and the run's HTTP client: it stays there). What follows is the same on
either side: read the pages and code the new texts (`ReadBatch`), then settle each
page's outcome, hold the feed cursors that must be retried, store everything in one
transaction and tally it per feed (`settle_and_store`, giving a `LiveDone`).

With `--runner dask` and a DuckLake, Dask workers run `read_code_unit` (batches side by
side) and `store_live_unit` (each batch's after the previous one's, as for files:
`tasks.worker_batch`); otherwise the flow process runs the same steps as its tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasks import coding, store
from tasks.fetch import crawl, reconcile
from tasks.fetch.crawl import FetchedPage
from tasks.link import LinkSettings
from tasks.models import Article, BatchCounts, ExtractedArticle, Rejection, SourceKind
from tasks.records import FeedUpdate, FetchRecord
from tasks.worker_batch import data_path_set, refuse_a_file
from warehouse import open_warehouse


@dataclass(slots=True)
class Fetched:
    """What the flow process did for a batch before reading its pages."""

    source_kind: SourceKind
    links: int  # entries (feeds' links, or URLs) in the batch
    skipped: dict[str | None, int]  # links known before, per feed
    page_records: list[FetchRecord]  # selection and fetch outcomes
    records: list[FetchRecord] = field(default_factory=list)  # feeds' own poll records
    updates: list[FeedUpdate] = field(default_factory=list)  # feed cursors to store


@dataclass(slots=True)
class ReadBatch:
    """The batch's pages read, and its new texts coded."""

    read: list[tuple[Article, FetchRecord]] = field(default_factory=list)
    read_failures: list[FetchRecord] = field(default_factory=list)
    fresh: list[Article] = field(default_factory=list)
    extracted: list[ExtractedArticle] = field(default_factory=list)
    failures: list[Rejection] = field(default_factory=list)


@dataclass(slots=True)
class LiveDone:
    """A stored live batch's totals, its records (outcomes, failures) and per-feed tallies."""

    counts: BatchCounts
    records: list[FetchRecord]
    tallies: dict[Any, reconcile.LinkTally]


StoreFn = Callable[..., BatchCounts]


def settle_and_store(
    db: str,
    run_id: str,
    fetched: Fetched,
    batch: ReadBatch,
    store_fn: StoreFn = store.store_batch,
    settings: LinkSettings | None = None,
) -> LiveDone:
    """Settle each page's outcome, hold cursors to retry, store the batch in one
    transaction (`store_fn`: the flow's task, or the plain writer on a worker)."""
    reconcile.settle_page_outcomes(batch.read, batch.fresh, batch.extracted, batch.failures)
    page_records = fetched.page_records + batch.read_failures + [r for _, r in batch.read]
    reconcile.hold_cursors(fetched.updates, page_records)
    all_records = fetched.records + page_records
    stored = BatchCounts()
    if batch.extracted or all_records or fetched.updates:
        stored = store_fn(
            db, run_id, batch.extracted, [], all_records, fetched.updates, settings=settings
        )
    counts = reconcile.link_counts(
        fetched.links, fetched.skipped, len(batch.read), len(batch.fresh), stored, page_records
    )
    by_feed = fetched.source_kind == "feed"
    tallies = reconcile.tally_links(page_records, fetched.skipped, batch.extracted, by_feed)
    return LiveDone(counts, all_records, tallies)


def read_code_unit(
    db: str, data_path: str | None, pages: list[FetchedPage], source_kind: SourceKind
) -> ReadBatch:
    """On a worker: read the pages, skip texts the lake holds, code the rest."""
    refuse_a_file(db)
    batch = ReadBatch()
    if not pages:
        return batch
    batch.read, batch.read_failures = crawl.read_pages(pages, source_kind)
    articles = [a for a, _ in batch.read]
    with data_path_set(data_path):
        known = open_warehouse(db).stored_article_ids([a.article_id for a in articles])
    batch.fresh = [a for a in articles if a.article_id not in known]
    if batch.fresh:
        batch.extracted, batch.failures = coding.code_articles(batch.fresh)
    return batch


def store_live_unit(
    db: str,
    data_path: str | None,
    run_id: str,
    batch: ReadBatch,
    after: Any,
    settings: LinkSettings | None,
    fetched: Fetched,
) -> LiveDone:
    """On a worker: settle and store one read batch into the DuckLake `db`. `after` is
    the previous batch's result, only a dependency: batches are stored in order. The
    arguments come in `store_batch_unit`'s order, then what a live batch adds."""
    refuse_a_file(db)
    del after
    with data_path_set(data_path):
        _drop_stored_since(db, batch)
        return settle_and_store(db, run_id, fetched, batch, store.store_batch, settings)


def _drop_stored_since(db: str, batch: ReadBatch) -> None:
    """Texts an earlier batch stored while this one was being coded are duplicates, as
    the local run (which codes a batch only after the previous one is stored) finds
    them: their pages are settled `duplicate_content`, not `stored`."""
    known = open_warehouse(db).stored_article_ids([a.article_id for a in batch.fresh])
    if known:
        batch.fresh = [a for a in batch.fresh if a.article_id not in known]
        batch.extracted = [x for x in batch.extracted if x.article.article_id not in known]
