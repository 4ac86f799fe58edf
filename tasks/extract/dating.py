"""Which of a sentence's dates dates each act, and the dates a sentence gives beyond its
own words ("the following day": a day after the last date the article gave)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from tasks.extract.dates import DateMention, find_dates, mark_speech, relative_days, shift
from tasks.extract.filters import RELATIVE_CLAUSE
from tasks.extract.numbers import parse_number
from tasks.extract.sentences import Sentence

# A day given relative to the last date the article gave.
NEXT_DAY = re.compile(
    r"\b(?:the following day|the next day|a day later|the day after|(?:on )?the same day|"
    r"that same day|later that day)\b",
    re.I,
)


def sentence_dates(
    sent: Sentence, published: date | None, last_day: date | None, lead: date | None = None
) -> list[DateMention]:
    """The sentence's date mentions (offsets in the article via ``base``), with relative
    days and "the following day" resolved against ``last_day``."""
    dates = mark_speech(
        sent.text, [replace(d, base=sent.start) for d in find_dates(sent.text, published)]
    )
    dates = _overnight_into_day(sent.text, dates)
    if sent.paragraph == 0:
        dates = _drop_dateline(sent.text, dates)
    dates += relative_days(sent.text, sent.start, dates, last_day)
    dates += days_apart(sent.text, sent.start, dates, last_day, lead)
    nxt = NEXT_DAY.search(sent.text)
    if nxt and last_day is not None and not any(d.value for d in dates):
        # "the following day": one day after the last date the article gave ("the
        # same day", "later that day": that date).
        days = 0 if re.search(r"same|that day", nxt.group(0), re.I) else 1
        dates.append(
            DateMention(
                nxt.start(), nxt.end(), nxt.group(0), shift(last_day, days), "day", sent.start
            )
        )
    return dates


def nearest_date(
    dates: list[DateMention], pos: int, physical: bool, text: str = ""
) -> DateMention | None:
    """The date nearest the trigger; for an act (not a statement) a date of the act beats
    the day it was reported ("said on Tuesday it had captured the town on Monday")."""
    if not physical:
        # A date inside a relative clause before a statement dates that clause ("The CSP,
        # which has been fighting the army since last year, accused ..."). An act's own
        # clause often dates it ("The drone, which hit ... early on Friday, killed one").
        aside = [m.span() for m in RELATIVE_CLAUSE.finditer(text) if m.end() <= pos]
        dates = [d for d in dates if not any(s <= d.start < e for s, e in aside)]
        # "warned the families of protesters killed last year": that date is the killing's.
        dates = [d for d in dates if not _participle_date(text, d, pos)]
    if not dates:
        return None
    own = [
        d
        for d in dates
        if d.precision == "month"
        and (
            0 < d.start - pos <= MONTH_AFTER
            or (0 <= pos - d.end <= MONTH_BEFORE and not _OTHER_CLAUSE.search(text[d.end : pos]))
        )
    ]
    if own:
        return own[0]  # "captured Goma in late January and took Bukavu on February 16"
    # A month named further away dates another clause ("the ceasefire agreed in November").
    rest = [d for d in dates if d.precision != "month"]
    if not rest:
        return None
    return min(rest, key=lambda d: (d.value is None, physical and d.speech, abs(d.start - pos)))


_PARTICIPLE_BEFORE = re.compile(r"\b[a-z]{3,}ed\s+(?:in\s+|on\s+|since\s+)?$")


def _participle_date(text: str, d: DateMention, pos: int) -> bool:
    """A date right after a past participle that comes after the statement's verb."""
    base = max(0, d.start - 25)
    m = _PARTICIPLE_BEFORE.search(text[base : d.start])
    return m is not None and base + m.start() > pos


# A month named this close after a trigger ("captured Goma in late January") or before it
# ("In March, rebels seized ...") dates that act, even when a day-precise date further on
# dates another; a month further away dates some other clause.
MONTH_AFTER = 30
MONTH_BEFORE = 40
# Between a month and a later trigger: another verb's clause ("in late January and took").
_OTHER_CLAUSE = re.compile(r"\band\b|\bwhile\b|;|\bthen\b")


