"""The DuckDB warehouse: connections, numbered migrations, batch writes."""

from warehouse.db import DEFAULT_DB, connect, migrate, resolve_db_path

__all__ = ["DEFAULT_DB", "connect", "migrate", "resolve_db_path"]
