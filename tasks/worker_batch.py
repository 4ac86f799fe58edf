"""A batch's pipeline as two plain functions: what Dask workers run when they write to
a DuckLake themselves (`--runner dask` with a `ducklake:` warehouse).

`code_batch_unit` skips inputs settled before, parses and cleans, skips stored
articles and codes the rest: batches do this side by side on any worker.
`store_batch_unit` then stores and links the batch in its one transaction, exactly as
the flow process does batch by batch (flows/ingest.py `ingest_batch`); each batch's
store waits for the previous one's, so a run's incidents and their ids are the local
run's. No Prefect and no process pool on the worker: the parallelism is the batches
in flight on several workers. Everything in and out is plain data (the warehouse's
location string, its data path, the run id, the batch's read inputs; the batch's
counts and rejections): no connection or client crosses the wire.

A DuckLake takes many writers: each batch is one transaction that conflicts with
any other committing at once (another run's) and is retried whole
(warehouse/lake.py), and it records its own `<flow run>/bNNNNN` run row as the flow
process's batches do. A DuckDB file has one writer, so these are never used for one
(they refuse it).
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
def data_path_set(data_path: str | None) -> Iterator[None]:
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


@dataclass(slots=True)
class CodedBatch:
    """A batch parsed, cleaned and coded on a worker, waiting for its turn to be stored."""

    extracted: list[ExtractedArticle] = field(default_factory=list)
    duplicates: list[Article] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    known_inputs: int = 0  # inputs settled before (skipped unread)


def refuse_a_file(db: str) -> None:
    if not lake.is_lake(db):
        raise WarehouseError(f"{db} is a DuckDB file: its one writer is the flow process")


def code_batch_unit(
    db: str,
    data_path: str | None,
    docs: list[RawDoc],
    rejections: list[Rejection],
    published: str | None = None,
) -> CodedBatch:
    """Skip settled inputs, clean, skip stored articles and code one batch: the CPU
    work, which batches do side by side on any worker. Reads the lake, writes nothing.

    `docs` and `rejections` are the batch's inputs as the flow process read them (so
    the workers need not see its files).
    """
    refuse_a_file(db)
    coded = CodedBatch(rejected=list(rejections))
    if not docs:
        return coded
    with data_path_set(data_path):
        warehouse = open_warehouse(db)
        hashes = [d.raw_sha256 for d in docs]
        settled = warehouse.settled_raw_hashes(hashes, store.SETTLED_REJECTIONS)
        fresh_docs = [d for d, h in zip(docs, hashes, strict=True) if h not in settled]
        coded.known_inputs = len(docs) - len(fresh_docs)
        if fresh_docs:
            articles, clean_rejections = clean.clean_docs(fresh_docs, published)
            known = warehouse.stored_article_ids([a.article_id for a in articles])
            fresh = [a for a in articles if a.article_id not in known]
            coded.duplicates = [a for a in articles if a.article_id in known]
            failures: list[Rejection] = []
            if fresh:
                coded.extracted, failures = coding.code_articles(fresh)
            coded.rejected += clean_rejections + failures
    return coded


def store_batch_unit(
    db: str,
    data_path: str | None,
    run_id: str,
    coded: CodedBatch,
    after: BatchDone | None = None,
    settings: LinkSettings | None = None,
) -> BatchDone:
    """Store and link one coded batch into the DuckLake `db` (one transaction, retried
    whole on a commit conflict). `after` is the run's previous batch's result: passing
    it makes Dask start this only once that batch is stored, so a run's batches are
    linked in input order and found the same incidents, with the same ids, as the
    local run's (an incident's id comes from the report that founded it). Other runs
    writing at once are not ordered: their commits interleave as they come.
    `settings` are the flow process's linker settings (so every writer links alike).
    """
    refuse_a_file(db)
    del after  # only a dependency: its result is the previous batch's business
    extracted, duplicates, rejected = coded.extracted, coded.duplicates, coded.rejected
    counts = BatchCounts(articles_seen=coded.known_inputs, articles_duplicate=coded.known_inputs)
    if extracted or duplicates or rejected:
        with data_path_set(data_path):
            counts += store.store_batch(
                db, run_id, extracted, rejected, duplicates=duplicates, settings=settings
            )
    undated = sum(x.article.published_at is None for x in extracted)
    return BatchDone(counts, rejected, undated)


def ingest_batch_unit(
    db: str,
    data_path: str | None,
    run_id: str,
    docs: list[RawDoc],
    rejections: list[Rejection],
    published: str | None = None,
    settings: LinkSettings | None = None,
) -> BatchDone:
    """Both steps of one batch in one call (`code_batch_unit`, then `store_batch_unit`)."""
    coded = code_batch_unit(db, data_path, docs, rejections, published)
    return store_batch_unit(db, data_path, run_id, coded, settings=settings)