# "overnight into Sunday", "overnight on Friday", "overnight to Tuesday": the named day
# dates the act, not "overnight" (which alone means the night before publication).
_OVERNIGHT_GAP = re.compile(r"^\s*(?:on|into|to|until|before|of)?\s*(?:the\s+)?$", re.I)


def _overnight_into_day(text: str, dates: list[DateMention]) -> list[DateMention]:
    """Drop an "overnight" that a day right after it dates."""
    out: list[DateMention] = []
    for i, d in enumerate(dates):
        nxt = dates[i + 1] if i + 1 < len(dates) else None
        if (
            d.text.lower() == "overnight"
            and nxt is not None
            and nxt.value is not None
            and nxt.precision == "day"
            and _OVERNIGHT_GAP.match(text[d.end : nxt.start])
        ):
            continue
        out.append(d)
    return out


_COUNT = r"(?P<n>a|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})"
# "The move came five days after the US imposed ...": the act after "after" is N days
# before the day of the article's lead act (what "the move" names).
_CAME_AFTER = re.compile(
    rf"\b(?:came|comes|was|were|followed|happened|occurred)\s+(?:just\s+|only\s+)?"
    rf"{_COUNT}\s+days?\s+after\b",
    re.I,
)
# "... came two days after a rally, and a day after the president accused ...": each
# count dates the act after it.
_AND_AFTER = re.compile(rf"(?:\band|,)\s+{_COUNT}\s+days?\s+after\b", re.I)
# "Two days later, a mine exploded ...": N days after the day the article last gave;
# "Three days earlier, ...": N days before it. One day is NEXT_DAY's and PREVIOUS_DAY's.
_LATER = re.compile(rf"\b{_COUNT}\s+days\s+(?P<dir>later|earlier|before)\b(?!\s+the\b)", re.I)


def _count(word: str) -> int:
    """The days a `_COUNT` match names ("a" day is one)."""
    return 1 if word.lower() == "a" else parse_number(word) or 0


def days_apart(
    text: str,
    base: int,
    dates: list[DateMention],
    last_day: date | None,
    lead: date | None = None,
) -> list[DateMention]:
    """Days counted in a sentence without a day of its own: "came five days after" (back
    from the lead act's day), "two days later" (on from the last day the article gave),
    "three days earlier" (back from it)."""
    if "day" not in text or any(d.value for d in dates):
        return []
    m = _CAME_AFTER.search(text)
    if m is not None:
        if lead is None:
            return []
        out = []
        for k in [m, *_AND_AFTER.finditer(text, m.end())]:
            start = k.start("n")
            back = shift(lead, -_count(k.group("n")))
            out.append(DateMention(start, k.end(), text[start : k.end()], back, "day", base))
        return out
    m = _LATER.search(text)
    if m is not None and last_day is not None and _count(m.group("n")) > 1:
        sign = 1 if m.group("dir").lower() == "later" else -1
        return [
            DateMention(
                m.start(),
                m.end(),
                m.group(0),
                shift(last_day, sign * _count(m.group("n"))),
                "day",
                base,
            )
        ]
    return []


# A wire dateline the masking left ("Niamey, 7 July 2024 (APA) - "): its date is the
# filing day, not the act's, and must not become the article's lead date.
_DATELINE_END = re.compile(r"\s*(?:\([^()]{1,30}\))?\s*(?:--|-|\u2013|\u2014|:)\s")
_DATELINE_PLACE = re.compile(r"^\s*[A-Z][\w'\u2019.\- ]{1,40}(?:,\s*[A-Z][\w'.\- ]{1,40})?,\s*$")


def _drop_dateline(text: str, dates: list[DateMention]) -> list[DateMention]:
    """The dates of the article's first sentence without the dateline's."""
    if not dates:
        return dates
    first = dates[0]
    if _DATELINE_PLACE.match(text[: first.start]) and _DATELINE_END.match(text, first.end):
        return dates[1:]
    return dates
