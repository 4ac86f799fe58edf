"""Pages: canonical URLs (courlan), bytes to text in the right charset, text and metadata.

The main text, title, author, site name and date come from trafilatura's
`bare_extraction`; the date falls back to htmldate, and the feed entry's
own date and title win over what the page says about itself.
"""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime
from urllib.parse import urldefrag

import courlan
import htmldate

from tasks.clean import article_text, parse_published, read_html
from tasks.fetch.charsets import document_codec, is_document_codec
from tasks.fetch.feeds import Entry
from tasks.models import Article, SourceKind
from tasks.records import FetchOutcome, FetchRecord, one_line

# A meta charset or <html lang> sits near the top; look no further than this.
SNIFF_BYTES = 4096
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_HTML_LANG = re.compile(rb"<html[^>]*\slang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][\w-]+)?", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def canonical_url(url: str) -> str | None:
    """The URL as dedup sees it: normalised by courlan (trackers dropped), no fragment."""
    try:
        normal = courlan.normalize_url(url.strip())
    except Exception:  # courlan on a hostile string: not a URL we can use
        return None
    normal = urldefrag(normal)[0]
    return normal if normal.startswith(("http://", "https://")) else None


def decode_html(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Text of a page and the charset used: BOM, HTTP charset, meta charset, UTF-8, a guess.

    Only document encodings are used (see `charsets`): a page naming punycode,
    rot13 or base64 as its charset is read as if it named none.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, errors="replace"), name
    head = body[:SNIFF_BYTES]
    meta = _META_CHARSET.search(head)
    declared = _CHARSET_PARAM.search(content_type or "")
    for candidate in (
        document_codec(declared.group(1)) if declared else None,
        document_codec(meta.group(1).decode("ascii", "replace")) if meta else None,
        "utf-8",
    ):
        if candidate:
            try:
                return body.decode(candidate), candidate
            except (UnicodeDecodeError, LookupError):
                continue
    from trafilatura.utils import detect_encoding  # charset_normalizer's guesses

    for guess in filter(is_document_codec, detect_encoding(body)):
        try:
            return body.decode(guess), guess
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("windows-1252", errors="replace"), "windows-1252"


def page_language(body: bytes) -> str | None:
    found = _HTML_LANG.search(body[:SNIFF_BYTES])
    return found.group(1).decode("ascii").lower() if found else None


def read_page(
    entry: Entry, final_url: str, body: bytes, content_type: str, source_kind: SourceKind
) -> Article | FetchRecord:
    """An article from a fetched page, or the record of why there is none.

    The text goes through the same `clean.read_html` and `clean.article_text`
    as a saved page's; the feed entry's title, date and author win over the page's.
    """
    try:
        html, _charset = decode_html(body, content_type)
        page = read_html(html, url=final_url)
    except Exception as exc:  # trafilatura/lxml failures are this page's data
        return _failure(entry, final_url, "bad_html", f"HTML not parsed ({type(exc).__name__})")
    meta = page.meta
    body_title = article_text(page.text, entry.title or meta.get("title"))
    if body_title is None:
        return _failure(entry, final_url, "no_text", "no article text found")
    text, title = body_title
    author, site = meta.get("author"), meta.get("site_name")
    return Article(
        source_kind=source_kind,
        source=entry.feed_url or entry.url,
        text=text,
        title=title,
        url=canonical_url(final_url) or final_url,  # as fetched, less trackers and fragment
        published_at=entry.published or page_date(meta.get("published"), html, final_url),
        language=meta.get("language") or page_language(body) or entry.language,
        author=entry.author or (one_line(author) if author else None),
        site_name=one_line(site) if site else None,
        canonical_url=entry.canonical_url or canonical_url(entry.url),
    )


def page_date(found: str | None, html: str, url: str) -> datetime | None:
    """The page's publication date: trafilatura's metadata, else htmldate's search."""
    parsed = _past_date(found)
    if parsed is None:
        try:
            parsed = _past_date(htmldate.find_date(html, url=url, extensive_search=False))
        except Exception:  # htmldate on odd markup: no date, not a failure
            parsed = None
    return parsed


def _past_date(value: str | None) -> datetime | None:
    try:
        parsed = parse_published(value)
    except ValueError:
        return None
    return parsed if parsed is not None and parsed <= datetime.now(UTC) else None


def _failure(entry: Entry, final_url: str, outcome: FetchOutcome, detail: str) -> FetchRecord:
    return FetchRecord(
        "page",
        entry.url,
        outcome,
        detail,
        feed_url=entry.feed_url,
        canonical_url=entry.canonical_url,
        final_url=final_url,
    )
