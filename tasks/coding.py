"""Extract stage over a batch: code each article, isolating failures.

A crash of the coder on one article rejects that article (so a later run
with a fixed coder picks it up again), never the batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from tasks.extract import EXTRACTOR_VERSION, extract_events
from tasks.models import Article, ExtractedArticle, Rejection


def code_articles(articles: Iterable[Article]) -> tuple[list[ExtractedArticle], list[Rejection]]:
    """Events for each article, with the coder version that produced them."""
    coded: list[ExtractedArticle] = []
    failed: list[Rejection] = []
    for article in articles:
        try:
            events = extract_events(article.text, article.published_date, article.title)
        except Exception as exc:  # a coder bug on odd text is data about that article
            failed.append(
                Rejection(
                    article.source,
                    "extract_failed",
                    f"{article.source}: the event coder failed ({type(exc).__name__}: {exc})",
                )
            )
            continue
        invalid = [p for e in events for p in e.problems()]
        if invalid:  # the warehouse holds closed vocabularies only
            failed.append(
                Rejection(
                    article.source,
                    "extract_failed",
                    f"{article.source}: the event coder produced an invalid event ({invalid[0]})",
                )
            )
            continue
        coded.append(ExtractedArticle(article, events, EXTRACTOR_VERSION))
    return coded, failed
