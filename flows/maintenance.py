"""The nightly maintenance flow: re-code stale articles, export, snapshot, checkpoint.

- Articles whose latest coding is by an older coder version are coded again
  and the new coding appended (analysts' views show the latest one).
- The analysts' events view is exported to Parquet beside the warehouse.
- The HTML report (`eventpipe report`, every incident) is refreshed beside it,
  and a markdown artifact links it with a short summary.
- On a DuckLake, the Parquet files no commit references (a writer killed before
  its commit leaves them) are deleted once they are a day old.
- Closing the run checkpoints the warehouse and refreshes the read-only
  snapshot (as every completed run does); runs left 'running' by dead
  processes are marked 'crashed' when it starts (as every run does).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.report.publish import refresh_after
from flows.skeleton import RunResult, SourceSummary, flow_run, report_progress
from tasks import steps, store
from tasks.extract import EXTRACTOR_VERSION
from tasks.runtime import raise_if_terminating

FLOW_NAME = "maintenance"
# Re-coding moves stored texts, not files: the same batch size as ingestion keeps
# each batch's few task runs and its memory in the same bounds.
RECODE_BATCH = 200


def export_path_for(db: str) -> Path:
    """Where the Parquet export goes: `exports/events.parquet` beside the warehouse."""
    return Path(db).parent / "exports" / "events.parquet"


@flow(name=FLOW_NAME)
def maintenance(
    db: str | None = None,
    recode: bool = True,
    export: bool = True,
    batch_size: int = RECODE_BATCH,
    report: bool = True,
) -> RunResult:
    """Re-code articles coded by an older coder, export Parquet, refresh the HTML report,
    checkpoint and snapshot.

    In the result, `counts.articles_seen` is the articles re-coded, `events_stored`
    their new events, and `rejections` the articles the coder failed on.
    """
    parameters = {"recode": recode, "export": export, "report": report}
    with flow_run(FLOW_NAME, db, parameters, batch_size, snapshot=True) as result:
        summary = SourceSummary(f"re-code to {EXTRACTOR_VERSION}")
        after = ""
        stale_total = store.count_stale(result.db, EXTRACTOR_VERSION) if recode else 0
        while recode:
            raise_if_terminating()
            stale = steps.stale_articles(result.db, EXTRACTOR_VERSION, after, batch_size)
            if not stale:
                break
            after = stale[-1].article_id
            coded, failed = steps.extract_events(stale)
            counts = steps.store_recoded(result.db, result.run_id, coded)
            summary.counts += counts
            result.counts += counts
            result.rejections.extend(failed)
            report_progress(result, result.counts.articles_seen, stale_total)
        result.sources.append(summary)
        if export:
            target = export_path_for(result.db)
            result.exported_events = steps.export_parquet(result.db, str(target))
            result.export_path = str(target)
        result.orphaned_files = store.delete_orphaned_files(result.db)
        refresh_after(result, report, always=True)
    return result
