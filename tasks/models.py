"""Records passed between stages: articles, rejections, events, and what a batch did.

Plain dataclasses, so every stage is a pure function over them and the
Prefect wrappers only move lists of these between steps.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

SourceKind = Literal["file", "feed", "url"]

PloverType = Literal[
    "AGREE",
    "CONSULT",
    "SUPPORT",
    "CONCEDE",
    "COOPERATE",
    "AID",
    "RETREAT",
    "REQUEST",
    "ACCUSE",
    "REJECT",
    "THREATEN",
    "PROTEST",
    "SANCTION",
    "MOBILIZE",
    "COERCE",
    "ASSAULT",
]
ActorType = Literal[
    "state_forces",
    "government",
    "rebel_group",
    "political_militia",
    "identity_militia",
    "rioters",
    "protesters",
    "civilians",
    "external_other",
]
DatePrecision = Literal["day", "month", "year", "relative", "unknown"]
GeoPrecision = Literal["point", "admin1", "country", "unknown"]
RejectReason = Literal[
    "missing",
    "unknown_extension",
    "too_large",
    "unreadable",
    "empty",
    "binary",
    "not_utf8",
    "bad_metadata",
    "bad_json",
    "bad_html",
    "no_text",
    "extract_failed",
]

# ACLED's six event types and their 25 sub-event types (ACLED codebook).
ACLED_SUB_EVENT_TYPES: dict[str, frozenset[str]] = {
    "Battles": frozenset(
        {
            "Armed clash",
            "Government regains territory",
            "Non-state actor overtakes territory",
        }
    ),
    "Explosions/Remote violence": frozenset(
        {
            "Chemical weapon",
            "Air/drone strike",
            "Suicide bomb",
            "Shelling/artillery/missile attack",
            "Remote explosive/landmine/IED",
            "Grenade",
        }
    ),
    "Violence against civilians": frozenset(
        {
            "Sexual violence",
            "Attack",
            "Abduction/forced disappearance",
        }
    ),
    "Protests": frozenset(
        {
            "Peaceful protest",
            "Protest with intervention",
            "Excessive force against protesters",
        }
    ),
    "Riots": frozenset({"Violent demonstration", "Mob violence"}),
    "Strategic developments": frozenset(
        {
            "Agreement",
            "Arrests",
            "Change to group/activity",
            "Disrupted weapons use",
            "Headquarters or base established",
            "Looting/property destruction",
            "Non-violent transfer of territory",
            "Other",
        }
    ),
}


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of UTF-8 text: the base of every deterministic id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Article:
    """One cleaned article, ready for extraction and storage."""

    source_kind: SourceKind
    source: str  # file path, feed URL or page URL the article came from
    text: str
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    content_sha256: str = ""
    article_id: str = ""
    # Live sources: who wrote it, the site's name, the URL as dedup sees it.
    author: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    # SHA-256 of the input as read (bytes and metadata), so a re-run skips a
    # stored input before parsing it again (parsing HTML is the costly step).
    raw_sha256: str | None = None

    def __post_init__(self) -> None:
        if not self.content_sha256:
            self.content_sha256 = sha256_hex(self.text)
        if not self.article_id:
            # Content-addressed: the same text from any source is one article.
            self.article_id = self.content_sha256[:32]

    @property
    def published_date(self) -> date | None:
        return self.published_at.date() if self.published_at else None


@dataclass(slots=True)
class Rejection:
    """An input that could not become an article, and why (bad input is data)."""

    source: str
    reason: RejectReason
    detail: str = ""
    # The input's raw hash when its content was read and judged (see Article.raw_sha256).
    raw_sha256: str | None = None


@dataclass(slots=True)
class Event:
    """One coded event: the fields of ../shared/eval/SCHEMA.md plus provenance."""

    event_type: PloverType
    acled_event_type: str | None = None
    acled_sub_event_type: str | None = None
    actor1: str | None = None
    actor1_country: str | None = None
    actor1_type: ActorType | None = None
    actor2: str | None = None
    actor2_country: str | None = None
    actor2_type: ActorType | None = None
    country: str | None = None
    admin1: str | None = None
    location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    event_date: date | None = None
    fatalities: int | None = None
    event_mode: str | None = None
    cameo_code: str | None = None
    date_text: str | None = None
    date_precision: DatePrecision | None = None
    geo_precision: GeoPrecision | None = None
    sentence: str | None = None
    char_start: int | None = None
    char_end: int | None = None
    confidence: float | None = None
    # One name per actor across events and articles, ACLED's way ("Military Forces of
    # Pakistan", "Tehrik-i-Taliban Pakistan", "Protesters (Kenya)"), beside the text's own
    # wording in actor1/actor2 (tasks/extract/canonical.py).
    actor1_canonical: str | None = None
    actor2_canonical: str | None = None
    # Which words set which field (field -> text span): stored as JSON in
    # events.evidence, shown by `eventpipe explain`.
    evidence: dict[str, str] = field(default_factory=dict)

    SCORED = (
        "event_type",
        "acled_event_type",
        "acled_sub_event_type",
        "actor1",
        "actor1_country",
        "actor1_type",
        "actor2",
        "actor2_country",
        "actor2_type",
        "country",
        "admin1",
        "location",
        "latitude",
        "longitude",
        "event_date",
        "fatalities",
    )

    # Beside the scored fields in the scorer's format (the scorer ignores them), but not
    # part of an event's id: naming an actor differently does not make another event.
    CANONICAL = ("actor1_canonical", "actor2_canonical")

    def schema_dict(self) -> dict[str, Any]:
        """The event in the scorer's format (dates as ISO strings), with its actors'
        canonical names."""
        out = self._scored_dict()
        out.update((name, getattr(self, name)) for name in self.CANONICAL)
        return out

    def _scored_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.SCORED}
        if self.event_date is not None:
            out["event_date"] = self.event_date.isoformat()
        return out

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("evidence")
        return out

    def problems(self) -> list[str]:
        """Values outside the closed vocabularies (an empty list for a valid event)."""
        found = []
        if self.event_type not in get_args(PloverType):
            found.append(f"event_type {self.event_type!r} is not a PLOVER type")
        for name in ("actor1_type", "actor2_type"):
            value = getattr(self, name)
            if value is not None and value not in get_args(ActorType):
                found.append(f"{name} {value!r} is not an actor type")
        acled, sub = self.acled_event_type, self.acled_sub_event_type
        if acled is not None and acled not in ACLED_SUB_EVENT_TYPES:
            found.append(f"acled_event_type {acled!r} is not an ACLED event type")
        elif sub is not None and (acled is None or sub not in ACLED_SUB_EVENT_TYPES[acled]):
            found.append(f"acled_sub_event_type {sub!r} does not belong to {acled!r}")
        if self.date_precision is not None and self.date_precision not in get_args(DatePrecision):
            found.append(f"date_precision {self.date_precision!r} is not a date precision")
        if self.geo_precision is not None and self.geo_precision not in get_args(GeoPrecision):
            found.append(f"geo_precision {self.geo_precision!r} is not a geo precision")
        if self.fatalities is not None and self.fatalities < 0:
            found.append(f"fatalities {self.fatalities} is negative")
        return found

    def event_id(self, article_id: str, extractor_version: str) -> str:
        """Deterministic id from the article, the coder version and the event's content.

        The version is part of the id so that re-coding an article with a new
        coder appends a whole new coding beside the old one.
        """
        key = self._scored_dict()
        key.update(
            article_id=article_id,
            event_mode=self.event_mode,
            char_start=self.char_start,
            extractor_version=extractor_version,
        )
        return sha256_hex(json.dumps(key, sort_keys=True, default=str))[:32]


# How a coding stopped short: the text was cut at the coder's cap, or coding ran
# past its time budget (the article is stored without events).
CodingFlag = Literal["truncated", "coding_timeout"]


@dataclass(slots=True)
class ExtractedArticle:
    """An article with the events the coder found in it, ready to store."""

    article: Article
    events: list[Event]
    extractor_version: str
    coded_chars: int | None = None  # characters of the text the coder read
    flag: CodingFlag | None = None


@dataclass(slots=True)
class BatchCounts:
    """What one batch (or a whole run, summed) did: the `runs` table's count columns."""

    articles_seen: int = 0
    articles_new: int = 0
    articles_duplicate: int = 0
    articles_rejected: int = 0
    events_stored: int = 0

    def __add__(self, other: BatchCounts) -> BatchCounts:
        return BatchCounts(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, ...]:
        return tuple(asdict(self).values())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the warehouse remembers of a feed: its cursor and when it was last polled."""

    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None
    last_outcome: str | None = None  # how the last poll went (a fetch_log outcome)
