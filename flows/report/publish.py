"""The nightly report: refreshed beside the warehouse, announced by a Prefect artifact."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact

from flows.report.page import ReportSummary, write_report
from warehouse.db import run_deadline
from warehouse.formats.selection import Selection

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
    return write_report(db, Selection(), Path(target), deadline_s=run_deadline())


def publish_report(summary: ReportSummary) -> None:
    """The run's markdown artifact: the counts, the top types, a file:// link."""
    create_markdown_artifact(
        summary.markdown(),
        key=ARTIFACT_KEY,
        description=f"eventpipe report: {summary.incidents} incidents ({summary.path})",
    )
