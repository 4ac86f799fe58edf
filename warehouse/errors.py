"""The one root exception for failures that end a whole run or command.

It lives in the warehouse, the bottom layer, so that the warehouse needs
nothing from the stages or flows above it; `tasks.errors` re-exports it.
"""

import errno


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


class BadWarehouse(WarehouseError, UsageError):
    """The database path cannot be a warehouse (a folder, another file, another program's):
    a configuration error (exit code 2)."""


class QueryStopped(QueryFailed):
    """A read-only query stopped at its time limit."""


# How DuckDB words a full disk (it reports the OS error inside its own message).
_NO_SPACE_TEXT = "no space left on device"


def storage_problem(exc: BaseException) -> str:
    """The cause of a storage failure as a few words: the OS's, or DuckDB's first line.

    A full disk is named as such whoever reports it, so the user is not sent
    looking for a permissions or folder problem.
    """
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return _NO_SPACE_TEXT
    text = str(exc)
    if _NO_SPACE_TEXT in text.lower():
        return _NO_SPACE_TEXT
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return text.splitlines()[0] if text else type(exc).__name__
