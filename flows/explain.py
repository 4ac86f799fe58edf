"""`eventpipe explain`: each event of one article with the words that set each field.

An article is named by a file (coded now, nothing stored) or by its id in the
warehouse (its stored events with the evidence kept when they were coded).
The lookup and the rendering are separate, so both are tested on their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tasks.errors import EventpipeError, UsageError
from tasks.models import Event

# An id prefix shorter than this matches too many articles to be meant as one.
MIN_ID_PREFIX = 6

# What the table shows: a label, the fields it joins, the evidence key that set them.
FIELD_GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("event", ("event_type", "event_mode", "cameo_code"), "event_type"),
    ("ACLED", ("acled_event_type", "acled_sub_event_type"), "event_type"),
    ("actor 1", ("actor1", "actor1_canonical", "actor1_country", "actor1_type"), "actor1"),
    ("actor 2", ("actor2", "actor2_canonical", "actor2_country", "actor2_type"), "actor2"),
    ("place", ("location", "admin1", "country", "geo_precision"), "location"),
    ("coordinates", ("latitude", "longitude"), "location"),
    ("date", ("event_date", "date_precision", "date_text"), "event_date"),
    ("killed", ("fatalities",), "fatalities"),
)


# Evidence keys ending so hold character offsets for tools ("68:77"): not for a reader.
SPAN_SUFFIX = "_span"


def _readable(evidence: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in evidence.items() if not k.endswith(SPAN_SUFFIX)}


@dataclass(slots=True)
class ExplainedEvent:
    """One event's values, its sentence and the evidence behind its fields."""

    values: dict[str, Any]
    evidence: dict[str, Any]
    sentence: str
    char_start: int | None
    char_end: int | None
    confidence: float | None
    incident: dict[str, Any] | None = None  # stored events: the incident it joined, and why


@dataclass(slots=True)
class Explanation:
    """An article and its events, as stored or as coded now."""

    article_id: str
    source: str
    extractor_version: str
    stored: bool
    events: list[ExplainedEvent] = field(default_factory=list)
    note: str = ""


def from_event(event: Event) -> ExplainedEvent:
    values = event.as_dict()
    return ExplainedEvent(
        values=values,
        evidence=_readable(event.evidence),
        sentence=event.sentence or "",
        char_start=event.char_start,
        char_end=event.char_end,
        confidence=event.confidence,
    )


def explain_file(path: Path) -> Explanation:
    """Load, clean and code one file now, storing nothing (a JSONL file: its first article)."""
    from tasks import clean, coding, load
    from tasks.extract import EXTRACTOR_VERSION

    docs, rejected = load.load_paths([path])
    articles, unclean = clean.clean_docs(docs)
    rejected += unclean
    if not articles:
        reason = rejected[0].detail if rejected else "no article in it"
        raise EventpipeError(f"cannot explain {path}: {reason}")
    coded, failed = coding.code_articles(articles[:1])
    if failed:
        raise EventpipeError(f"cannot explain {path}: {failed[0].detail}")
    item = coded[0]
    many = len(articles) > 1
    note = f"{len(articles)} articles in the file; explaining the first" if many else ""
    return Explanation(
        article_id=item.article.article_id,
        source=str(path),
        extractor_version=EXTRACTOR_VERSION,
        stored=False,
        events=[from_event(e) for e in item.events],
        note=note,
    )


