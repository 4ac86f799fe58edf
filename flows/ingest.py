"""The file-ingestion flow: files and folders to articles and events in DuckDB.

Per batch of files: load, skip inputs stored before (by the hash of their
bytes), clean, skip stored articles and code the rest, store (one
transaction). A handful of task runs per batch, never one per article.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from prefect import flow

from flows.report.publish import refresh_after
from flows.skeleton import (
    RunResult,
    SourceSummary,
    code_new,
    flow_run,
    report_progress,
    stoppable,
)
from flows.worker_writes import worker_writes
from tasks import load, steps
from tasks.load import discover
from tasks.models import BatchCounts, Rejection
from tasks.worker_batch import BatchDone

# Prefect records about 48 task runs a second; 200 articles a batch keeps a
# batch's five task runs well under that while bounding memory per batch.
DEFAULT_BATCH_SIZE = 200
FLOW_NAME = "ingest-files"


@flow(name=FLOW_NAME)
def ingest_files(
    paths: list[str],
    db: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    published: str | None = None,
    report: bool = False,
) -> RunResult:
    """Ingest `.txt`, `.html` and `.jsonl` articles from files and folders.

    `published` (an ISO date) dates the articles that give no date of their own. With
    `report` (scheduled runs), a run that stored new articles refreshes the HTML report
    and links it in an artifact.
    """
    parameters = {
        "paths": [str(Path(p).absolute()) for p in paths],
        "batch_size": batch_size,
        "published": published,
    }
    # warm: the workers start while the run is being recorded
    with flow_run(FLOW_NAME, db, parameters, batch_size, warm=True) as result:
        progress = [0, 0]  # inputs done, inputs known

        def record(summary: SourceSummary, inputs: int, done: BatchDone) -> None:
            summary.counts += done.counts
            result.counts += done.counts
            result.rejections.extend(done.rejections)
            result.undated += done.undated
            progress[0] += inputs
            report_progress(result, progress[0], progress[1])

        # On Dask with a DuckLake, the workers store the batches; else this process does.
        with worker_writes(result.db, result.run_id) as writes:
            for label, group in group_sources(paths):
                summary = SourceSummary(label)
                result.sources.append(summary)
                files, discovered = discover(group)
                units = load.work_units(files, batch_size)  # a JSONL file's lines in slices
                progress[1] += len(units)
                unit_batches = load.unit_batches(units, batch_size) or [[]]
                for index, batch in enumerate(stoppable(unit_batches)):
                    first = discovered if index == 0 else []
                    done = partial(record, summary, len(batch))
                    if writes is None:
                        done(ingest_batch(result.db, result.run_id, batch, first, published))
                    else:
                        docs, load_rejections = load.load_units(batch)
                        writes.submit(docs, first + load_rejections, published, done)
        refresh_after(result, report)
    return result


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


def ingest_batch(
    db: str,
    run_id: str,
    units: list[load.WorkUnit],
    rejections: list[Rejection],
    published: str | None = None,
) -> BatchDone:
    """Load, skip settled inputs, clean, skip stored articles, code and store one batch.

    Inputs settled by an earlier run (stored, a stored text's copy, rejected for
    their content) are counted as duplicates and go no further: nothing to parse.
    Returns the batch's counts, its rejections and how many new articles have no date
    (on Dask with a DuckLake, the workers run `tasks.worker_batch` instead, alike).
    """
    rejected = list(rejections)
    known_inputs = 0
    coded = code_new(db, [])
    if units:
        docs, load_rejections = steps.load_files(units)
        docs, known_inputs = steps.skip_stored_inputs(db, docs)
        rejected += load_rejections
        if docs:
            articles, clean_rejections = steps.clean_docs(docs, published)
            coded = code_new(db, articles)
            rejected += clean_rejections + coded.failures
    counts = BatchCounts(articles_seen=known_inputs, articles_duplicate=known_inputs)
    if coded.extracted or coded.duplicates or rejected:
        counts += steps.store_batch(
            db, run_id, coded.extracted, rejected, duplicates=coded.duplicates
        )
    undated = sum(x.article.published_at is None for x in coded.extracted)
    return BatchDone(counts, rejected, undated)
