"""Records of live sources: a `fetch_log` row per URL tried, a `feeds` row per feed.

Bad input is data: a timeout, a 404, an oversized body or a page with no
text is a `FetchRecord` with an outcome from a closed vocabulary (mirrored
by the CHECK constraint of `fetch_log.outcome`) and a one-line detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tasks.text import storable

FetchKind = Literal["feed", "page", "robots"]

FetchOutcome = Literal[
    # success
    "fetched",  # a feed fetched and parsed, its entries used
    "fetched_bozo",  # a malformed feed whose entries were usable, so used
    "not_modified",  # 304 to a conditional GET: nothing new
    "stored",  # a page that became a new article
    "duplicate_url",  # a page whose canonical URL is known: not fetched again
    "duplicate_content",  # a page whose text is stored already (from another URL)
    # the request
    "bad_url",
    "bad_config",
    "blocked_address",  # an address the SSRF guard refuses
    "dns_error",  # a host name that does not resolve: tried again next run
    "robots_disallowed",
    "timeout",
    "connection_error",
    "tls_error",  # a certificate that does not verify: never retried, never downgraded
    "too_many_redirects",
    "client_error",
    "rate_limited",
    "server_error",
    "budget_exceeded",  # not fetched: the host's or the run's fetch budget was spent
    # the body
    "too_large",
    "bad_content_type",
    "bad_encoding",
    "bad_feed",
    "no_link",
    "no_text",
    "bad_html",
    "extract_failed",
]

# Failures the client tries again within one fetch, after a backoff.
RETRIED_OUTCOMES: frozenset[FetchOutcome] = frozenset(
    {"timeout", "connection_error", "rate_limited", "server_error"}
)
# Failures worth trying again on a later run; while a feed's entries had one,
# its conditional-GET cursor is held back so the next poll sees them again.
# A name that does not resolve is not retried at once (the resolver has retried
# already, and offline every retry costs its timeout again); a spent budget
# would only be spent again.
TRANSIENT_OUTCOMES: frozenset[FetchOutcome] = RETRIED_OUTCOMES | {"dns_error", "budget_exceeded"}
# A robots.txt that could not be read (5xx, unreachable) disallows the host for now,
# not for good: the page is refused with this in its detail, and tried again later.
ROBOTS_UNAVAILABLE = "robots.txt unavailable"


def is_transient(record: FetchRecord) -> bool:
    """A failure worth trying again next run (so its feed's cursor must not move past it)."""
    if record.outcome in TRANSIENT_OUTCOMES:
        return True
    return record.outcome == "robots_disallowed" and ROBOTS_UNAVAILABLE in (record.detail or "")


# Page outcomes after which the URL is never fetched again.
SETTLED_OUTCOMES: frozenset[FetchOutcome] = frozenset(
    {"stored", "duplicate_content", "no_text", "bad_html", "bad_content_type", "too_large"}
)
# Outcomes that are no failure (every other one counts as a rejected link).
SUCCESS_OUTCOMES: frozenset[FetchOutcome] = frozenset(
    {"fetched", "fetched_bozo", "not_modified", "stored", "duplicate_url", "duplicate_content"}
)
# A detail longer than this is cut: it is one line for a human, not a dump.
MAX_DETAIL_CHARS = 300


def one_line(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """Collapse white space and cut to `limit` characters (storable as UTF-8)."""
    flat = " ".join(storable(str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(slots=True)
class FetchRecord:
    """One URL tried (or passed over), and what came of it: a `fetch_log` row."""

    kind: FetchKind
    url: str
    outcome: FetchOutcome
    detail: str = ""
    feed_url: str | None = None
    canonical_url: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    attempts: int = 0
    bytes: int | None = None
    article_id: str | None = None

    def __post_init__(self) -> None:
        self.detail = one_line(self.detail)
        self.url = storable(self.url)
        if self.feed_url is not None:
            self.feed_url = storable(self.feed_url)

    @property
    def failed(self) -> bool:
        return self.outcome not in SUCCESS_OUTCOMES


@dataclass(slots=True)
class FeedUpdate:
    """A feed's new state after a poll: a `feeds` row, written with the batch it covers.

    The cursor moves to `etag`/`last_modified` when `move_cursor` is set (every
    entry was dealt with), else it stays at the `held_` values it had.
    """

    feed_url: str
    name: str | None
    status: FetchOutcome
    http_status: int | None
    polled_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    held_etag: str | None = None
    held_last_modified: str | None = None
    move_cursor: bool = True
    bozo: bool = False
    bozo_reason: str | None = None
    entries: int = 0