def explain_stored(article_id: str, db: str | None) -> Explanation:
    """The stored events of the article whose id is (or starts with) `article_id`."""
    from warehouse import reads

    if len(article_id) < MIN_ID_PREFIX:
        raise UsageError(
            f"{article_id!r} is neither a file nor an article id (ids have 32 hex digits;"
            f" give at least {MIN_ID_PREFIX})"
        )
    found = reads.articles_by_prefix(db, article_id, limit=2)
    if not found:
        raise EventpipeError(f"no file and no stored article with id {article_id!r}")
    if len(found) > 1:
        raise UsageError(f"article id prefix {article_id!r} matches several articles")
    full_id, source = found[0]["article_id"], found[0]["source"]
    events = []
    versions = set()
    incidents = reads.event_incidents(db, full_id)
    for row in reads.article_events(db, full_id):
        versions.add(row["extractor_version"])
        raw = row.pop("evidence", None)
        evidence = json.loads(raw) if isinstance(raw, str) else (raw or {})
        events.append(
            ExplainedEvent(
                values=row,
                evidence=_readable(evidence),
                sentence=row.get("sentence") or "",
                char_start=row.get("char_start"),
                char_end=row.get("char_end"),
                confidence=row.get("confidence"),
                incident=incidents.get(row["event_id"]),
            )
        )
    # An article the coder found nothing in still has its coding: say which coder.
    versions.update(reads.article_codings(db, full_id))
    note = ""
    if events and not any(e.evidence for e in events):
        note = "stored before evidence was kept: values shown without the words that set them"
    return Explanation(
        article_id=full_id,
        source=source,
        extractor_version=", ".join(sorted(versions)) or "-",
        stored=True,
        events=events,
        note=note,
    )


def explain(target: str, db: str | None) -> Explanation:
    """A file path is coded now; anything else is looked up as a stored article id."""
    path = Path(target)
    if path.exists():
        return explain_file(path)
    return explain_stored(target, db)


def render(explanation: Explanation) -> list[RenderableType]:
    """Rich renderables: a header, then per event its sentence and a field table."""
    x = explanation
    how = "stored events" if x.stored else "coded now, not stored"
    header = Text(
        f"article {x.article_id} ({how}; coder {x.extractor_version})\nsource: {x.source}\n"
        f"{len(x.events)} event(s)"
    )
    parts: list[RenderableType] = [header]
    if x.note:
        parts.append(Text(f"note: {x.note}", style="yellow"))
    for index, event in enumerate(x.events, start=1):
        parts.append(_render_event(index, len(x.events), event))
    return parts


def _render_event(index: int, total: int, event: ExplainedEvent) -> RenderableType:
    v = event.values
    confidence = "-" if event.confidence is None else f"{event.confidence:.2f}"
    span = "" if event.char_start is None else f" chars {event.char_start}-{event.char_end}"
    title = Text(
        f"\nevent {index}/{total}: {v.get('event_type')}"
        f" / {v.get('acled_sub_event_type') or '-'}  (confidence {confidence}{span})",
        style="bold",
    )
    sentence = highlight(event.sentence, event.evidence)
    table = Table(show_header=True, show_lines=False, box=None, pad_edge=False)
    for name in ("field", "value", "set by"):
        table.add_column(Text(name), overflow="fold")
    used: set[str] = set()
    for label, names, key in FIELD_GROUPS:
        value = "; ".join(f"{n}={_fmt(v.get(n))}" for n in names if v.get(n) is not None)
        keys = [k for k in event.evidence if k == key or k in names]
        # Words already shown for an earlier row explain nothing new on an empty one.
        if not value and set(keys) <= used:
            continue
        used.update(keys)
        words = " | ".join(str(event.evidence[k]) for k in keys)
        if value or words:
            table.add_row(Text(label), Text(value or "-"), _words(words, event.sentence))
    for key in event.evidence:
        if key not in used:
            table.add_row(Text(key), Text("-"), _words(str(event.evidence[key]), event.sentence))
    if event.incident is not None:
        i = event.incident
        joined = (
            "its first report"
            if i["link_reason"] == "new"
            else f"joined because: {i['link_reason']}"
        )
        table.add_row(
            Text("incident"),
            Text(f"{i['incident_id']} ({i['reports']} report(s))"),
            Text(joined),
        )
    return Group(title, Text.assemble("  ", sentence), table)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _words(words: str, sentence: str) -> Text:
    """The evidence words, marked when they come from outside the event's sentence."""
    if not words:
        return Text("(no words recorded)", style="dim")
    if sentence and all(part in sentence for part in words.split(" | ")):
        return Text(f"“{words}”")
    return Text(f"“{words}” (from the article's context)")


def highlight(sentence: str, evidence: dict[str, Any]) -> Text:
    """The sentence with each evidence span that occurs in it underlined."""
    text = Text(sentence)
    for value in evidence.values():
        needle = str(value)
        start = sentence.find(needle) if needle else -1
        if start >= 0:
            text.stylize("bold underline", start, start + len(needle))
    return text
