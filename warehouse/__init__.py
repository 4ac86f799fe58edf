"""The warehouse: storage, and everything that reads or writes it.

It owns its SQL (migrations, views, reads, the batch writer, run records,
analysts' read-only queries) and imports nothing from `tasks` or `flows`.
Flows reach it through `open_warehouse(db)` (see `backend.py`).
"""

from warehouse.backend import DuckDBWarehouse, Warehouse, open_warehouse
from warehouse.db import DEFAULT_DB, connect, migrate, resolve_db_path
from warehouse.writer import Batch

__all__ = [
    "DEFAULT_DB",
    "Batch",
    "DuckDBWarehouse",
    "Warehouse",
    "connect",
    "migrate",
    "open_warehouse",
    "resolve_db_path",
]
