"""What an export takes from the warehouse: a level, a span of days, some countries.

Checked before any work: a bad day or an unknown country is a `UsageError` whose
one-line message names it (the command line exits 2 and writes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from warehouse.errors import UsageError

Level = Literal["incidents", "events"]
LEVELS: tuple[Level, ...] = ("incidents", "events")


@dataclass(frozen=True)
class Selection:
    """Incidents (one row per real-world event) or events (one row per report), with an
    `event_date` in [since, until] (either end open) and a country among `countries`
    (ISO 3166 alpha-3; empty means every country)."""

    level: Level = "incidents"
    since: date | None = None
    until: date | None = None
    countries: tuple[str, ...] = field(default_factory=tuple)

    def where(self, date_column: str = "event_date", country_column: str = "country") -> str:
        """The SQL condition for this selection (values are checked, so inlined safely)."""
        parts = ["TRUE"]
        if self.since is not None:
            parts.append(f"{date_column} >= DATE '{self.since.isoformat()}'")
        if self.until is not None:
            parts.append(f"{date_column} <= DATE '{self.until.isoformat()}'")
        if self.countries:
            listed = ", ".join(f"'{c}'" for c in self.countries)
            parts.append(f"{country_column} IN ({listed})")
        return " AND ".join(parts)


def parse_day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD day, or None; anything else is a one-line `UsageError`."""
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a day: write it as YYYY-MM-DD") from None


def parse_countries(values: list[str] | None, known: set[str]) -> tuple[str, ...]:
    """ISO alpha-3 codes, upper-cased; one not in `known` is a one-line `UsageError`."""
    out: list[str] = []
    for value in values or []:
        code = value.strip().upper()
        if code not in known:
            raise UsageError(
                f"--country {value!r} is not a known ISO 3166 alpha-3 code (e.g. PAK, AFG, KEN)"
            )
        if code not in out:
            out.append(code)
    return tuple(out)


def make_selection(
    level: str,
    since: str | None,
    until: str | None,
    countries: list[str] | None,
    known_countries: set[str],
) -> Selection:
    """A checked `Selection` from the command line's strings."""
    if level not in LEVELS:
        raise UsageError(f"--level {level!r}: choose incidents or events")
    start, end = parse_day(since, "--since"), parse_day(until, "--until")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--since {since} is after --until {until}")
    chosen: Level = "incidents" if level == "incidents" else "events"
    return Selection(chosen, start, end, parse_countries(countries, known_countries))


@dataclass(frozen=True)
class Written:
    """What an exporter wrote: `rows` written, `left_out` rows of the selection the format
    cannot hold (e.g. verbal acts in an ACLED export), and why they were left out."""

    rows: int
    left_out: int = 0
    left_out_why: str = ""
