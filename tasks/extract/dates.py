"""Date expressions in a sentence, resolved against the publication date (SCHEMA rule 5)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("mdy", re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<d>{_DAY})(?:,?\s+(?P<y>{_YEAR}))?\b", re.I)),
    ("dmy", re.compile(rf"\b(?P<d>{_DAY})\s+(?P<m>{_MONTH})(?:,?\s+(?P<y>{_YEAR}))?\b", re.I)),
    (
        "weekday",
        re.compile(
            r"\b(?:(?:late|early)\s+(?:on\s+)?|last\s+)?(?P<w>monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:'s)?\b",
            re.I,
        ),
    ),
    (
        "rel",
        re.compile(
            r"\b(?P<r>yesterday|today|tonight|last\s+night|overnight|this\s+morning)\b", re.I
        ),
    ),
    (
        "vague",
        re.compile(
            r"\b(?:last|this|next|earlier\s+this|later\s+this|late\s+last|early\s+last|earlier\s+in\s+the)\s+(?:week|month|year|weekend)\b"
            r"|\bearlier\s+(?:this|in\s+the)\s+(?:week|month|year)\b|\brecent\s+(?:days|weeks)\b",
            re.I,
        ),
    ),
    (
        "month",
        re.compile(
            rf"\b(?:in|since|early|late|mid-?|by)\s+(?P<m>{_MONTH})(?:\s+(?P<y>{_YEAR}))?\b", re.I
        ),
    ),
]


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date expression: where it is, its words, the day it means (or None) and precision."""

    start: int
    end: int
    text: str
    value: date | None
    precision: str
    base: int = 0  # offset of its sentence in the article (start/end are in the sentence)


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month_day(month: int, day: int, year: int | None, published: date | None) -> date | None:
    if year is not None:
        return _safe(year, month, day)
    if published is None:
        return None
    value = _safe(published.year, month, day)
    if value is not None and value > published:
        value = _safe(published.year - 1, month, day)
    return value


# Every date pattern needs a digit, a month, a weekday ("...day") or a relative word:
# sentences without one are skipped without running the patterns (lower-cased text).
_MAYBE_DATE = re.compile(
    r"\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|day|night|morning|week|month|year"
    r"|recent"
)


def find_dates(sentence: str, published: date | None) -> list[DateMention]:
    """All date expressions in ``sentence`` (non-overlapping, in order)."""
    if not _MAYBE_DATE.search(sentence.lower()):
        return []
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for kind, pat in _PATTERNS:
        for m in pat.finditer(sentence):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            mention = _resolve(kind, m, published)
            if mention is not None:
                out.append(mention)
                taken.append((m.start(), m.end()))
    out.sort(key=lambda d: d.start)
    return out


def _resolve(kind: str, m: re.Match[str], published: date | None) -> DateMention | None:
    text = m.group(0)
    value: date | None = None
    precision = "day"
    if kind in ("mdy", "dmy"):
        if m.group("m").lower() == "may" and m.group("m")[0].islower():
            return None  # "may" the verb, not the month
        month = MONTHS[m.group("m").lower().rstrip(".")]
        day = int(re.sub(r"\D", "", m.group("d")))
        year = int(m.group("y")) if m.group("y") else None
        value = _month_day(month, day, year, published)
    elif kind == "weekday":
        if published is not None:
            target = WEEKDAYS.index(m.group("w").lower())
            value = published - timedelta(days=(published.weekday() - target) % 7)
    elif kind == "rel":
        word = m.group("r").lower()
        if published is not None:
            back = 1 if word in ("yesterday", "last night") else 0
            value = published - timedelta(days=back)
        precision = "relative"
    elif kind == "vague":
        precision = "relative"
    elif kind == "month":
        if (
            m.group(1 if False else "m").lower().rstrip(".") == "may"
            and text.split()[-1][0].islower()
        ):
            return None
        precision = "month"
    if value is None and precision == "day":
        precision = "unknown"
    return DateMention(m.start(), m.end(), text, value, precision)


def shift(value: date | None, days: int) -> date | None:
    """``value`` moved by ``days`` (None stays None)."""
    return None if value is None else value + timedelta(days=days)
