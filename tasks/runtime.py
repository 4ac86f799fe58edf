"""Prefect's environment, set before Prefect is first imported.

eventpipe runs on Prefect's temporary (ephemeral) API unless the user points
PREFECT_API_URL at a server. Every value is a default: the user's own
environment wins.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from tasks.errors import RunTerminated

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The temporary API needs 11-12 s on a first run with a new home on these
# 2-core machines; Prefect's 20 s default is too close, so allow 90 s.
EPHEMERAL_STARTUP_TIMEOUT_SECONDS = "90"

QUIET_OFFLINE_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # The temporary API lives and dies with our process; stopped mid-run (SIGTERM,
    # Ctrl-C) its services log their interrupted flushes as ERRORs with tracebacks,
    # noise about a server nobody else uses. A real server is started by the user,
    # outside this environment, with its own logging.
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


def prefect_home() -> Path:
    """A project-local home (`.prefect/` in the checkout), else a temporary one."""
    local = PROJECT_ROOT / ".prefect"
    try:
        local.mkdir(exist_ok=True)
        if os.access(local, os.W_OK):
            return local
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / "eventpipe-prefect"
    fallback.mkdir(exist_ok=True)
    return fallback


def configure_prefect_env() -> None:
    """Make Prefect quiet, offline and local, unless the user said otherwise."""
    if "PREFECT_HOME" not in os.environ:
        os.environ["PREFECT_HOME"] = str(prefect_home())
    for key, value in QUIET_OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)


_terminating = threading.Event()

# Once SIGTERM came, the process exits within this many seconds however the unwinding
# goes: a scheduler's stop timeout (Kubernetes 30 s, systemd 90 s) should never be the
# one to end it. Unwinding normally takes 3-5 s (the run marked failed, Prefect's API
# server stopped); anything still running then is ended by the reaper (tasks/lifeline.py).
STOP_DEADLINE_SECONDS = 8.0

# Called on the first SIGTERM, before the run unwinds (see `on_stop`).
_stop_callbacks: list[Callable[[], None]] = []


def on_stop(callback: Callable[[], None]) -> None:
    """Call `callback` on the first SIGTERM of a run: it must be quick and signal-safe.

    The process pool uses it to end its workers: otherwise Python's exit waits for
    the chunks they are working on (seconds, the warm-up's imports more).
    """
    if callback not in _stop_callbacks:
        _stop_callbacks.append(callback)


def _stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    """Raise `RunTerminated` on the first SIGTERM; later ones change nothing.

    A second raise could land in the code marking the run failed and leave it
    'running'; the deadline set here ends the process should the unwinding hang.
    """
    if _terminating.is_set():
        return
    _terminating.set()
    deadline = threading.Timer(STOP_DEADLINE_SECONDS, _exit_now, args=(signum,))
    deadline.daemon = True  # a process that ends sooner must not wait for it
    deadline.start()
    for callback in _stop_callbacks:
        with contextlib.suppress(Exception):  # a hook must never keep the stop from happening
            callback()
    raise RunTerminated(f"stopped by signal {signal.Signals(signum).name} during the run")


def _exit_now(signum: int) -> None:
    name = signal.Signals(signum).name
    message = f"error: stopped by signal {name}; exited after {STOP_DEADLINE_SECONDS:g} s\n"
    os.write(2, message.encode())
    os._exit(1)


@contextmanager
def sigterm_ends_run() -> Iterator[None]:
    """Turn SIGTERM into `RunTerminated` for the duration of a run.

    By default SIGTERM ends the process on the spot: the open batch is lost
    (uncommitted, so nothing partial) but the run stays 'running' until a later
    run finds it dead, and children (the API server, the pool) are orphaned.
    Raised instead, it unwinds like a failure: the open batch rolls back and
    the run is marked 'failed' at once. The signal is also remembered, and
    `raise_if_terminating` (called between batches) raises again should library
    code have swallowed the first raise. Nested use (the CLI around a whole
    command, `recorded_run` around a run) keeps the outer one's state.
    Only the main thread can take signals; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is _stop_on_sigterm:
        yield
        return
    _terminating.clear()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def terminating() -> bool:
    """Whether a SIGTERM came during this run."""
    return _terminating.is_set()


def raise_if_terminating() -> None:
    """Raise `RunTerminated` if a SIGTERM came during this run (call between batches)."""
    if _terminating.is_set():
        raise RunTerminated("stopped by signal SIGTERM during the run")
