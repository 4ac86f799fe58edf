"""Shared fixtures: paths, a fresh warehouse per test, one Prefect test API per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks.runtime import configure_prefect_env

configure_prefect_env()

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_8681d12e972c8123.txt"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A warehouse file that does not exist yet, in a folder that does not either."""
    return tmp_path / "wh" / "events.duckdb"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """Real Prefect flow runs against a temporary local API (started once: ~10 s; allowed
    180 s, as a loaded shared machine once took more than 90)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A real PostgreSQL server for DuckLake catalogs (tests/pg.py), one per session."""
    from . import pg

    if pg.binaries() is None:
        pytest.skip("no PostgreSQL binaries: install the test extra (pgserver)")
    with pg.postgres_server() as conninfo:
        yield conninfo


def shared_or_skip(*parts: str) -> Path:
    """A path inside ../shared, or skip the test when users cloned without it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is not part of a clone)")
    return path


@pytest.fixture
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if code under test connects anywhere but 127.0.0.0/8 or ::1."""
    import ipaddress
    import socket

    real = socket.create_connection

    def guarded(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        try:
            loopback = ipaddress.ip_address(address[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise AssertionError(f"a test tried to connect to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


def read_rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of a query on a warehouse file, opened read-only for that query alone."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
