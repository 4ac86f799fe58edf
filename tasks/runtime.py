"""Prefect's environment, set before Prefect is first imported.

eventpipe runs on Prefect's temporary (ephemeral) API unless the user points
PREFECT_API_URL at a server. Every value is a default: the user's own
environment wins.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The temporary API needs 11-12 s on a first run with a new home on these
# 2-core machines; Prefect's 20 s default is too close, so allow 90 s.
EPHEMERAL_STARTUP_TIMEOUT_SECONDS = "90"

QUIET_OFFLINE_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


def prefect_home() -> Path:
    """A project-local home (`.prefect/` in the checkout), else a temporary one."""
    local = PROJECT_ROOT / ".prefect"
    try:
        local.mkdir(exist_ok=True)
        if os.access(local, os.W_OK):
            return local
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / "eventpipe-prefect"
    fallback.mkdir(exist_ok=True)
    return fallback


def configure_prefect_env() -> None:
    """Make Prefect quiet, offline and local, unless the user said otherwise."""
    if "PREFECT_HOME" not in os.environ:
        os.environ["PREFECT_HOME"] = str(prefect_home())
    for key, value in QUIET_OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
