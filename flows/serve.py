"""`eventpipe serve`: the deployments, on their schedules, served by this process.

- `feeds`: the feed-ingestion flow every `[serve] feeds_every_minutes` (default:
  the shortest `interval_minutes` of the feeds, else 30); each run polls only
  the feeds whose own interval has passed, so every feed keeps its interval.
- `folders` (when `[serve] watch_folders` lists any): the file-ingestion flow
  over those folders every `folders_every_minutes`; stored files are skipped.
- `maintenance`: nightly (`maintenance_cron`, default 03:00 UTC): re-coding,
  Parquet export, the HTML report (`exports/report.html`, linked by an artifact),
  checkpoint and snapshot.

Schedules need a Prefect server (Prefect's temporary API cannot schedule):
`prefect server start`, then `PREFECT_API_URL=http://127.0.0.1:4200/api`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from tasks.errors import UsageError
from tasks.fetch.feeds import DEFAULT_CONFIG, read_config
from warehouse.db import describe as describe_db

# Feeds without an interval of their own are polled this often.
DEFAULT_FEEDS_EVERY_MINUTES = 30.0
DEFAULT_FOLDERS_EVERY_MINUTES = 10.0
DEFAULT_MAINTENANCE_CRON = "0 3 * * *"
# Where Prefect's runner logs a failed claim of a scheduled run, and how that line begins.
RUNNER_STATE_LOGGER = "prefect.runner.state_proposer"
CLAIM_FAILED = "Failed to update state of flow run"
SERVE_KEYS = {
    "feeds_every_minutes",
    "watch_folders",
    "folders_every_minutes",
    "maintenance_cron",
}


@dataclass(slots=True)
class Plan:
    """What `serve` will run, and when: read from the config before anything starts."""

    config: str
    db: str
    allow_private_hosts: bool
    feeds_every: timedelta | None
    folders: list[str] = field(default_factory=list)
    folders_every: timedelta = timedelta(minutes=DEFAULT_FOLDERS_EVERY_MINUTES)
    maintenance_cron: str = DEFAULT_MAINTENANCE_CRON


def _minutes(value: Any, key: str, where: Path) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise UsageError(f"{where}: [serve] {key} must be a positive number of minutes")
    return timedelta(minutes=value)


def plan(config: str | Path | None, db: str | None, allow_private_hosts: bool = False) -> Plan:
    """Read `[serve]` and the feeds' intervals from the config file."""
    path = Path(config) if config else DEFAULT_CONFIG
    data = read_config(path)
    serve = data.get("serve", {})
    if not isinstance(serve, dict):
        raise UsageError(f"{path}: [serve] must be a table")
    unknown = sorted(set(serve) - SERVE_KEYS)
    if unknown:
        raise UsageError(f"{path}: unknown [serve] setting(s) {', '.join(unknown)}")
    feeds = [f for f in data.get("feeds", []) if isinstance(f, dict)]
    intervals = [
        f["interval_minutes"]
        for f in feeds
        if isinstance(f.get("interval_minutes"), int | float) and f["interval_minutes"] > 0
    ]
    feeds_every = None
    if "feeds_every_minutes" in serve:
        feeds_every = _minutes(serve["feeds_every_minutes"], "feeds_every_minutes", path)
    elif feeds:
        feeds_every = timedelta(minutes=min(intervals, default=DEFAULT_FEEDS_EVERY_MINUTES))
    folders = serve.get("watch_folders", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise UsageError(f"{path}: [serve] watch_folders must be a list of paths")
    cron = serve.get("maintenance_cron", DEFAULT_MAINTENANCE_CRON)
    if not isinstance(cron, str):
        raise UsageError(f"{path}: [serve] maintenance_cron must be a cron string")
    return Plan(
        config=str(path.resolve()),
        db=describe_db(db),
        allow_private_hosts=allow_private_hosts,
        feeds_every=feeds_every if feeds else None,
        folders=[str((path.parent / f).resolve()) for f in folders],
        folders_every=_minutes(
            serve.get("folders_every_minutes", DEFAULT_FOLDERS_EVERY_MINUTES),
            "folders_every_minutes",
            path,
        ),
        maintenance_cron=cron,
    )


def deployments(p: Plan) -> list[Any]:
    """The Prefect deployments of a plan (RunnerDeployment objects, not yet applied)."""
    from flows.ingest import ingest_files
    from flows.live import ingest_feeds
    from flows.maintenance import maintenance

    found = []
    if p.feeds_every is not None:
        found.append(
            ingest_feeds.to_deployment(
                name="feeds",
                interval=p.feeds_every,
                parameters={
                    "config": p.config,
                    "db": p.db,
                    "allow_private_hosts": p.allow_private_hosts,
                    "report": True,
                },
                description="Poll the feeds that are due; store new articles and events;"
                " refresh the HTML report when any are new.",
            )
        )
    if p.folders:
        found.append(
            ingest_files.to_deployment(
                name="folders",
                interval=p.folders_every,
                parameters={"paths": p.folders, "db": p.db, "report": True},
                description="Ingest new files dropped into the watched folders; refresh the"
                " HTML report when any are new.",
            )
        )
    found.append(
        maintenance.to_deployment(
            name="nightly",
            cron=p.maintenance_cron,
            parameters={"db": p.db},
            description="Re-code stale articles, export Parquet, refresh the HTML report,"
            " checkpoint, snapshot.",
        )
    )
    return found


def describe(deployment: Any) -> str:
    """`flow/name: every 30 min` or `flow/name: cron 0 3 * * *`, for the console."""
    when = "manual"
    if deployment.schedules:
        schedule = deployment.schedules[0].schedule
        interval = getattr(schedule, "interval", None)
        if interval is not None:
            when = f"every {interval.total_seconds() / 60:g} min"
        else:
            when = f"cron {getattr(schedule, 'cron', schedule)} (UTC)"
    return f"{deployment.flow_name}/{deployment.name}: {when}"


def require_server() -> str:
    """The Prefect API URL; schedules cannot run on Prefect's temporary API."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise UsageError(
            "`eventpipe serve` needs a Prefect server to schedule runs: start one with"
            " `prefect server start`, then set PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    return str(url)


class RunDeletedBeforeStart(logging.Filter):
    """One INFO line instead of a 404 traceback when a scheduled run is gone before it starts.

    The server deletes a deployment's scheduled runs when the deployment is paused or its
    schedule changes (a pause in the UI, `serve` restarting); a run the runner had already
    picked up (it fetches runs due in the next few seconds) then 404s as it is claimed.
    Nothing was lost: the run never started. Any other failure keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from prefect.exceptions import ObjectNotFound

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, ObjectNotFound) and str(record.msg).startswith(CLAIM_FAILED):
            record.msg = "Skipped flow run '%s': deleted before it started (deployment paused?)"
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.exc_info, record.exc_text = None, None
        return True


def quiet_deleted_runs() -> None:
    """Install `RunDeletedBeforeStart` on the runner's state logger (once)."""
    logger = logging.getLogger(RUNNER_STATE_LOGGER)
    if not any(isinstance(f, RunDeletedBeforeStart) for f in logger.filters):
        logger.addFilter(RunDeletedBeforeStart())


def serve_plan(p: Plan) -> None:
    """Serve the plan's deployments until interrupted (Ctrl-C or SIGTERM)."""
    from prefect import serve

    require_server()
    quiet_deleted_runs()
    serve(*deployments(p), print_starting_message=True)
