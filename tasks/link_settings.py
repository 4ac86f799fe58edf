"""The linker's settings: its tuned values, and the config file's table that changes them.

Apart from the pairwise rules (`tasks/link_match.py`) and the stage (`tasks/link.py`),
which both read them, so neither imports the other to know them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from tasks.errors import UsageError


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """The linker's tuned values (changeable in the config file's `[incidents]` table)."""

    # Candidates are current events dated (or, undated, published) within this many
    # days of a new report: outlets file within days of an incident, and a weekly
    # round-up or a later article's background mention within a week.
    window_days: int = 7
    # Dates may differ by this much when two reports name the same town: a report
    # filed the next day that says "on Tuesday" for a late-night attack, an outlet in
    # another time zone. In a province, or between towns, the days must agree.
    date_slack_days: int = 1
    # Two named places closer than this are one place (the village and the town it is
    # "near", a road "between" two towns); further apart they are two incidents.
    near_km: float = 25.0
    # A report that gives no day (background in a later article) may join an
    # incident dated at most this many days before its publication.
    undated_days: int = 7
    # ACLED sub-types that outlets give one act (a clash that "overran" a post, an air
    # strike one outlet calls shelling, a roadside bomb another calls an attack). Two
    # reports in one town a day apart are one incident only with one sub-type or two
    # of one group: in one town on consecutive days a clash and an attack on
    # civilians, a clash and an air strike, a protest and a riot are two incidents
    # (the fight and the reprisal, the march and the next day's clashes). On one day
    # the ACLED family decides (`same_kind`), as outlets name one act differently.
    subtype_groups: tuple[tuple[str, ...], ...] = (
        ("Armed clash", "Non-state actor overtakes territory", "Government regains territory"),
        ("Air/drone strike", "Shelling/artillery/missile attack"),
        ("Attack", "Remote explosive/landmine/IED"),
        (
            "Violent demonstration",
            "Protest with intervention",
            "Excessive force against protesters",
        ),
    )
    # Sub-types of two ACLED families (or two strategic developments) that outlets give
    # one act: party supporters' "clashes" one outlet calls a riot, a gang's attack on
    # a police station another calls its burning. Such reports are one incident only
    # in one town on one day.
    same_day_groups: tuple[tuple[str, ...], ...] = (
        ("Armed clash", "Violent demonstration", "Mob violence"),
        ("Armed clash", "Attack", "Looting/property destruction"),
    )


DEFAULT_SETTINGS = LinkSettings()
# The config file whose `[incidents]` table changes these (default: seeds/feeds.toml).
CONFIG_ENV = "EVENTPIPE_CONFIG"


def load_settings(path: str | os.PathLike[str] | None = None) -> LinkSettings:
    """The linker's settings: the `[incidents]` table of the config file, over the
    defaults. No file or no table: the defaults. A bad value is a usage error."""
    from tasks.fetch.feeds import DEFAULT_CONFIG

    file = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    try:
        stamp = file.stat().st_mtime_ns
    except FileNotFoundError:
        return DEFAULT_SETTINGS
    except OSError as exc:
        raise UsageError(f"cannot read config {file}: {exc}") from exc
    return _settings_of(file, stamp)


@lru_cache(maxsize=8)
def _settings_of(file: Path, stamp: int) -> LinkSettings:
    """The settings of one version of a config file (every batch asks: read it once)."""
    from tasks.fetch.feeds import read_config

    table = read_config(file).get("incidents", {})
    if not isinstance(table, dict):
        raise UsageError(f"{file}: [incidents] must be a table")
    known = {f.name: f.type for f in fields(LinkSettings)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise UsageError(f"{file}: unknown [incidents] setting {key!r}")
        if key in ("subtype_groups", "same_day_groups"):
            values[key] = _groups(file, value)
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or value < 0 or (known[key] == "int" and not isinstance(value, int)):
            raise UsageError(f"{file}: [incidents] {key} must be a non-negative {known[key]}")
        values[key] = value
    return replace(DEFAULT_SETTINGS, **values)


def _groups(file: Path, value: Any) -> tuple[tuple[str, ...], ...]:
    """`subtype_groups` as the config gives it: a list of lists of sub-type names."""
    ok = isinstance(value, list) and all(
        isinstance(g, list) and all(isinstance(x, str) for x in g) for g in value
    )
    if not ok:
        raise UsageError(f"{file}: [incidents] groups of sub-types must be lists of names")
    return tuple(tuple(g) for g in value)
