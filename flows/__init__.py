"""Prefect flows and the `eventpipe` command line."""

from tasks.runtime import configure_prefect_env

configure_prefect_env()
