"""A real PostgreSQL server for tests: initdb, start on a free loopback port, stop.

The binaries come from the `pgserver` wheel (the test extra in pyproject.toml: PostgreSQL
16 for Linux and macOS, installed by pip like everything else, so `make test` needs no
system package nor root), else from Debian's postgresql package when one is installed.
PostgreSQL refuses to run as root, so as root the server runs as `nobody`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# initdb and a start take a few seconds; a loaded shared machine may take far more.
START_TIMEOUT_S = 120


def binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and createdb, or None."""
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        found = Path(spec.origin).parent / "pginstall" / "bin"
        if (found / "pg_ctl").is_file():
            return found
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return debian[-1].parent if debian else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server's libpq conninfo (database `lake`, user `postgres`, trust)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL binaries (pip install pgserver, or apt postgresql)")
    root = Path(tempfile.mkdtemp(prefix="eventpipe-pg-"))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        os.chmod(root, 0o755)
        shutil.chown(root, "nobody")
        run_as = {"user": "nobody"}
    data, port = root / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run(
            args, check=True, capture_output=True, timeout=START_TIMEOUT_S, cwd=root, **run_as
        )

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = f"-p {port} -h 127.0.0.1 -k ''"
        log = str(root / "log")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", log, "-w", "-o", options, "start")
        try:
            run(
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "lake",
            )
            yield f"dbname=lake host=127.0.0.1 port={port} user=postgres"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def new_database(conninfo: str, name: str) -> str:
    """A new, empty database on the server of `conninfo`; its conninfo."""
    bin_dir = binaries()
    assert bin_dir is not None
    parts = dict(p.split("=", 1) for p in conninfo.split())
    subprocess.run(
        [
            str(bin_dir / "createdb"),
            "-h",
            parts["host"],
            "-p",
            parts["port"],
            "-U",
            "postgres",
            name,
        ],
        check=True,
        capture_output=True,
        timeout=START_TIMEOUT_S,
    )
    return conninfo.replace("dbname=lake", f"dbname={name}")
