"""One batch's whole pipeline as one plain function: what a Dask worker runs when it
writes to a DuckLake itself (`--runner dask` with a `ducklake:` warehouse).

Skip inputs settled before, parse and clean, skip stored articles, code the rest,
then store and link in the batch's one transaction, exactly as the flow process
does it batch by batch (flows/ingest.py `ingest_batch`), but without Prefect and
without the process pool: the worker is one process, and the parallelism is the
batches in flight on several workers. Everything in and out is plain data (the
warehouse's location string, its data path, the run id, the batch's read inputs;
the batch's counts and rejections): no connection or client crosses the wire.

A DuckLake takes many writers: each batch is one transaction that conflicts with
any other committing at once and is retried whole (warehouse/lake.py), and it
records its own `<flow run>/bNNNNN` run row as the flow process's batches do.
A DuckDB file has one writer, so this is never used for one (`ingest_batch_unit`
refuses it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tasks import clean, coding, store
from tasks.link import LinkSettings
from tasks.load import RawDoc
from tasks.models import Article, BatchCounts, ExtractedArticle, Rejection
from warehouse import lake, open_warehouse
from warehouse.errors import WarehouseError


@dataclass(slots=True)
class BatchDone:
    """What a batch did, sent back to the flow process: counts, rejections, undated."""

    counts: BatchCounts = field(default_factory=BatchCounts)
    rejections: list[Rejection] = field(default_factory=list)
    undated: int = 0  # new articles with no publication date


@contextmanager
def _data_path(data_path: str | None) -> Iterator[None]:
    """$EVENTPIPE_DATA_PATH as the flow process had it, for the block (the lake's
    location string does not carry it; a worker's environment may lack it)."""
    if not data_path:
        yield
        return
    old = os.environ.get(lake.DATA_PATH_ENV)
    os.environ[lake.DATA_PATH_ENV] = data_path
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(lake.DATA_PATH_ENV, None)
        else:
            os.environ[lake.DATA_PATH_ENV] = old


def ingest_batch_unit(
    db: str,
    data_path: str | None,
    run_id: str,
    docs: list[RawDoc],
    rejections: list[Rejection],
    published: str | None = None,
    settings: LinkSettings | None = None,
) -> BatchDone:
    """Skip settled inputs, clean, skip stored articles, code, store and link one batch
    into the DuckLake `db` (one transaction, retried whole on a commit conflict).

    `docs` and `rejections` are the batch's inputs as the flow process read them (so
    the workers need not see its files); `settings` are the flow process's linker
    settings (so every writer links alike).
    """
    if not lake.is_lake(db):
        raise WarehouseError(f"{db} is a DuckDB file: its one writer is the flow process")
    with _data_path(data_path):
        warehouse = open_warehouse(db)
        rejected = list(rejections)
        known_inputs = 0
        extracted: list[ExtractedArticle] = []
        duplicates: list[Article] = []
        if docs:
            hashes = [d.raw_sha256 for d in docs]
            settled = warehouse.settled_raw_hashes(hashes, store.SETTLED_REJECTIONS)
            fresh_docs = [d for d, h in zip(docs, hashes, strict=True) if h not in settled]
            known_inputs = len(docs) - len(fresh_docs)
            if fresh_docs:
                articles, clean_rejections = clean.clean_docs(fresh_docs, published)
                known = warehouse.stored_article_ids([a.article_id for a in articles])
                fresh = [a for a in articles if a.article_id not in known]
                duplicates = [a for a in articles if a.article_id in known]
                failures: list[Rejection] = []
                if fresh:
                    extracted, failures = coding.code_articles(fresh)
                rejected += clean_rejections + failures
        counts = BatchCounts(articles_seen=known_inputs, articles_duplicate=known_inputs)
        if extracted or duplicates or rejected:
            counts += store.store_batch(
                db, run_id, extracted, rejected, duplicates=duplicates, settings=settings
            )
    undated = sum(x.article.published_at is None for x in extracted)
    return BatchDone(counts, rejected, undated)
