"""Sentence splitting with character offsets (no models, abbreviation-aware)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.extract.budget import NO_BUDGET, Budget

# A sentence ends at . ! or ? (optionally followed by a closing quote) before whitespace
# and an upper-case letter, digit or opening quote; or at a newline.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'\u201d\u2019]?\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])|\n+")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Maj|Capt|Sgt|St|Sen|Rep|Gov|Prof|Jr|Sr|No|Vol|vs|etc|"
    r"Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|Inc|Ltd|Co|Corp|a\.m|p\.m|U\.S|U\.N|U\.K|[A-Z])\.)$"
)

# The longest abbreviation with its dot ("Sept.", "a.m.") fits in this many characters.
ABBREV_TAIL = 8


# A wire dateline opening the text: "OUAGADOUGOU, June 14 - ", "SULAYMANIYAH, Iraq, July
# 12 - ", "KYIV, Ukraine (AP) — ", "NEW DELHI: ", "Kabul, Oct 12 (Reuters) -". An upper-case
# place needs nothing more; a title-case one needs a date or an agency to count.
_DL_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:,\s+\d{4})?"
)
_DL_AGENCY = r"\((?:[A-Z][\w.]*)(?:[ /][A-Z0-9][\w.]*)*\)"  # also a date: "(March 27)"
_DL_REGION = r"(?:,\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\.?)?"
# An upper-case letter, accented ones too ("BOGOTÁ", "SÃO PAULO").
_DL_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_DATELINE = re.compile(
    r"\A\s*(?:"
    rf"[{_DL_UPPER}][{_DL_UPPER}'\u2019.\-]+(?:[ /][{_DL_UPPER}][{_DL_UPPER}'\u2019.\-]+)*"
    rf"{_DL_REGION}"
    rf"(?:,\s+{_DL_MONTH})?\s*(?:{_DL_AGENCY})?\s*"
    rf"|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?{_DL_REGION}"
    rf"(?:,\s+{_DL_MONTH}\s*(?:{_DL_AGENCY})?|\s*{_DL_AGENCY})\s*"
    r")(?:[-\u2013\u2014]+|:)\s"
)


def dateline_span(text: str) -> int | None:
    """The end of ``text``'s opening dateline (None: it opens with none)."""
    m = _DATELINE.match(text)
    return None if m is None else m.end()


def mask_dateline(text: str) -> str:
    """``text`` with its opening dateline blanked out (same length, so offsets hold): its
    date is the filing day and its place where the report was filed, not the event's."""
    m = _DATELINE.match(text)
    return text if m is None else " " * m.end() + text[m.end() :]


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its text, offsets in the article and paragraph number."""

    text: str
    start: int
    end: int
    paragraph: int


def split_sentences(text: str, budget: Budget = NO_BUDGET) -> list[Sentence]:
    """Split ``text`` into sentences; ``text[s.start:s.end] == s.text`` for each."""
    out: list[Sentence] = []
    para = 0
    start = 0
    for m in _BOUNDARY.finditer(text):
        budget.check("splitting sentences")
        if "\n" not in m.group(0):
            chunk = text[start : m.start()].rstrip("\"'\u201d\u2019")
            # Only the chunk's tail can hold the abbreviation; ``pos`` keeps the word
            # boundary before it exact (the regex still sees the character before).
            if _ABBREV.search(chunk, max(0, len(chunk) - ABBREV_TAIL)):
                continue
        _add(out, text, start, m.start(), para)
        if "\n" in m.group(0):
            para += 1
        start = m.end()
    _add(out, text, start, len(text), para)
    return out


def _add(out: list[Sentence], text: str, start: int, end: int, para: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(text[start:end], start, end, para))
