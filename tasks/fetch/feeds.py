"""Feeds: the TOML list of feeds, and RSS/Atom bytes to entries (feedparser).

feedparser only ever receives a stream over bytes that the guarded client
fetched: given a URL it would fetch it itself (no timeout, no cap), and given
bytes it first tries them as a local file name.
"""

from __future__ import annotations

import calendar
import codecs
import dataclasses
import io
import ipaddress
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from tasks.errors import UsageError
from tasks.fetch.charsets import is_document_codec, xml_declared_encoding
from tasks.fetch.http import FetchSettings
from tasks.records import FetchRecord, one_line

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "seeds" / "feeds.toml"
FEED_KEYS = {"url", "name", "country", "language", "interval_minutes"}
# A feed's newest entries are taken first; a feed listing more is truncated.
MAX_ENTRIES_PER_FEED = 200
# An XML declaration opens the document; look no further than this for its encoding.
SNIFF_BYTES = 1024
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The Python types a TOML value may have for each annotation of FetchSettings.
_TOML_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "tuple[str, ...]": (list, tuple),
}
SETTINGS_TYPES = {f.name: _TOML_TYPES[str(f.type)] for f in dataclasses.fields(FetchSettings)}


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One `[[feeds]]` table of the config file."""

    url: str
    name: str | None = None
    country: str | None = None
    language: str | None = None
    interval_minutes: float | None = None


@dataclass(slots=True)
class FeedsFile:
    """The config file read: fetch settings, the feeds, and the feed tables that were bad."""

    settings: FetchSettings
    feeds: list[FeedConfig]
    problems: list[FetchRecord]


@dataclass(slots=True)
class Entry:
    """A link to fetch: a feed entry's, or one named on the command line."""

    url: str
    feed_url: str | None = None
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None


@dataclass(slots=True)
class ParsedFeed:
    """A feed's usable entries, its bozo flag and reason, and entries without a link."""

    entries: list[Entry]
    bozo: bool
    bozo_reason: str | None
    without_link: int
    version: str


