"""The one root exception for failures that end a whole run or command."""


class EventpipeError(Exception):
    """A whole-run failure with a message fit to show the user as one line."""


class WarehouseError(EventpipeError):
    """The warehouse could not be opened, migrated or written."""


class QueryRefused(EventpipeError):
    """A query that `eventpipe query` will not run (it writes, or is not SQL)."""


class QueryFailed(EventpipeError):
    """A read-only query that DuckDB could not run (a typo, a missing table...)."""


class RunTerminated(BaseException):
    """The process was told to stop (SIGTERM) in the middle of a run.

    A BaseException, like KeyboardInterrupt, and so not an EventpipeError: no
    library's `except Exception` may swallow it on its way out of the run.
    The CLI still reports it as one line.
    """
