"""The one root exception for failures that end a whole run or command.

It lives in the warehouse, the bottom layer, so that the warehouse needs
nothing from the stages or flows above it; `tasks.errors` re-exports it.
"""


class EventpipeError(Exception):
    """A whole-run failure with a message fit to show the user as one line."""


class WarehouseError(EventpipeError):
    """The warehouse could not be opened, migrated or written."""


class QueryRefused(EventpipeError):
    """A query that `eventpipe query` will not run (it writes, or is not SQL)."""


class QueryFailed(EventpipeError):
    """A read-only query that DuckDB could not run (a typo, a missing table...)."""


class UsageError(EventpipeError):
    """A command asked for something that cannot be done as asked: a path that does not
    exist, a bad configuration file. Found before any work starts (exit code 2)."""
