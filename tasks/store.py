"""Store stage: records to warehouse rows, written as one batch.

Plain functions over the stages' records (articles, events, rejections,
fetch records, feed cursors); the SQL and the transaction are the
warehouse's (`warehouse.writer`). The row builders fill exactly the
columns of `warehouse.schema` less those the writer stamps (a test checks).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, Literal

from tasks import neardup
from tasks.link import LinkSettings, load_settings, plan_links
from tasks.models import Article, BatchCounts, Event, ExtractedArticle, Rejection, RejectReason
from tasks.records import FeedUpdate, FetchRecord
from warehouse import Batch, open_warehouse
from warehouse.writer import Linking

Row = dict[str, Any]
# What became of an input: the article it was stored as, a duplicate of a stored
# text, or refused for its content (warehouse table `settled_inputs`).
SettledOutcome = Literal["stored", "duplicate", "rejected"]

# Rejections that the input's bytes alone decide (a page with no article text):
# the same input is not parsed again. Not parser crashes (`bad_html`: a fixed
# trafilatura may read it) nor coder failures, which a new coder may fix.
SETTLED_REJECTIONS: tuple[RejectReason, ...] = ("no_text", "empty", "bad_metadata")


def article_row(article: Article) -> Row:
    return {
        "article_id": article.article_id,
        "source_kind": article.source_kind,
        "source": article.source,
        "url": article.url,
        "title": article.title,
        "published_at": article.published_at,
        "text": article.text,
        "content_sha256": article.content_sha256,
        "language": article.language,
        "author": article.author,
        "site_name": article.site_name,
        "canonical_url": article.canonical_url,
        "raw_sha256": article.raw_sha256,
    }


def event_row(event: Event, item: ExtractedArticle) -> Row:
    row = event.as_dict()
    row.update(
        event_id=event.event_id(item.article.article_id, item.extractor_version),
        article_id=item.article.article_id,
        extractor_version=item.extractor_version,
        evidence=json.dumps(event.evidence, ensure_ascii=False) if event.evidence else None,
    )
    return row


def coding_row(item: ExtractedArticle) -> Row:
    return {
        "article_id": item.article.article_id,
        "extractor_version": item.extractor_version,
        "events": len(item.events),
        "coded_chars": item.coded_chars,
        "flag": item.flag,
    }


def minhash_row(article: Article, signature: neardup.Signature) -> Row:
    return {"article_id": article.article_id, "minhash": signature.minhash}


def band_rows(article: Article, signature: neardup.Signature) -> list[Row]:
    return [{"band": band, "article_id": article.article_id} for band in signature.bands]


def rejection_row(rejection: Rejection) -> Row:
    return {
        "source": rejection.source,
        "reason": rejection.reason,
        "detail": rejection.detail,
        "raw_sha256": rejection.raw_sha256,
    }


def settled_row(
    source: str,
    raw_sha256: str,
    outcome: SettledOutcome,
    article_id: str | None = None,
    reason: RejectReason | None = None,
) -> Row:
    return {
        "raw_sha256": raw_sha256,
        "outcome": outcome,
        "article_id": article_id,
        "reason": reason,
        "source": source,
    }


def settled_rows(
    kept: Iterable[Article],
    duplicates: Iterable[Article],
    rejections: Iterable[Rejection],
) -> list[Row]:
    """A row per input the batch settles (those read with a raw hash).

    `kept` became articles, `duplicates` repeat a stored text (or one earlier in
    the batch), and rejections settle when their reason is one of SETTLED_REJECTIONS.
    """
    rows = [
        settled_row(a.source, a.raw_sha256, "stored", a.article_id) for a in kept if a.raw_sha256
    ]
    rows += [
        settled_row(a.source, a.raw_sha256, "duplicate", a.article_id)
        for a in duplicates
        if a.raw_sha256
    ]
    rows += [
        settled_row(r.source, r.raw_sha256, "rejected", reason=r.reason)
        for r in rejections
        if r.raw_sha256 and r.reason in SETTLED_REJECTIONS
    ]
    return rows


def fetch_log_row(record: FetchRecord) -> Row:
    return {
        "kind": record.kind,
        "url": record.url,
        "canonical_url": record.canonical_url,
        "feed_url": record.feed_url,
        "final_url": record.final_url,
        "outcome": record.outcome,
        "http_status": record.http_status,
        "detail": record.detail,
        "attempts": record.attempts,
        "bytes": record.bytes,
        "article_id": record.article_id,
    }


def feed_row(update: FeedUpdate) -> Row:
    return {
        "feed_url": update.feed_url,
        "name": update.name,
        # A held cursor is written back as it was, so the next poll asks for it all again.
        "etag": update.etag if update.move_cursor else update.held_etag,
        "last_modified": update.last_modified if update.move_cursor else update.held_last_modified,
        "last_polled_at": update.polled_at,
        "last_outcome": update.status,
        "last_status": update.http_status,
        "bozo": update.bozo,
        "bozo_reason": update.bozo_reason,
        "entries": update.entries,
    }


def batch_rows(
    extracted: Iterable[ExtractedArticle],
    rejections: Iterable[Rejection] = (),
    records: Iterable[FetchRecord] = (),
    feeds: Iterable[FeedUpdate] = (),
    duplicates: Iterable[Article] = (),
) -> tuple[Batch, int]:
    """The rows of one batch, and how many of its articles repeat an earlier one in it.

    The first of several articles with one id (the same text twice in a batch)
    is kept, with its events; the others, like `duplicates` (articles whose text
    the warehouse holds), are settled inputs only.
    """
    first: dict[str, ExtractedArticle] = {}
    items = list(extracted)
    repeats: list[Article] = []
    for item in items:
        if item.article.article_id in first:
            repeats.append(item.article)
        else:
            first[item.article.article_id] = item
    kept = list(first.values())
    refused = list(rejections)
    signatures = [neardup.signature(x.article.text) for x in kept]
    batch = Batch(
        articles=[article_row(x.article) for x in kept],
        events=[event_row(e, x) for x in kept for e in x.events],
        codings=[coding_row(x) for x in kept],
        rejections=[rejection_row(r) for r in refused],
        fetch_log=[fetch_log_row(r) for r in records],
        feeds=[feed_row(f) for f in feeds],
        settled=settled_rows([x.article for x in kept], [*repeats, *duplicates], refused),
        article_minhash=[minhash_row(x.article, s) for x, s in zip(kept, signatures, strict=True)],
        article_bands=[
            row for x, s in zip(kept, signatures, strict=True) for row in band_rows(x.article, s)
        ],
    )
    return batch, len(repeats)


def store_batch(
    db: str | Path,
    run_id: str,
    extracted: Iterable[ExtractedArticle],
    rejections: Iterable[Rejection] = (),
    records: Iterable[FetchRecord] = (),
    feeds: Iterable[FeedUpdate] = (),
    duplicates: Iterable[Article] = (),
    settings: LinkSettings | None = None,
) -> BatchCounts:
    """Write one batch in one transaction: all of it, or (on any error) none of it.

    Live sources add their fetch log rows and feed cursors, so a feed's cursor
    moves in the same transaction as the articles and events it covers.
    `duplicates` (articles whose text was stored already, skipped before coding)
    are counted, and their inputs remembered so that no re-run parses them again.
    An article repeating a stored article's text (`tasks/neardup.py`) is a duplicate.
    `settings` link as given (a Dask worker gets the flow process's), else the config's.
    """
    known = list(duplicates)
    batch, repeats = batch_rows(extracted, rejections, records, feeds, known)
    warehouse = open_warehouse(db)
    written = warehouse.write_batch(run_id, batch, linking(settings), neardup.near_duplicates)
    counts = BatchCounts(**written)
    skipped = repeats + len(known)
    return counts + BatchCounts(articles_seen=skipped, articles_duplicate=skipped)


def store_recoded(db: str | Path, run_id: str, recoded: Iterable[ExtractedArticle]) -> BatchCounts:
    """Append a new coding of stored articles (their events and coding rows), one transaction."""
    items = list(recoded)
    batch = Batch(
        events=[event_row(e, x) for x in items for e in x.events],
        codings=[coding_row(x) for x in items],
    )
    return BatchCounts(**open_warehouse(db).write_recoding(run_id, batch, linking()))


def linking(settings: LinkSettings | None = None) -> Linking:
    """How the writer links a batch's events to incidents (`tasks/link.py`'s rules, with
    the config file's `[incidents]` settings unless given). The linker joins a report
    to an incident only through a report within `date_slack_days` of its day (or
    undated), so the warehouse hands it only the incidents holding one."""
    chosen = load_settings() if settings is None else settings
    return Linking(
        partial(plan_links, s=chosen), chosen.window_days, near_days=chosen.date_slack_days
    )


def delete_orphaned_files(db: str | Path) -> list[str]:
    """On a DuckLake, the data files no commit references (a killed writer's), once a day
    old, deleted; their paths. A DuckDB file has none."""
    return open_warehouse(db).delete_orphaned_files()


def count_stale(db: str | Path, extractor_version: str) -> int:
    """How many stored articles a re-coding to `extractor_version` would code again."""
    return open_warehouse(db).count_stale(extractor_version)


def stale_articles(
    db: str | Path, extractor_version: str, after: str = "", limit: int = 200
) -> list[Article]:
    """Stored articles whose latest coding is by another coder version, in id order."""
    fields = list(Article.__dataclass_fields__)
    rows = open_warehouse(db).stale_articles(fields, extractor_version, after, limit)
    return [Article(**row) for row in rows]
