"""Whole-run failures: the warehouse's root exception, and the stop signal.

`EventpipeError` (and its warehouse kinds) are defined in `warehouse.errors`,
the bottom layer; they are re-exported here for the stages and flows.
"""

from warehouse.errors import (
    EventpipeError,
    QueryFailed,
    QueryRefused,
    UsageError,
    WarehouseError,
)

__all__ = [
    "EventpipeError",
    "QueryFailed",
    "QueryRefused",
    "RunTerminated",
    "UsageError",
    "WarehouseError",
]


class RunTerminated(BaseException):
    """The process was told to stop (SIGTERM) in the middle of a run.

    A BaseException, like KeyboardInterrupt, and so not an EventpipeError: no
    library's `except Exception` may swallow it on its way out of the run.
    The CLI still reports it as one line.
    """
