"""Child processes end when eventpipe does, however it ends (SIGKILL included).

Measured: after `kill -9` of `eventpipe ingest`, Prefect's temporary API server
(uvicorn, about 200 MB) and the process pool (forkserver, resource tracker and two
workers, about 480 MB) live on with parent 1, since nothing tells them theirs is gone.
The workers keep the forkserver alive (they hold its "alive" pipe) and both keep the
resource tracker alive. Two guards:

- `exit_when_gone`, run in each pool worker, ends the worker when the main process
  ends; the forkserver and the resource tracker then see their pipes close and exit
  by themselves (the tracker after removing what the pool left in /dev/shm).
- `start_reaper`, called when a command starts its runs, starts a small watchdog
  process that keeps a list of this process's descendants and, once this process is
  gone, ends the ones still running: Prefect's API server above all, which Prefect
  starts and stops itself (an atexit hook that SIGKILL and a default SIGTERM skip).

Linux first (/proc, pidfd); elsewhere there is no reaper and workers poll the pid.
This module imports only the standard library: the reaper runs it as a script.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# How often the reaper re-reads the descendants: a child started and orphaned within
# one interval escapes it. A scan reads every /proc/<pid>/stat, a few milliseconds.
SCAN_INTERVAL_SECONDS = 0.5
# After SIGTERM, how long the descendants get to end by themselves (the API server
# shuts down in 1-2 s; the resource tracker ignores SIGTERM and leaves on EOF) before
# SIGKILL; the reaper's whole job, then, is bounded by this plus a scan.
GRACE_SECONDS = 3.0
# Where pidfd_open is missing (not Linux, or Linux before 5.3), how often a pool worker
# checks that the main process still exists.
POLL_SECONDS = 1.0
# How often the reaper checks whether what it signalled is gone.
CHECK_SECONDS = 0.1

_reaper: subprocess.Popen[bytes] | None = None


def supported() -> bool:
    """Whether the reaper can work here: Linux's /proc."""
    return sys.platform.startswith("linux") and Path("/proc/self/stat").exists()


def start_reaper() -> None:
    """Start the watchdog of this process's descendants, once (does nothing where unsupported).

    Its own session keeps a terminal's Ctrl-C (sent to the foreground group) from
    ending it before the process it watches; it leaves by itself once its work is done.
    """
    global _reaper
    if _reaper is not None or not supported():
        return
    try:
        _reaper = subprocess.Popen(
            [sys.executable, "-I", "-S", __file__, str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # never a caller's pipe: EOF must not wait for it
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
    except OSError:  # no watchdog is no reason to fail a run
        _reaper = None


def reaper_pid() -> int | None:
    """The watchdog's pid, if one was started (for tests)."""
    return _reaper.pid if _reaper is not None else None


def exit_when_gone(pid: int) -> None:
    """End this process as soon as process `pid` ends (a daemon thread; POSIX only).

    A pool's initializer: a worker's parent is the forkserver, not the main
    process, so neither getppid() nor PR_SET_PDEATHSIG would see main go.
    """
    if os.name != "posix":
        return
    threading.Thread(
        target=_exit_when_gone, args=(pid,), name="eventpipe-exit-when-gone", daemon=True
    ).start()


def _exit_when_gone(pid: int) -> None:
    try:
        fd = _pidfd(pid)
        if fd is not None:
            select.select([fd], [], [])  # readable once the process has ended
        else:
            while _exists(pid):
                time.sleep(POLL_SECONDS)
    except ProcessLookupError:
        pass
    os._exit(1)  # nobody is left to report to


def _pidfd(pid: int) -> int | None:
    """A pidfd for `pid` (raises ProcessLookupError if it is gone), or None where unsupported."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        fd: int = pidfd_open(pid)
    except ProcessLookupError:
        raise
    except OSError:  # ENOSYS: a kernel before 5.3
        return None
    return fd


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stat(pid: int) -> tuple[str, int, str] | None:
    """(state, ppid, start time) from /proc/<pid>/stat, or None if it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2 :].split()  # the name may hold spaces and ')'
    return fields[0], int(fields[1]), fields[19]


def _alive(pid: int, started: str) -> bool:
    """Whether `pid` is still the process first seen (same start time) and not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[0] != "Z"


def descendants(roots: set[int]) -> dict[int, str]:
    """Every living process below `roots`, by pid, with its start time (one /proc scan)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[0] != "Z":
                children.setdefault(stat[1], []).append((int(entry), stat[2]))
    found: dict[int, str] = {}
    todo = list(roots)
    while todo:
        for pid, started in children.get(todo.pop(), []):
            if pid not in found:
                found[pid] = started
                todo.append(pid)
    return found


def _wait_for_exit(pidfd: int | None, seconds: float) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [], seconds)
    else:
        time.sleep(seconds)


def reap(main_pid: int) -> None:
    """The watchdog: list `main_pid`'s descendants until it is gone, then end them.

    Runs as `main_pid`'s child, so a changed getppid() says for certain that main is
    gone (its children are handed to another parent as it exits); a pidfd wakes the
    loop at once. Ends the processes it recorded and their own descendants (workers
    the forkserver started after the last scan).
    """
    me = os.getpid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pidfd = _pidfd(main_pid)
    except ProcessLookupError:
        return
    known: dict[int, str] = {}
    while os.getppid() == main_pid:
        known = {p: s for p, s in known.items() if _alive(p, s)}
        known.update(descendants({main_pid}))
        known.pop(me, None)
        _wait_for_exit(pidfd, SCAN_INTERVAL_SECONDS)
        if pidfd is not None and os.getppid() == main_pid and not _exists_fd(pidfd):
            time.sleep(CHECK_SECONDS)  # main has ended; its children are being handed over
    end_all(known, me)


def _exists_fd(pidfd: int) -> bool:
    """Whether the process behind `pidfd` is still running (its pidfd is not readable)."""
    readable, _, _ = select.select([pidfd], [], [], 0)
    return not readable


def end_all(known: dict[int, str], me: int) -> None:
    """SIGTERM what still runs of `known` and below, SIGKILL what is left after the grace."""
    targets = {p: s for p, s in known.items() if _alive(p, s)}
    targets.update(descendants(set(targets)))
    targets.pop(me, None)
    _signal_all(targets, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        targets = {p: s for p, s in targets.items() if _alive(p, s)}
        if not targets:
            return
        time.sleep(CHECK_SECONDS)
    _signal_all(targets, signal.SIGKILL)


def _signal_all(targets: dict[int, str], signum: signal.Signals) -> None:
    for pid, started in targets.items():
        if _alive(pid, started):  # checked just before: a reused pid is not ours
            with contextlib.suppress(OSError):
                os.kill(pid, signum)


if __name__ == "__main__":
    reap(int(sys.argv[1]))
