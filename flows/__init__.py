"""Prefect flows and the `eventpipe` command line: flows compose the stages of `tasks`."""

from tasks.runtime import configure_prefect_env

configure_prefect_env()
