"""The file-ingestion flow: files and folders to articles and events in DuckDB.

Work moves in batches (a handful of task runs per batch, never one per
article); the store task is the one writer and commits each batch whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.runs import current_run_id, recorded_run
from tasks import parallel, steps
from tasks.errors import EventpipeError
from tasks.load import discover
from tasks.models import Rejection
from tasks.runtime import raise_if_terminating
from tasks.store import BatchCounts, ExtractedArticle
from warehouse.db import resolve_db_path

# Prefect records about 48 task runs a second; 200 articles a batch keeps a
# batch's five task runs well under that while bounding memory per batch.
DEFAULT_BATCH_SIZE = 200
FLOW_NAME = "ingest-files"

T = TypeVar("T")


@dataclass(slots=True)
class SourceSummary:
    """One input path's totals, for the run's table artifact."""

    source: str
    counts: BatchCounts = field(default_factory=BatchCounts)


@dataclass(slots=True)
class IngestResult:
    """What a run did: its id, the database, totals and the rejections."""

    run_id: str
    db: str
    counts: BatchCounts
    sources: list[SourceSummary]
    rejections: list[Rejection]


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@flow(name=FLOW_NAME)
def ingest_files(
    paths: list[str], db: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE
) -> IngestResult:
    """Ingest `.txt`, `.html` and `.jsonl` articles from files and folders."""
    if batch_size < 1:
        raise EventpipeError("batch_size must be at least 1")
    db_path = str(resolve_db_path(db))
    run_id = current_run_id()
    parameters = {"paths": [str(Path(p).absolute()) for p in paths], "batch_size": batch_size}
    totals = SourceSummary("TOTAL")
    summaries: list[SourceSummary] = []
    rejected: list[Rejection] = []
    parallel.warm_up()
    with recorded_run(db_path, run_id, FLOW_NAME, parameters, lambda: totals.counts):
        for label, group in group_sources(paths):
            summary = SourceSummary(label)
            files, discovered = discover(group)
            batches = list(chunked([str(f) for f in files], batch_size)) or [[]]
            for index, batch in enumerate(batches):
                raise_if_terminating()
                counts, batch_rejections = _ingest_batch(
                    db_path, run_id, batch, discovered if index == 0 else []
                )
                summary.counts += counts
                totals.counts += counts
                rejected.extend(batch_rejections)
            summaries.append(summary)
    _publish_artifact(summaries, totals.counts)
    return IngestResult(run_id, db_path, totals.counts, summaries, rejected)


def group_sources(paths: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Each folder is a source of its own; all named files together make one.

    So `ingest dir/*.txt` is batched like `ingest dir`, while the run's summary
    still shows each folder's totals.
    """
    files = [p for p in paths if not Path(p).is_dir()]
    groups = [(p, [p]) for p in paths if Path(p).is_dir()]
    if files:
        label = files[0] if len(files) == 1 else f"{len(files)} named files"
        groups.append((label, files))
    return groups


def _ingest_batch(
    db: str, run_id: str, paths: list[str], rejections: list[Rejection]
) -> tuple[BatchCounts, list[Rejection]]:
    """Load, clean, skip stored, extract and store one batch of files."""
    rejected = list(rejections)
    extracted: list[ExtractedArticle] = []
    duplicates = 0
    if paths:
        docs, load_rejections = steps.load_files(paths)
        docs, known_inputs = steps.skip_stored_inputs(db, docs)
        articles, clean_rejections = steps.clean_docs(docs)
        fresh, duplicates = steps.skip_stored(db, articles)
        duplicates += known_inputs
        extracted, extract_rejections = steps.extract_events(fresh)
        rejected += load_rejections + clean_rejections + extract_rejections
    counts = BatchCounts(articles_seen=duplicates, articles_duplicate=duplicates)
    if extracted or rejected:
        counts += steps.store_batch(db, run_id, extracted, rejected)
    return counts, rejected


def _publish_artifact(summaries: list[SourceSummary], total: BatchCounts) -> None:
    rows = [{"source": s.source, **s.counts.as_dict()} for s in summaries]
    rows.append({"source": "TOTAL", **total.as_dict()})
    create_table_artifact(
        rows, key="ingest-files-summary", description="Articles and events per source"
    )
