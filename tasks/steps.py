"""Prefect task wrappers: one logical step or side effect each, over a batch.

Each is a thin shell over a plain function of the stage modules, so the
logic is tested without Prefect (or through `.fn`). Inputs are batches and
paths, never connections; caching is off because inputs hold whole texts
that Prefect would otherwise hash on every call.
"""

from __future__ import annotations

from tasks.runtime import configure_prefect_env

configure_prefect_env()

from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from prefect import task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from tasks import clean, coding, load, parallel, store  # noqa: E402
from tasks.link import LinkSettings  # noqa: E402
from tasks.load import RawDoc  # noqa: E402
from tasks.models import Article, BatchCounts, ExtractedArticle, Rejection  # noqa: E402
from tasks.records import FeedUpdate, FetchRecord  # noqa: E402
from warehouse import open_warehouse  # noqa: E402
from warehouse.runs import RunStatus  # noqa: E402


@task(name="start-run", cache_policy=NO_CACHE)
def start_run(db: str, run_id: str, flow_name: str, parameters: dict[str, Any]) -> None:
    """Record the run as running (and migrate the warehouse if needed)."""
    open_warehouse(db).start_run(run_id, flow_name, parameters)


@task(name="load-files", cache_policy=NO_CACHE)
def load_files(units: list[load.WorkUnit]) -> tuple[list[RawDoc], list[Rejection]]:
    """Read a batch of files (or slices of JSONL files) from disk."""
    return load.load_units(units)


@task(name="skip-stored-inputs", cache_policy=NO_CACHE)
def skip_stored_inputs(db: str, docs: list[RawDoc]) -> tuple[list[RawDoc], int]:
    """Drop inputs settled before (same bytes and metadata), before parsing them; count them.

    Settled: stored, a duplicate of a stored text, or rejected for its content.
    """
    hashes = [d.raw_sha256 for d in docs]
    known = open_warehouse(db).settled_raw_hashes(hashes, store.SETTLED_REJECTIONS)
    fresh = [d for d, h in zip(docs, hashes, strict=True) if h not in known]
    return fresh, len(docs) - len(fresh)


@task(name="clean", cache_policy=NO_CACHE)
def clean_docs(
    docs: list[RawDoc], published: str | None = None
) -> tuple[list[Article], list[Rejection]]:
    """Extract and normalise text; reject what holds none (on every core).

    `published` dates the articles that give no date of their own.
    """
    if published is None:
        return parallel.map_split(clean.clean_docs, docs)
    return parallel.map_split(partial(clean.clean_docs, published=published), docs)


@task(name="skip-stored", cache_policy=NO_CACHE)
def skip_stored(db: str, articles: list[Article]) -> tuple[list[Article], list[Article]]:
    """Split articles into those to code and those whose text the warehouse holds.

    The second are not coded again, but their inputs are settled (store them).
    """
    known = open_warehouse(db).stored_article_ids([a.article_id for a in articles])
    fresh = [a for a in articles if a.article_id not in known]
    return fresh, [a for a in articles if a.article_id in known]


@task(name="extract-events", cache_policy=NO_CACHE)
def extract_events(articles: list[Article]) -> tuple[list[ExtractedArticle], list[Rejection]]:
    """Code events from a batch of articles (on every core)."""
    return parallel.map_split(coding.code_articles, articles)


@task(name="store-batch", cache_policy=NO_CACHE)
def store_batch(
    db: str,
    run_id: str,
    extracted: list[ExtractedArticle],
    rejections: list[Rejection],
    records: list[FetchRecord] | None = None,
    feeds: list[FeedUpdate] | None = None,
    duplicates: list[Article] | None = None,
    settings: LinkSettings | None = None,
) -> BatchCounts:
    """Write the batch in one transaction (the only writer of rows).

    Live sources add their fetch log rows and feed cursors to the same transaction;
    `duplicates` (texts stored already) are counted and their inputs settled.
    """
    return store.store_batch(
        db, run_id, extracted, rejections, records or (), feeds or (), duplicates or (), settings
    )


@task(name="finish-run", cache_policy=NO_CACHE)
def finish_run(
    db: str,
    run_id: str,
    status: RunStatus,
    counts: BatchCounts,
    error: str | None = None,
    snapshot: bool = False,
) -> None:
    """Mark the run completed or failed, with its totals (and refresh the snapshot)."""
    open_warehouse(db).finish_run(run_id, status, counts, error, snapshot)


@task(name="stale-articles", cache_policy=NO_CACHE)
def stale_articles(db: str, extractor_version: str, after: str, limit: int) -> list[Article]:
    """The next page of stored articles coded by another coder version."""
    return store.stale_articles(db, extractor_version, after, limit)


@task(name="store-recoded", cache_policy=NO_CACHE)
def store_recoded(db: str, run_id: str, recoded: list[ExtractedArticle]) -> BatchCounts:
    """Append the new coding of a batch of stored articles (one transaction)."""
    return store.store_recoded(db, run_id, recoded)


@task(name="export-parquet", cache_policy=NO_CACHE)
def export_parquet(db: str, target: str) -> int:
    """Write the analysts' events view to Parquet (replacing the last export)."""
    return open_warehouse(db).export_parquet(Path(target))
