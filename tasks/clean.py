"""Clean stage: raw documents to normalised `Article`s, or rejections.

HTML goes through trafilatura (main text and metadata); all text is then
normalised (Unicode NFC, one kind of newline, no control characters, no
runs of blanks) so that the same article read twice hashes the same.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from types import ModuleType
from typing import Any

from tasks.dates import check_published_range, dateline_date
from tasks.load import RawDoc
from tasks.models import Article, Rejection, RejectReason, SourceKind
from tasks.text import storable

# Below this many letters a "text" is a stub, a caption or a failed extraction,
# and nothing in it could be coded as an event.
MIN_TEXT_LETTERS = 20

QUIET_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_BLANKS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """Normalise Unicode and white space, keeping paragraph breaks (and make it storable)."""
    text = unicodedata.normalize("NFC", storable(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = (_BLANKS.sub(" ", line).strip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def parse_published(value: Any) -> datetime | None:
    """An ISO date or date-time (naive means UTC).

    Raises ValueError if unreadable, or outside the sane range (before 1900,
    over a day in the future: see tasks/dates.py), so that "9999-12-31" is
    not stored as year 10000 and no event is dated from it.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"published must be an ISO date string, got {type(value).__name__}")
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    check_published_range(parsed)
    return parsed


@cache
def _trafilatura() -> ModuleType:
    """trafilatura, imported on first use (0.2 s, and only HTML needs it), quieted once.

    A page with no article is a rejection we record; trafilatura's own ERROR
    lines about it would only be noise on the user's terminal.
    """
    import trafilatura

    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return trafilatura


@dataclass(slots=True)
class PageText:
    """A page's main text and the metadata it states about itself (only what it gives)."""

    text: str
    meta: dict[str, Any] = field(default_factory=dict)


def read_html(html: bytes | str, url: str | None = None) -> PageText:
    """Main text and metadata of a page, via trafilatura; empty text if none found.

    Saved and fetched pages both come through here, with the same options, so
    one page reads the same however it arrived. Parser failures raise.
    """
    doc = _trafilatura().bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None or isinstance(doc, dict):
        return PageText("")
    meta = {
        "title": doc.title,
        "url": doc.url,
        "published": doc.date,
        "language": doc.language,
        "author": doc.author,
        "site_name": doc.sitename,
    }
    return PageText(doc.text or "", {k: v for k, v in meta.items() if v})


def html_to_text(html: bytes | str, url: str | None = None) -> tuple[str, dict[str, Any]]:
    """Main text and metadata of a page (see `read_html`), as a pair."""
    page = read_html(html, url)
    return page.text, page.meta


def article_text(text: str, title: Any) -> tuple[str, str | None] | None:
    """The body and title an article stores, or None when the body holds no article.

    Both are normalised; a body that repeats the headline as its first line
    loses it (the title is kept in its own field, so the body starts with the
    story); below `MIN_TEXT_LETTERS` letters there is nothing to code.
    """
    text = clean_text(text)
    title = clean_text(title) if isinstance(title, str) and title.strip() else None
    if title and text.startswith(title + "\n"):
        text = text[len(title) + 1 :].lstrip()
    if sum(ch.isalpha() for ch in text) < MIN_TEXT_LETTERS:
        return None
    return text, title


def without_bad_date(page_meta: dict[str, Any]) -> dict[str, Any]:
    """Page metadata without its publication date if that is unreadable or out of range."""
    try:
        parse_published(page_meta.get("published"))
    except ValueError:
        return {k: v for k, v in page_meta.items() if k != "published"}
    return page_meta


def clean_doc(doc: RawDoc, source_kind: SourceKind = "file") -> Article | Rejection:
    """Turn one raw document into an article, or say why it cannot be one.

    A bad `published` given as metadata (sidecar, JSON line) rejects the input;
    a bad date the page itself gives (HTML) is dropped instead: it is the
    extractor's guess, and the article is still good. A text with no date
    takes the one its top gives (`dateline_date`), if any.
    """
    meta = dict(doc.meta)
    if doc.kind == "html":
        try:
            page = read_html(doc.payload, url=meta.get("url"))
        except Exception as exc:  # trafilatura/lxml failures are per-page data
            return Rejection(doc.source, "bad_html", f"{doc.source}: HTML not parsed ({exc})")
        text = page.text
        meta = {**without_bad_date(page.meta), **meta}  # the sidecar wins over the page
    else:
        assert isinstance(doc.payload, str), "the loader decodes text documents"
        text = doc.payload
    body = article_text(text, meta.get("title"))
    if body is None:
        empty = doc.kind == "text" and not clean_text(text)
        reason: RejectReason = "empty" if empty else "no_text"
        return Rejection(doc.source, reason, f"{doc.source}: no article text found")
    text, title = body
    try:
        published = parse_published(meta.get("published"))
    except ValueError as exc:
        return Rejection(doc.source, "bad_metadata", f"{doc.source}: bad published date: {exc}")
    if published is None and doc.kind == "text":
        published = dateline_date(text)
    return Article(
        source_kind=source_kind,
        source=str(meta.get("source") or doc.source),
        text=text,
        title=title,
        url=meta.get("url") or None,
        published_at=published,
        language=meta.get("language") or None,
        author=meta.get("author") or None,
        site_name=meta.get("site_name") or None,
        raw_sha256=doc.raw_sha256,
    )


def clean_docs(
    docs: Iterable[RawDoc], published: str | None = None
) -> tuple[list[Article], list[Rejection]]:
    """Clean a batch, splitting articles from rejections (duplicates are the store's call).

    `published` (an ISO date, checked by the caller) dates the articles that give
    none of their own: no metadata, page date or dateline.
    """
    default = parse_published(published) if published else None
    articles: list[Article] = []
    rejections: list[Rejection] = []
    for doc in docs:
        result = clean_doc(doc)
        if isinstance(result, Article) and result.published_at is None:
            result.published_at = default
        if isinstance(result, Rejection):
            result.raw_sha256 = doc.raw_sha256  # the same bytes would be judged the same
            rejections.append(result)
        else:
            articles.append(result)
    return articles, rejections
