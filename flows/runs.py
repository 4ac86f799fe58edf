"""A flow run's record in the warehouse: 'running' at the start, then how it ended.

Every flow opens its run with `recorded_run`: the row is written before any
work, SIGTERM becomes an exception for the run's duration, and the run ends
'completed', or 'failed' on any error, Ctrl-C or SIGTERM (with the error), so
no run is left 'running' by a process that could still say how it ended.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prefect.runtime import flow_run

from tasks import steps, store
from tasks.errors import RunTerminated
from tasks.runtime import sigterm_ends_run, terminating
from tasks.store import BatchCounts

STOPPED = "stopped by signal SIGTERM during the run"


@contextmanager
def local_run_settings() -> Iterator[None]:
    """Prefect settings for runs started here rather than by a server.

    On Prefect's temporary API nothing watches flow-run heartbeats (runs that
    a server schedules keep theirs, to be found if they crash), and the
    heartbeat thread costs every run about a second at its end: off there.
    """
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    if get_current_settings().api.url:
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
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
            yield
    except BaseException as exc:  # Ctrl-C and SIGTERM too: never leave a run running
        if terminating():
            # Marked directly, not by a Prefect task: SIGTERM may have landed inside
            # Prefect's own machinery, which then fails its next task ("ValueError: Task
            # run is not set") and would leave the run 'running'. Any other error is
            # what the stop looked like from where it landed: say what happened.
            stopped = exc if isinstance(exc, RunTerminated) else RunTerminated(STOPPED)
            store.finish_run(db, run_id, "failed", counts(), f"RunTerminated: {stopped}")
            if stopped is exc:
                raise
            raise stopped from exc
        if started:
            steps.finish_run(db, run_id, "failed", counts(), f"{type(exc).__name__}: {exc}")
        raise
    steps.finish_run(db, run_id, "completed", counts(), snapshot=snapshot)
