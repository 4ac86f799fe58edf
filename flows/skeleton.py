"""What every flow shares: the run record, batches, code-and-store, one result type.

Each flow is a list of steps over batches; the steps they share live here:
open the run (recorded in the warehouse, SIGTERM-aware), cut the work into
batches (checking for a stop between them), skip articles stored already
and code the rest, and publish the run's table artifact. Every flow returns
a `RunResult`, which the command line prints the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from prefect.artifacts import create_table_artifact

from flows.runner import stages_on_runner
from flows.runs import current_run_id, recorded_run
from tasks import parallel, steps
from tasks.errors import UsageError
from tasks.models import Article, BatchCounts, ExtractedArticle, Rejection
from tasks.records import FetchRecord
from tasks.runtime import raise_if_terminating
from warehouse.db import describe

T = TypeVar("T")

# Called after each batch with the run's result so far, the inputs done and the inputs
# known (files, feeds or URLs): the command line shows it as a progress bar on a terminal.
ProgressHook = Callable[["RunResult", int, int], None]
_progress_hooks: list[ProgressHook] = []


@contextmanager
def progress_to(hook: ProgressHook) -> Iterator[None]:
    """Report the progress of the runs started inside the block to `hook`."""
    _progress_hooks.append(hook)
    try:
        yield
    finally:
        _progress_hooks.remove(hook)


def report_progress(result: RunResult, done: int, total: int) -> None:
    """Tell whoever watches (a progress bar) how far the run is; never fails the run."""
    for hook in list(_progress_hooks):
        try:
            hook(result, done, total)
        except Exception:  # a display must never fail a run
            _progress_hooks.remove(hook)


@dataclass(slots=True)
class SourceSummary:
    """One source's totals (an input path, a feed, the URL list), a row of the artifact."""

    source: str
    outcome: str = ""  # live sources: how the feed's poll went
    entries: int = 0  # live sources: links listed
    fetched: int = 0  # live sources: pages fetched
    counts: BatchCounts = field(default_factory=BatchCounts)

    def as_row(self) -> dict[str, Any]:
        c = self.counts
        return {
            "source": self.source,
            "outcome": self.outcome,
            "entries": self.entries,
            "fetched": self.fetched,
            "seen": c.articles_seen,
            "new": c.articles_new,
            "duplicate": c.articles_duplicate,
            "rejected": c.articles_rejected,
            "events": c.events_stored,
        }


@dataclass(slots=True)
class RunResult:
    """What a flow run did: totals, per-source rows, and what was refused and why."""

    flow: str
    run_id: str
    db: str
    counts: BatchCounts = field(default_factory=BatchCounts)
    sources: list[SourceSummary] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)  # inputs and coder failures
    failures: list[FetchRecord] = field(default_factory=list)  # live sources: failed URLs
    outcomes: Counter[str] = field(default_factory=Counter)  # live sources: fetch outcomes
    undated: int = 0  # new articles with no publication date (relative dates unresolved)
    exported_events: int | None = None  # maintenance: rows exported
    export_path: str | None = None
    orphaned_files: list[str] | None = None  # maintenance on a DuckLake: data files deleted
    report_line: str | None = None  # a refreshed report: "report: N incidents, M deaths → PATH"
    runner: str | None = None  # where the CPU stages ran, when not the local pool


@contextmanager
def flow_run(
    flow_name: str,
    db: str | None,
    parameters: dict[str, Any],
    batch_size: int,
    snapshot: bool = False,
    warm: bool = False,
) -> Iterator[RunResult]:
    """The run's record around its body, yielding the result the body fills in.

    The CPU stages run on the flow's Dask task runner if it has one (flows/runner.py),
    else on the local pool; `warm` starts their workers while the run is recorded.
    On success the run's table artifact is published from the result.
    """
    if batch_size < 1:
        raise UsageError("batch_size must be at least 1")
    result = RunResult(flow_name, current_run_id(), describe(db))
    with stages_on_runner() as dask:
        if warm:
            parallel.warm_up()
        with recorded_run(
            result.db, result.run_id, flow_name, parameters, lambda: result.counts, snapshot
        ):
            yield result
        if dask is not None:
            result.runner = dask.describe()
    publish_artifact(result)


def stoppable(batches: Iterable[T]) -> Iterator[T]:
    """The batches one by one; a stop (SIGTERM) is honoured between them."""
    for batch in batches:
        raise_if_terminating()
        yield batch


def batches(items: Sequence[T], size: int, at_least_one: bool = False) -> Iterator[list[T]]:
    """`items` in batches of `size` (one empty batch for no items with `at_least_one`),
    a stop (SIGTERM) honoured between batches."""
    starts = range(0, len(items), size)
    if at_least_one and not items:
        starts = range(0, 1)
    return stoppable(list(items[start : start + size]) for start in starts)


@dataclass(slots=True)
class Coded:
    """A batch's articles after skipping the stored ones and coding the rest."""

    fresh: list[Article]
    duplicates: list[Article]  # texts the warehouse holds: not coded, their inputs settled
    extracted: list[ExtractedArticle]
    failures: list[Rejection]


def code_new(db: str, articles: list[Article]) -> Coded:
    """Skip articles the warehouse holds, code the rest (steps: skip-stored, extract-events)."""
    if not articles:
        return Coded([], [], [], [])
    fresh, duplicates = steps.skip_stored(db, articles)
    extracted, failures = steps.extract_events(fresh) if fresh else ([], [])
    return Coded(fresh, duplicates, extracted, failures)


def publish_artifact(result: RunResult) -> None:
    """The run's table artifact: a row per source, then the totals."""
    rows = [s.as_row() for s in result.sources]
    total = SourceSummary(
        "TOTAL",
        entries=sum(s.entries for s in result.sources),
        fetched=sum(s.fetched for s in result.sources),
        counts=result.counts,
    )
    rows.append(total.as_row())
    create_table_artifact(
        rows,
        key=f"{result.flow}-summary",
        description=f"{result.flow}: articles and events per source ({result.db})",
    )
