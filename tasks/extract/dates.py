"""Date expressions in a sentence, resolved against the publication date (SCHEMA rule 5)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
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
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
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
            # "overnight on March 31", "overnight into Sunday": the named day dates it.
            r"\b(?P<r>yesterday|today|tonight|last\s+night|this\s+morning|overnight"
            rf"(?!\s+(?:(?:on|into|to)\s+)?(?:{_WEEKDAY}|{_MONTH}\s+\d|\d{{1,2}}\s+{_MONTH})))\b",
            re.I,
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
    speech: bool = False  # dates the statement ("said on Tuesday"), not the act reported


# "said on Tuesday", "announced late on Monday": the day of the statement.
_SPEECH_BEFORE = re.compile(
    r"\b(?:said|says|announced|reported|confirmed|claimed|stated|added|told\s+[\w\s]{1,30}?)"
    r"\s+(?:late\s+|early\s+)?(?:on\s+)?$",
    re.I,
)
# "the toll rose to 15 on Tuesday", "had climbed to 30 by Monday": the day of the revised
# count, like a statement's, not the attack's.
_TOLL_RISE_BEFORE = re.compile(
    r"\b(?:rose|risen|climbed|reached|increased|jumped|grew|raised|revised\s+\w+)\s+"
    r"(?:to\s+)?(?:at\s+least\s+)?[\w,\-]+(?:\s+\w+)?\s+(?:late\s+|early\s+)?(?:on|by)\s+$",
    re.I,
)
# "the same day", "that night": the day the text last gave.
SAME_DAY = re.compile(
    r"\b(?:the same (?:day|night|evening|afternoon|morning)|that (?:day|night|evening))\b", re.I
)
# "A day earlier", "the previous day": the day before the one the text last gave.
PREVIOUS_DAY = re.compile(
    r"\b(?:(?:a|one) day (?:earlier|before)|the previous day|the day before)\b", re.I
)


def relative_days(
    text: str, base: int, dates: list[DateMention], last_day: date | None
) -> list[DateMention]:
    """ "the same day" is the day last given (in this sentence or before); "a day earlier"
    opening an undated sentence is the day before the one last given."""
    out: list[DateMention] = []
    if not (
        "same " in text
        or "hat day" in text
        or "hat night" in text
        or "hat evening" in text
        or "day earlier" in text
        or "day before" in text
        or "previous day" in text
    ):
        return out  # cheap pre-check (any case of the first letter): most sentences have none
    for m in SAME_DAY.finditer(text):
        prior = [d.value for d in dates if d.value is not None and d.end <= m.start()]
        day = prior[-1] if prior else last_day
        if day is not None:
            out.append(DateMention(m.start(), m.end(), m.group(0), day, "day", base))
    prev = PREVIOUS_DAY.search(text)
    if prev and last_day is not None and not any(d.value for d in dates):
        out.append(
            DateMention(prev.start(), prev.end(), prev.group(0), shift(last_day, -1), "day", base)
        )
    return out


def mark_speech(sentence: str, dates: list[DateMention]) -> list[DateMention]:
    """Flag the dates that say when something was said (or a toll revised) rather than
    done."""
    return [
        replace(d, speech=True)
        if _SPEECH_BEFORE.search(sentence[max(0, d.start - 50) : d.start])
        or _TOLL_RISE_BEFORE.search(sentence[max(0, d.start - 50) : d.start])
        else d
        for d in dates
    ]


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
        if m.group("m").lower().rstrip(".") == "may" and text.split()[-1][0].islower():
            return None
        precision = "month"
    if value is None and precision == "day":
        precision = "unknown"
    return DateMention(m.start(), m.end(), text, value, precision)


def shift(value: date | None, days: int) -> date | None:
    """``value`` moved by ``days`` (None stays None)."""
    return None if value is None else value + timedelta(days=days)


def month_before(mention: DateMention, published: date | None) -> bool:
    """A month-only date ("in March 2023", "in early January" read in April) at least
    BACKGROUND_MONTHS before the month of publication: background without a day, which
    SCHEMA rule 4 does not make an event. Last month's act stays an event with no date,
    as the labelled cases keep "late last month"."""
    if mention.precision != "month" or published is None:
        return False
    m = _PATTERNS[-1][1].search(mention.text)
    if m is None:
        return False
    month = MONTHS[m.group("m").lower().rstrip(".")]
    year = int(m.group("y")) if m.group("y") else published.year
    if not m.group("y") and month > published.month:
        year -= 1  # "in November" read in March: last November
    return (published.year * 12 + published.month) - (year * 12 + month) >= BACKGROUND_MONTHS


# How many months before publication a month-only date must lie to be background.
BACKGROUND_MONTHS = 2
