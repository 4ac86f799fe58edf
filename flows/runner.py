"""Where a run's CPU stages run: the local process pool, or a Dask cluster (`--runner dask`).

With Dask the flow runs under Prefect's `DaskTaskRunner` (prefect-dask), which owns
the cluster: it connects to `--dask-address`, or starts a `LocalCluster` of
`--workers` processes on loopback and stops it when the run ends. The stage tasks
(clean, extract-events, read-pages) still run in the flow process, as thin Prefect
tasks; inside them `tasks.parallel.map_split` sends ordered chunks of plain data
(pages, texts) to the runner's Dask client, with the plain stage function, and joins
the results in order. So the flow process stays the Prefect API's only client and
the warehouse's one writer (store and linking, one transaction a batch), and the
results are those of the local run.

Why not a Prefect task per chunk on the workers: measured on these machines, eight
trivial task runs submitted through the Dask runner on the temporary API took 47 s
(each worker runs Prefect's task engine and reaches for an API of its own), eight
chunks through the same client 0.06 s.

Dask is imported only here, only for `--runner dask`: the default path never loads it.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from tasks import parallel
from tasks.errors import EventpipeError, UsageError

if TYPE_CHECKING:
    from prefect import Flow

RunnerKind = Literal["local", "dask"]
RUNNERS: tuple[str, ...] = get_args(RunnerKind)
RUNNER_ENV = "EVENTPIPE_RUNNER"
DASK_ADDRESS_ENV = "EVENTPIPE_DASK_ADDRESS"
DASK_SCHEMES = ("tcp", "tls")
# An existing scheduler answers a connection on loopback or a LAN in milliseconds;
# five seconds tell "nothing there" from "slow" without keeping the user waiting.
DASK_CONNECT_TIMEOUT_S = 5.0
# A reachable scheduler with no worker would leave every chunk waiting: this long for one.
DASK_WORKER_WAIT_S = 30.0

F = TypeVar("F", bound="Flow[Any, Any]")


@dataclass(frozen=True, slots=True)
class RunnerChoice:
    """What the command line asked for: the runner, a scheduler address, LocalCluster size."""

    kind: RunnerKind = "local"
    address: str | None = None
    workers: int | None = None

    def describe(self) -> str:
        if self.kind == "local":
            return "local process pool"
        if self.address:
            return f"Dask cluster at {self.address}"
        return f"Dask LocalCluster of {self.workers or parallel.workers()} workers"


def choose_runner(
    kind: str | None = None, address: str | None = None, workers: int | None = None
) -> RunnerChoice:
    """The runner asked for (default $EVENTPIPE_RUNNER, else local), checked: a usage
    error (exit 2) for a runner or address that cannot be; nothing is reached yet."""
    kind = (kind or os.environ.get(RUNNER_ENV) or "local").strip().lower()
    if kind not in RUNNERS:
        raise UsageError(f"--runner {kind}: choose one of {', '.join(RUNNERS)}")
    address = address or (os.environ.get(DASK_ADDRESS_ENV) if kind == "dask" else None) or None
    if workers is not None and workers < 1:
        raise UsageError("--workers must be at least 1")
    if kind == "local":
        if address:
            raise UsageError("--dask-address needs --runner dask")
        return RunnerChoice("local", None, workers)
    if address and workers is not None:
        raise UsageError(
            "--workers sizes a LocalCluster; with --dask-address the cluster has its own"
        )
    if address:
        split_address(address)
    return RunnerChoice("dask", address, workers)


def split_address(address: str) -> tuple[str, int]:
    """`tcp://host:port` (or `host:port`, or `tls://`) as host and port; else a usage error."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in DASK_SCHEMES or not parts.hostname or port is None or parts.path:
        raise UsageError(f"--dask-address {address}: expected tcp://HOST:PORT (a Dask scheduler)")
    return parts.hostname, port


