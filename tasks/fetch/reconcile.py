"""After a live batch is coded: each page's final outcome, the feeds' cursors, the counts.

Reading a page gives a provisional `stored` record; only after the store
step's look-up and the coder is it known whether the text was stored
already (`duplicate_content`) or the coder failed on it (`extract_failed`).
Plain functions over records, so the flow reads as a list of steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.models import Article, BatchCounts, ExtractedArticle, Rejection
from tasks.records import FeedUpdate, FetchRecord, is_transient


@dataclass(slots=True)
class LinkTally:
    """One feed's (or the URL list's) links in a batch, for its summary row."""

    fetched: int = 0
    counts: BatchCounts = field(default_factory=BatchCounts)


def settle_page_outcomes(
    read: list[tuple[Article, FetchRecord]],
    fresh: list[Article],
    extracted: list[ExtractedArticle],
    coder_failures: list[Rejection],
) -> None:
    """Give each read page's provisional `stored` record its real outcome, in place.

    A text stored already (or twice in the batch) is `duplicate_content`; one the
    coder failed on is `extract_failed`, with the coder's reason.
    """
    new_ids = {a.article_id for a in fresh}
    coded = {x.article.article_id for x in extracted}
    failures = iter(coder_failures)
    seen: set[str] = set()
    for article, record in read:
        if article.article_id not in new_ids or article.article_id in seen:
            record.outcome, record.detail = "duplicate_content", "text stored already"
        elif article.article_id not in coded:
            failure = next(failures, None)
            record.outcome = "extract_failed"
            record.detail = failure.detail if failure else "the event coder failed"
        seen.add(article.article_id)


def hold_cursors(updates: list[FeedUpdate], page_records: list[FetchRecord]) -> None:
    """A feed whose pages failed for now keeps its old cursor, to list them again next time."""
    retry = {r.feed_url for r in page_records if is_transient(r)}
    for update in updates:
        if update.feed_url in retry:
            update.move_cursor = False


def link_counts(
    links: int,
    skipped: dict[str | None, int],
    read: int,
    fresh: int,
    stored: BatchCounts,
    page_records: list[FetchRecord],
) -> BatchCounts:
    """A live batch's totals: every link is a would-be article, new, duplicate or rejected.

    Duplicates are known links (`skipped`), texts found stored before coding
    (`read - fresh`) and texts the writer found stored.
    """
    return BatchCounts(
        articles_seen=links,
        articles_new=stored.articles_new,
        articles_duplicate=sum(skipped.values()) + read - fresh + stored.articles_duplicate,
        articles_rejected=sum(r.failed for r in page_records),
        events_stored=stored.events_stored,
    )


def tally_links(
    page_records: list[FetchRecord],
    skipped: dict[str | None, int],
    extracted: list[ExtractedArticle],
    by_feed: bool,
) -> dict[Any, LinkTally]:
    """Per feed (or, for a URL list, under None): links fetched, new, duplicate, rejected."""
    events = {x.article.article_id: len(x.events) for x in extracted}
    tallies: dict[Any, LinkTally] = {}

    def tally(feed_url: str | None) -> LinkTally:
        return tallies.setdefault(feed_url if by_feed else None, LinkTally())

    for feed_url, n in skipped.items():
        tally(feed_url).counts += BatchCounts(articles_seen=n, articles_duplicate=n)
    for record in page_records:
        t = tally(record.feed_url)
        t.fetched += record.bytes is not None
        if record.outcome == "stored":
            n_events = events.get(record.article_id or "", 0)
            t.counts += BatchCounts(articles_seen=1, articles_new=1, events_stored=n_events)
        elif record.outcome == "duplicate_content":  # known links are in `skipped`
            t.counts += BatchCounts(articles_seen=1, articles_duplicate=1)
        elif record.failed:
            t.counts += BatchCounts(articles_seen=1, articles_rejected=1)
    return tallies