def read_config(file: Path) -> dict[str, Any]:
    """The config file's tables; a file that cannot be read is a usage error naming it."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config {file}: {exc}") from exc


def load_config(path: str | Path | None, **overrides: Any) -> FeedsFile:
    """Read the feeds file; a file that cannot be read or a bad `[fetch]` is a whole-run error.

    A bad `[[feeds]]` table is only that feed's problem: it becomes a record.
    """
    file = Path(path) if path else DEFAULT_CONFIG
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read feeds file {file}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"feeds file {file} is not valid TOML: {exc}") from exc
    settings = parse_settings(data.get("fetch", {}), file, overrides)
    raw_feeds = data.get("feeds", [])
    if not isinstance(raw_feeds, list):
        raise UsageError(f"feeds file {file}: 'feeds' must be an array of [[feeds]] tables")
    feeds: list[FeedConfig] = []
    problems: list[FetchRecord] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_feeds, start=1):
        feed = parse_feed_table(raw, index)
        if isinstance(feed, FetchRecord):
            problems.append(feed)
        elif feed.url not in seen:
            seen.add(feed.url)
            feeds.append(feed)
    return FeedsFile(settings, feeds, problems)


def parse_settings(raw: Any, file: Path, overrides: dict[str, Any]) -> FetchSettings:
    if not isinstance(raw, dict):
        raise UsageError(f"feeds file {file}: [fetch] must be a table")
    values: dict[str, Any] = {}
    for key, value in {**raw, **{k: v for k, v in overrides.items() if v is not None}}.items():
        types = SETTINGS_TYPES.get(key)
        if types is None:
            raise UsageError(f"feeds file {file}: unknown [fetch] setting {key!r}")
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise UsageError(f"feeds file {file}: [fetch] {key} has the wrong type")
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise UsageError(f"feeds file {file}: [fetch] {key} must not be negative")
        values[key] = tuple(str(v) for v in value) if isinstance(value, list | tuple) else value
    for net in values.get("allowed_addresses", ()):
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError as exc:
            raise UsageError(f"feeds file {file}: [fetch] allowed_addresses: {exc}") from exc
    return FetchSettings(**values)


def parse_feed_table(raw: Any, index: int) -> FeedConfig | FetchRecord:
    """One `[[feeds]]` table, or a record of what is wrong with it."""
    where = f"feeds[{index}]"
    if not isinstance(raw, dict):
        return FetchRecord("feed", where, "bad_config", f"{where} is not a table")
    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        return FetchRecord("feed", where, "bad_config", f"{where} has no 'url' string")
    url = url.strip()
    unknown = sorted(set(raw) - FEED_KEYS)
    if unknown:
        return FetchRecord("feed", url, "bad_config", f"{where}: unknown keys {unknown}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return FetchRecord("feed", url, "bad_url", f"{where}: not an http(s) URL")
    strings = {k: raw.get(k) for k in ("name", "country", "language")}
    if any(v is not None and not isinstance(v, str) for v in strings.values()):
        return FetchRecord("feed", url, "bad_config", f"{where}: name/country/language not strings")
    interval = raw.get("interval_minutes")
    if interval is not None and (
        isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0
    ):
        return FetchRecord("feed", url, "bad_config", f"{where}: bad interval_minutes")
    return FeedConfig(url, strings["name"], strings["country"], strings["language"], interval)


def parse_feed(body: bytes, content_type: str, base_url: str, feed: FeedConfig) -> ParsedFeed:
    """Entries of an RSS/Atom document (links made absolute against the feed's URL)."""
    body, content_type = document_charsets_only(body, content_type or "application/xml")
    headers = {"content-type": content_type, "content-location": base_url}
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    entries: list[Entry] = []
    without_link = 0
    for raw in parsed.entries[:MAX_ENTRIES_PER_FEED]:
        link = _entry_link(raw)
        if not link:
            without_link += 1
            continue
        url = urljoin(base_url, link)
        if urlsplit(url).scheme not in ("http", "https"):
            without_link += 1
            continue
        entries.append(
            Entry(
                url=url,
                feed_url=feed.url,
                title=_text(raw.get("title")),
                author=_text(raw.get("author")),
                published=_entry_date(raw),
                language=feed.language,
            )
        )
    bozo = bool(parsed.get("bozo"))
    exc = parsed.get("bozo_exception")
    reason = one_line(f"{type(exc).__name__}: {exc}") if exc else None
    return ParsedFeed(entries, bozo, reason, without_link, str(parsed.get("version") or ""))


def document_charsets_only(body: bytes, content_type: str) -> tuple[bytes, str]:
    """The feed as given, or re-encoded as UTF-8 when it names a charset no document uses.

    feedparser decodes with the HTTP charset or the XML declaration's encoding,
    whatever codec that is; punycode's decoder is quadratic (minutes on a
    large body). Such a feed is decoded here with UTF-8 (else windows-1252),
    replacing what does not decode, and handed over declared as UTF-8.
    """
    mime, _, params = content_type.partition(";")
    http_charset = _CHARSET_PARAM.search(params)
    bom_codec = next((codec for bom, codec in _BOMS if body.startswith(bom)), None)
    # A UTF-16/32 declaration is only readable decoded.
    head = body[:SNIFF_BYTES].decode(bom_codec or "latin-1", errors="ignore")
    declared = [http_charset.group(1) if http_charset else None, xml_declared_encoding(head)]
    if all(name is None or is_document_codec(name) for name in declared):
        return body, content_type
    try:
        text = body.decode(bom_codec or "utf-8", errors="replace" if bom_codec else "strict")
    except UnicodeDecodeError:
        text = body.decode("windows-1252", errors="replace")
    text = _XML_DECLARATION.sub("", text, count=1)
    utf8 = f"<?xml version='1.0' encoding='utf-8'?>\n{text}".encode("utf-8", "replace")
    return utf8, f"{mime.strip() or 'application/xml'}; charset=utf-8"


def _entry_link(raw: Any) -> str | None:
    link = raw.get("link")
    if isinstance(link, str) and link.strip():
        return link.strip()
    guid = raw.get("id")  # an RSS guid that is a permalink is the article's URL
    if isinstance(guid, str) and guid.strip().startswith(("http://", "https://")):
        return guid.strip()
    return None


def _text(value: Any) -> str | None:
    return one_line(value) if isinstance(value, str) and value.strip() else None


def _entry_date(raw: Any) -> datetime | None:
    """The entry's published (else updated) time, in UTC; None when absent or absurd."""
    for key in ("published_parsed", "updated_parsed"):
        value = raw.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError, OSError, TypeError):
                continue
    return None
