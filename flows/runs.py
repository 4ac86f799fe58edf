"""A flow run's record in the warehouse: 'running' at the start, then how it ended.

Every flow opens its run with `recorded_run`: the row is written before any
work, SIGTERM becomes an exception for the run's duration, and the run ends
'completed', or 'failed' on any error, Ctrl-C or SIGTERM (with the error), so
no run is left 'running' by a process that could still say how it ended.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect.runtime import flow_run

from tasks import steps
from tasks.errors import RunTerminated
from tasks.models import BatchCounts
from tasks.runtime import sigterm_ends_run, terminating
from warehouse import open_warehouse

# Set by the command line for the runs it starts itself: it prints their summary.
CLI_RUN_ENV = "EVENTPIPE_CLI_RUN"


# The temporary API's own SQLite file in PREFECT_HOME. `prefect server start` in the
# same home uses prefect.db: two servers writing one SQLite file meet "database is
# locked" (seen once when a server and a command ran side by side in the checkout).
TEMPORARY_DB = "eventpipe-temporary.db"
_DB_URL_VARS = ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL")


def temporary_db_url() -> str:
    """The SQLAlchemy URL of the temporary API's database (see TEMPORARY_DB)."""
    home = Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    return f"sqlite+aiosqlite:///{home / TEMPORARY_DB}"


STOPPED = "stopped by signal SIGTERM during the run"


@contextmanager
def local_run_settings() -> Iterator[None]:
    """Prefect settings for runs started here rather than by a server.

    On Prefect's temporary API nothing watches flow-run heartbeats (runs that
    a server schedules keep theirs, to be found if they crash), and the
    heartbeat thread costs every run about a second at its end: off there. The
    temporary API keeps its own database file, apart from a real server's.
    """
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        get_current_settings,
        temporary_settings,
    )

    if get_current_settings().api.url:
        yield
        return
    updates: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    if not any(os.environ.get(v) for v in _DB_URL_VARS):
        updates[PREFECT_SERVER_DATABASE_CONNECTION_URL] = temporary_db_url()
    with temporary_settings(updates=updates):
        yield


def current_run_id() -> str:
    """The Prefect flow run id (a fresh UUID when called outside a flow run)."""
    return str(flow_run.get_id() or uuid.uuid4())


@contextmanager
def recorded_run(
    db: str,
    run_id: str,
    flow_name: str,
    parameters: dict[str, Any],
    counts: Callable[[], BatchCounts],
    snapshot: bool = False,
) -> Iterator[None]:
    """Record the run around the body; `counts()` gives its totals when it ends.

    The snapshot is refreshed after runs that stored rows, or always with `snapshot`.
    """
    started = False
    try:
        with sigterm_ends_run():  # from before the row is written: a SIGTERM then still marks it
            steps.start_run(db, run_id, flow_name, parameters)
            started = True
            _say(f"{flow_name} run {run_id} started ({db})")
            yield
    except BaseException as exc:  # Ctrl-C and SIGTERM too: never leave a run running
        if terminating():
            # Marked directly, not by a Prefect task: SIGTERM may have landed inside
            # Prefect's own machinery, which then fails its next task ("ValueError: Task
            # run is not set") and would leave the run 'running'. Any other error is
            # what the stop looked like from where it landed: say what happened.
            stopped = exc if isinstance(exc, RunTerminated) else RunTerminated(STOPPED)
            open_warehouse(db).finish_run(run_id, "failed", counts(), f"RunTerminated: {stopped}")
            _say(f"{flow_name} run {run_id} failed: {stopped}")
            if stopped is exc:
                raise
            raise stopped from exc
        if started:
            steps.finish_run(db, run_id, "failed", counts(), f"{type(exc).__name__}: {exc}")
            _say(f"{flow_name} run {run_id} failed: {type(exc).__name__}: {exc}")
        raise
    steps.finish_run(db, run_id, "completed", counts(), snapshot=snapshot)
    c = counts()
    _say(
        f"{flow_name} run {run_id} completed: {c.articles_seen} seen, {c.articles_new} new,"
        f" {c.articles_duplicate} duplicate, {c.articles_rejected} rejected,"
        f" {c.events_stored} events"
    )


def _say(line: str) -> None:
    """One line per run start and end on stderr, for runs a server started (`serve`,
    workers), so an operator sees them working; the CLI prints its own summary."""
    from prefect.settings import get_current_settings

    if get_current_settings().api.url and not os.environ.get(CLI_RUN_ENV):
        print(f"eventpipe: {' '.join(line.split())}", file=sys.stderr, flush=True)
