"""Publication dates: the sane range, and the date a plain-text article gives at its top.

A `.txt` file without a sidecar has no publication date, so every relative
date in it ("on Monday") would be null; many such files open with a date
line ("12 October 2025", "Published: 12 Oct 2025 14:03 UTC") or a wire
dateline ("KABUL, Oct 12, 2025 (Reuters) -"). `dateline_date` reads those.

It matches a closed set of formats with a full year, not `dateparser`
(installed, through htmldate): dateparser reads too much into a headline
("12 killed in attack", "Monday's march") to be trusted on a first line. A
dateline without a year ("KABUL, Oct 12 (Reuters) -") is left undated: which
year it means is a guess (the file's mtime is not a publication date).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# No news article we ingest predates 1900; earlier dates are placeholders
# ("0001-01-01") or typos, and events dated from them would land in year 1.
EARLIEST_PUBLISHED = datetime(1900, 1, 1, tzinfo=UTC)
# A story may be dated "tomorrow" in its own time zone (up to UTC+14) or by a
# fast clock; more than a day ahead is a placeholder ("9999-12-31") or a typo.
FUTURE_SLACK = timedelta(days=1)
# A date line or dateline is at the very top: the first few lines, each
# short. Bounding the search keeps a date in the story's body from being taken.
DATELINE_MAX_LINES = 3
DATELINE_MAX_LINE_CHARS = 300


def check_published_range(parsed: datetime, now: datetime | None = None) -> None:
    """Raise ValueError naming the date if it is before 1900 or over a day in the future.

    `parsed` must be aware. A date whose UTC form overflows (year 0 or 10000)
    is out of range too.
    """
    now = now or datetime.now(UTC)
    latest = now + FUTURE_SLACK
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST_PUBLISHED <= in_utc <= latest:
        raise ValueError(
            f"{parsed.isoformat()} is outside {EARLIEST_PUBLISHED.date().isoformat()}"
            f" .. {latest.date().isoformat()} (one day from now)"
        )


def in_range(parsed: datetime, now: datetime | None = None) -> bool:
    """Whether an aware date is within the sane publication range."""
    try:
        check_published_range(parsed, now)
    except ValueError:
        return False
    return True


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>{})\.?".format("|".join(sorted(_MONTHS, key=len, reverse=True)))
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATES = (
    r"(?P<year>\d{4})-(?P<month_number>\d{2})-(?P<day>\d{2})",
    rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}",
    rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_TIME = (
    r"(?:(?:\s*,\s*|\s+at\s+|\s*T|\s+)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?(?:\s*(?P<tz>z|utc|gmt|[+-]\d\d:?\d\d))?)?"
)
_LABEL = r"(?:(?:first\s+)?(?:published|posted|dated?)(?:\s+on)?\s*:?\s*)?"
# A line that is only a date, perhaps labelled and with a time.
_DATE_LINES = [
    re.compile(rf"{_LABEL}{_WEEKDAY}{date}{_TIME}\s*\.?", re.IGNORECASE) for date in _DATES
]
# A wire dateline: an upper-case place (and region), a date, an agency, a dash.
_PLACE = r"[A-Z][A-Z'.\- ]{1,40}(?:,\s*[A-Z][A-Za-z'.\- ]{1,40})?"
_DASH = r"(?:--|-|\u2013|\u2014)"
_WIRE_LINES = [
    re.compile(rf"{_PLACE},\s+(?i:{_WEEKDAY}{date})\s*(?:\([A-Za-z .&'-]{{1,30}}\))?\s*{_DASH}\s")
    for date in _DATES
]


# A line ending like a sentence is the story's first paragraph, not a title.
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]?$")


def dateline_date(text: str, now: datetime | None = None) -> datetime | None:
    """The publication date a text gives at its top (a date line or a wire dateline), or None.

    Looks at the first DATELINE_MAX_LINES non-blank lines only, and not past
    the first line that ends like a sentence (the story's); a date with
    no year, an impossible date (31 February) or one outside the sane range
    is no date.
    """
    lines = [line.strip() for line in text.split("\n", 10)[:10] if line.strip()]
    for line in lines[:DATELINE_MAX_LINES]:
        full_lines: list[re.Pattern[str]] = _DATE_LINES
        if len(line) > DATELINE_MAX_LINE_CHARS:
            line = line[:DATELINE_MAX_LINE_CHARS]
            full_lines = []  # a cut line is no line that is only a date
        for pattern in full_lines:
            match = pattern.fullmatch(line)
            if match:
                return _to_datetime(match, now)
        for pattern in _WIRE_LINES:
            match = pattern.match(line)
            if match:
                return _to_datetime(match, now)
        if _SENTENCE_END.search(line):
            break  # the story has begun: a date below it is the story's, not the text's
    return None


def _to_datetime(match: re.Match[str], now: datetime | None) -> datetime | None:
    """The matched date (and time, UTC unless a zone is given), if real and in range."""
    parts = match.groupdict()
    month = int(parts["month_number"]) if parts.get("month_number") else None
    if month is None:
        month = _MONTHS[parts["month"].lower()]
    hour = int(parts.get("hour") or 0)
    ampm = (parts.get("ampm") or "").lower()
    if ampm and not 1 <= hour <= 12:
        return None
    if ampm:
        hour = hour % 12 + (12 if ampm == "p" else 0)
    zone = parts.get("tz") or ""
    tzinfo: timezone = UTC
    if zone and zone.lower() not in ("z", "utc", "gmt"):
        digits = zone.replace(":", "")
        offset = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
        if offset >= timedelta(hours=24):
            return None
        tzinfo = timezone(offset if digits[0] == "+" else -offset)
    try:
        found = datetime(
            int(parts["year"]),
            month,
            int(parts["day"]),
            hour,
            int(parts.get("minute") or 0),
            int(parts.get("second") or 0),
            tzinfo=tzinfo,
        )
    except ValueError:  # 31 February, hour 25
        return None
    return found if in_range(found, now) else None
