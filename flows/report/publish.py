"""The nightly report: refreshed beside the warehouse, announced by a Prefect artifact."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prefect import task
from prefect.artifacts import create_markdown_artifact

from flows.skeleton import RunResult
from warehouse.db import run_deadline
from warehouse.formats.selection import Selection

if TYPE_CHECKING:  # the page needs matplotlib: imported only when a report is written
    from flows.report.page import ReportSummary

# The artifact's key: each maintenance run adds a version, so the UI keeps their history.
ARTIFACT_KEY = "eventpipe-report"


def report_path_for(db: str) -> Path:
    """Where the nightly report goes: `exports/report.html` beside the warehouse."""
    return Path(db).parent / "exports" / "report.html"


@task(name="refresh-report")
def refresh_report(db: str, target: str) -> ReportSummary:
    """Write the report of every incident in the warehouse to `target` (atomically).

    It waits for the file as long as the run's writes do (the run's deadline).
    """
    from flows.report.page import write_report

    return write_report(db, Selection(), Path(target), deadline_s=run_deadline())


def publish_report(summary: ReportSummary) -> None:
    """The run's markdown artifact: the counts, the top types, a file:// link."""
    create_markdown_artifact(
        summary.markdown(),
        key=ARTIFACT_KEY,
        description=f"eventpipe report: {summary.incidents} incidents ({summary.path})",
    )


def refresh_after(result: RunResult, when: bool, always: bool = False) -> None:
    """Refresh the report beside the warehouse and publish the run's artifact linking it:
    a scheduled ingest run does when it stored new articles (`always`: maintenance does
    every night). The line goes in the result for the command line to print."""
    if not when or not (always or result.counts.articles_new):
        return
    written = refresh_report(result.db, str(report_path_for(result.db)))
    publish_report(written)
    result.report_line = written.line()