def prepare_runner(choice: RunnerChoice) -> None:
    """Fail in one line, before Prefect starts, when Dask is not installed (exit 2) or
    nothing listens at the address (exit 1: the command is right, the cluster absent)."""
    if choice.kind != "dask":
        return
    try:
        import prefect_dask  # noqa: F401
    except ImportError:
        raise UsageError(
            "--runner dask needs prefect-dask: pip install 'eventpipe[dask]'"
        ) from None
    if not choice.address:
        return
    host, port = split_address(choice.address)
    try:
        socket.create_connection((host, port), timeout=DASK_CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise EventpipeError(
            f"no Dask scheduler at {choice.address}: {reason}"
            " (start one with `dask scheduler`, or leave out --dask-address for a LocalCluster)"
        ) from None


def with_runner(flow: F, choice: RunnerChoice) -> F:
    """`flow` as it runs for `choice`: itself, or with Prefect's Dask task runner."""
    if choice.kind == "local":
        return flow
    return flow.with_options(task_runner=dask_task_runner(choice))  # type: ignore[return-value]


def dask_task_runner(choice: RunnerChoice) -> Any:
    """Prefect's `DaskTaskRunner` for `choice`: the address, or a loopback LocalCluster."""
    _quiet_dask()
    from prefect_dask import DaskTaskRunner

    client_kwargs = {"timeout": f"{DASK_CONNECT_TIMEOUT_S:g}s"}
    if choice.address:
        return DaskTaskRunner(address=choice.address, client_kwargs=client_kwargs)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs=local_cluster_kwargs(choice.workers),
        client_kwargs=client_kwargs,
    )


def local_cluster_kwargs(workers: int | None) -> dict[str, Any]:
    """The LocalCluster of `--workers` processes (default: the cores)."""
    return {
        "n_workers": workers or parallel.workers(),
        "processes": True,  # parsing and coding hold the GIL: processes, not threads
        "threads_per_worker": 1,
        "dashboard_address": None,  # no web server
        "host": "127.0.0.1",  # scheduler and workers on loopback only
    }


def start_local_cluster(workers: int | None) -> Any:
    """A LocalCluster of its own (the benchmark keeps one across its runs)."""
    _quiet_dask()
    from distributed import LocalCluster

    return LocalCluster(**local_cluster_kwargs(workers))


def _quiet_dask() -> None:
    """Dask's INFO chatter (workers starting and stopping) off, in this process and in
    the LocalCluster's workers (they read the environment), unless the user set it."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    import logging

    logging.getLogger("distributed").setLevel(logging.WARNING)


@contextmanager
def stages_on_runner() -> Iterator[parallel.DaskStages | None]:
    """Inside a flow run: with a Dask task runner, send the stages' chunks to its
    cluster for the block (yielding the tally of what went), else yield None."""
    runner = _dask_runner()
    if runner is None:
        yield None
        return
    where = runner.address or "a LocalCluster"
    try:
        client = runner.client
        client.wait_for_workers(1, timeout=DASK_WORKER_WAIT_S)
    except (OSError, TimeoutError) as exc:
        raise EventpipeError(f"cannot use the Dask cluster at {where}: {exc}") from None
    _check_workers(client, where)
    with parallel.on_dask(client, str(client.scheduler.address)) as stages:
        yield stages


def _dask_runner() -> Any:
    """The current flow run's `DaskTaskRunner`, or None (prefect_dask not even loaded)."""
    prefect_dask = sys.modules.get("prefect_dask")
    if prefect_dask is None:
        return None
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    return runner if isinstance(runner, prefect_dask.DaskTaskRunner) else None


def _check_workers(client: Any, where: str) -> None:
    """The workers must run this coder (same results) and be able to import eventpipe."""
    from tasks.extract import EXTRACTOR_VERSION

    try:
        versions = client.run(parallel.coder_version)
    except ImportError as exc:
        raise EventpipeError(
            f"the Dask workers at {where} cannot import eventpipe ({exc}):"
            " install eventpipe[dask] where they run"
        ) from None
    other = {v for v in versions.values() if v != EXTRACTOR_VERSION}
    if other:
        raise EventpipeError(
            f"the Dask workers at {where} run coder {', '.join(sorted(other))}, this process"
            f" {EXTRACTOR_VERSION}: install the same eventpipe where they run"
        )
