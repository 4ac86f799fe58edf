"""The nightly maintenance flow: re-code stale articles, export, snapshot, checkpoint.

- Articles whose latest coding is by an older coder version are coded again
  and the new coding appended (analysts' views show the latest one).
- The analysts' events view is exported to Parquet beside the warehouse.
- Closing the run checkpoints the warehouse and refreshes the read-only
  snapshot (as every completed run does); runs left 'running' by dead
  processes are marked 'crashed' when it starts (as every run does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.runs import current_run_id, recorded_run
from tasks import steps
from tasks.errors import EventpipeError
from tasks.extract import EXTRACTOR_VERSION
from tasks.runtime import raise_if_terminating
from tasks.store import BatchCounts
from warehouse.db import resolve_db_path

FLOW_NAME = "maintenance"
# Re-coding moves stored texts, not files: the same batch size as ingestion keeps
# each batch's few task runs and its memory in the same bounds.
RECODE_BATCH = 200


@dataclass(slots=True)
class MaintenanceResult:
    run_id: str
    db: str
    recoded_articles: int = 0
    recoded_events: int = 0
    failed_articles: int = 0
    exported_events: int | None = None
    export_path: str | None = None
    counts: BatchCounts = field(default_factory=BatchCounts)


def export_path_for(db: str) -> Path:
    """Where the Parquet export goes: `exports/events.parquet` beside the warehouse."""
    return Path(db).parent / "exports" / "events.parquet"


@flow(name=FLOW_NAME)
def maintenance(
    db: str | None = None, recode: bool = True, export: bool = True, batch_size: int = RECODE_BATCH
) -> MaintenanceResult:
    """Re-code articles coded by an older coder, export Parquet, checkpoint and snapshot."""
    if batch_size < 1:
        raise EventpipeError("batch_size must be at least 1")
    db_path = str(resolve_db_path(db))
    run_id = current_run_id()
    result = MaintenanceResult(run_id, db_path)
    parameters = {"recode": recode, "export": export}
    with recorded_run(db_path, run_id, FLOW_NAME, parameters, lambda: result.counts, snapshot=True):
        after = ""
        while recode:
            raise_if_terminating()
            stale = steps.stale_articles(db_path, EXTRACTOR_VERSION, after, batch_size)
            if not stale:
                break
            after = stale[-1].article_id
            coded, failed = steps.extract_events(stale)
            counts = steps.store_recoded(db_path, run_id, coded)
            result.recoded_articles += len(coded)
            result.failed_articles += len(failed)
            result.recoded_events += counts.events_stored
            result.counts += counts
        if export:
            target = export_path_for(db_path)
            result.exported_events = steps.export_parquet(db_path, str(target))
            result.export_path = str(target)
    create_table_artifact(
        [
            {
                "step": "re-code",
                "articles": result.recoded_articles,
                "events": result.recoded_events,
            },
            {"step": "re-code failures", "articles": result.failed_articles, "events": 0},
            {"step": "export", "articles": 0, "events": result.exported_events or 0},
        ],
        key="maintenance-summary",
        description=f"Maintenance of {db_path} (coder {EXTRACTOR_VERSION})",
    )
    return result
