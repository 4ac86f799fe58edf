"""Extract stage over a batch: code each article, isolating failures, within bounds.

A crash of the coder on one article rejects that article (so a later run
with a fixed coder picks it up again), never the batch. No article holds the
run: its text is coded up to `MAX_CODED_CHARS` (the cut recorded), and coding
that runs past its time budget stores the article without events, flagged.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable

from tasks.extract import EXTRACTOR_VERSION, CodingTimeout, extract_events
from tasks.extract.rules import RulesError
from tasks.models import Article, CodingFlag, ExtractedArticle, Rejection

# Characters of an article the coder reads. News stories run to a few thousand
# characters and long reads to about 50,000; past 200,000 a "text" is a dump (a
# live blog, a transcript, a scraped listing) whose tail is cut rather than
# coded: at about 6 s per MB on these machines, the cap codes in one or two
# seconds, so no single input holds a worker for long.
MAX_CODED_CHARS = 200_000
# Seconds one article may take to code. The cap above codes in 1-2 s, so this is
# reached only by a pathological text or a stalled machine; the article is then
# stored with its coding flagged `coding_timeout`, and the run goes on.
CODING_BUDGET_S = 30.0
BUDGET_ENV = "EVENTPIPE_CODING_BUDGET"  # seconds, to change the budget
# Where a cut may fall: after a sentence's end or at a paragraph break.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s|\n")


def coding_budget_s() -> float:
    """The per-article budget: $EVENTPIPE_CODING_BUDGET seconds, else the default."""
    raw = os.environ.get(BUDGET_ENV, "").strip()
    try:
        value = float(raw) if raw else CODING_BUDGET_S
    except ValueError:
        value = CODING_BUDGET_S
    return value if value > 0 else CODING_BUDGET_S


def coded_text(text: str, limit: int | None = None) -> str:
    """The part of `text` the coder reads: all of it, or up to the last sentence end
    before `limit` (default `MAX_CODED_CHARS`; `limit` itself when no sentence ends
    in its second half)."""
    limit = MAX_CODED_CHARS if limit is None else limit
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, limit // 2, limit)]
    return text[: ends[-1] if ends else limit]


def code_articles(articles: Iterable[Article]) -> tuple[list[ExtractedArticle], list[Rejection]]:
    """Events for each article, with the coder version that produced them."""
    coded: list[ExtractedArticle] = []
    failed: list[Rejection] = []
    budget = coding_budget_s()
    for article in articles:
        text = coded_text(article.text)
        flag: CodingFlag | None = "truncated" if len(text) < len(article.text) else None
        try:
            deadline = time.monotonic() + budget
            events = extract_events(text, article.published_date, article.title, deadline=deadline)
        except CodingTimeout:
            coded.append(
                ExtractedArticle(article, [], EXTRACTOR_VERSION, len(text), "coding_timeout")
            )
            continue
        except RulesError:
            raise  # a broken data file fails the run at once, not every article
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
        coded.append(ExtractedArticle(article, events, EXTRACTOR_VERSION, len(text), flag))
    return coded, failed
