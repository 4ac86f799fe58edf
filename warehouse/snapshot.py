"""A read-only copy of the warehouse for analysts' long sessions.

DuckDB blocks a writer while any other process holds the file open, even
read-only, so an analyst who keeps a DuckDB shell or notebook open on the
warehouse would stall scheduled runs. They open the snapshot instead:
`<name>.snapshot.duckdb` beside the warehouse, refreshed after every
completed run. It is replaced atomically (a new file renamed over the old),
so a session holding the old one keeps reading it undisturbed.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from warehouse.db import connect, resolve_db_path
from warehouse.lock import writer_lock

log = logging.getLogger("eventpipe.warehouse")
SNAPSHOT_ENV = "EVENTPIPE_SNAPSHOT"  # "0" turns the refresh after each run off


def snapshot_path(db: str | os.PathLike[str] | None = None) -> Path:
    path = resolve_db_path(db)
    return path.with_name(f"{path.stem}.snapshot{path.suffix or '.duckdb'}")


def snapshots_enabled() -> bool:
    return os.environ.get(SNAPSHOT_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def refresh_snapshot(db: str | os.PathLike[str] | None = None) -> Path:
    """Copy the checkpointed warehouse to its snapshot path, atomically; return that path.

    Holds the writer lock, so no eventpipe writer changes the file during the
    copy; the connection before it folds the WAL into the file (CHECKPOINT).
    """
    path = resolve_db_path(db)
    target = snapshot_path(path)
    with writer_lock(path):
        with connect(path):
            pass  # migrate if needed, CHECKPOINT on close
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            shutil.copyfile(path, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target
