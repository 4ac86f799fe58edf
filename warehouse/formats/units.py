"""What the GDELT and PLOVER exports derive from a unit's reports (`rows.read_units`):
the precision of its place, the number of a sentence, where the coder's evidence starts.
"""

from __future__ import annotations

import json
import re

from warehouse.formats.rows import Row, Unit


def place_precision(unit: Unit) -> str:
    """How precise the unit's place is (point, admin1, country): the precision of the
    first report that gives the unit's place and says (an event's is its own report's);
    when none says, guessed from which names the place has.

    The incident row's `geo_precision` (ACLED's and our tables') is the best precision
    among those reports instead: the two differ only when reports of one place disagree
    on its precision, or none gives one. Kept apart so each export stays as it was."""
    row = unit.row
    place = ("country", "admin1", "location")
    for report in unit.reports:
        if all(report[k] == row[k] for k in place) and report["geo_precision"]:
            return str(report["geo_precision"])
    if row.get("location") and row["location"] != row.get("admin1"):
        return "point"
    return "admin1" if row.get("admin1") else "country"


# A sentence ends at . ! or ? (with any closing quotes or brackets) before white space, or
# at a line break. Abbreviations ("U.S. forces") count as ends too: sentence numbers are
# approximate, as GDELT's own are.
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+|\n+")


def sentence_number(text: str | None, offset: int | None) -> int | None:
    """The 1-based number of the sentence holding character `offset` of `text`."""
    if text is None or offset is None:
        return None
    return 1 + sum(1 for m in _SENTENCE_END.finditer(text, 0, max(0, offset)))


def evidence_offset(report: Row, field: str) -> int | None:
    """Where in the article the words that set `field` start (the coder's evidence), or None
    when the coder kept none."""
    raw = report.get("evidence")
    try:
        evidence = json.loads(raw) if isinstance(raw, str) else (raw or {})
        start = str(evidence[f"{field}_span"]).split(":")[0]
        return int(start)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
