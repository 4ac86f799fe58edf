"""A generated local news site: hundreds of feeds, many odd or malformed, and news pages.

`build_site(servers)` fills the routes of a few `SiteServer`s (one host each,
all on 127.0.0.1) and returns the feed list and what a run should store.
Pages are written from templates of political news (attacks, protests,
talks, strikes, arrests, sanctions, clashes, agreements) in several places,
so each has its own text; they come in UTF-8, windows-1252 and latin-1,
plain and gzipped. Every URL points at the test servers: nothing else.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler

from .livesite import Reply, Route, SiteServer

# (city, region, country, demonym) for the templates.
PLACES = [
    ("Mopti", "Mopti Region", "Mali", "Malian"),
    ("Goma", "North Kivu", "the Democratic Republic of the Congo", "Congolese"),
    ("Maiduguri", "Borno State", "Nigeria", "Nigerian"),
    ("Kharkiv", "Kharkiv Oblast", "Ukraine", "Ukrainian"),
    ("Khan Younis", "the Gaza Strip", "the Palestinian territories", "Palestinian"),
    ("Mandalay", "Mandalay Region", "Myanmar", "Burmese"),
    ("Kandahar", "Kandahar Province", "Afghanistan", "Afghan"),
    ("Aden", "Aden Governorate", "Yemen", "Yemeni"),
    ("Tripoli", "Tripoli District", "Libya", "Libyan"),
    ("Port-au-Prince", "the Ouest department", "Haiti", "Haitian"),
    ("Bamenda", "the Northwest Region", "Cameroon", "Cameroonian"),
    ("Quetta", "Balochistan", "Pakistan", "Pakistani"),
    ("Nairobi", "Nairobi County", "Kenya", "Kenyan"),
    ("Caracas", "the Capital District", "Venezuela", "Venezuelan"),
    ("Dhaka", "Dhaka Division", "Bangladesh", "Bangladeshi"),
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AUTHORS = ["Amadou Traoré", "Léa Moreau", "José Peña", "Zoë Müller", "Samuel Okoro", "Anna Kovač"]

TEMPLATES = [
    (
        "Gunmen kill {n} villagers near {city}",
        "Gunmen killed {n} civilians in an attack on a village near {city} in {region} on"
        " {day}, local officials said. The attackers arrived on motorbikes before dawn and set"
        " fire to houses and granaries, according to residents who fled to the town.\n\n"
        "The {demonym} army said troops had been sent to the area and that several suspects"
        " had been arrested. No group has claimed responsibility for the attack.",
    ),
    (
        "Thousands protest in {city} against fuel price rises",
        "Thousands of protesters marched through {city} on {day} against a rise in fuel prices,"
        " and police fired tear gas to disperse crowds near the parliament building. Organisers"
        " said the demonstration was peaceful until officers charged the march.\n\n"
        "Police said {n} people were arrested. Unions have called for a general strike next"
        " week if the government does not reverse the increase.",
    ),
    (
        "{demonym} and Turkish ministers meet for talks in {city}",
        "The {demonym} foreign minister met his Turkish counterpart in {city} on {day} to"
        " discuss trade, border security and the return of refugees, the foreign ministry said."
        "\n\nBoth sides agreed to set up a joint committee that will meet within {n} days, and"
        " the Turkish minister invited his host to visit Ankara later this year.",
    ),
    (
        "Air strikes kill {n} fighters in {region}",
        "Air strikes by the {demonym} military killed {n} fighters in {region} on {day}, the"
        " army said in a statement, adding that the strikes targeted a militant camp outside"
        " {city}.\n\nResidents said the bombardment also damaged a school and a market. The"
        " militants did not comment on the losses.",
    ),
    (
        "Police arrest {n} opposition activists in {city}",
        "Police in {city} arrested {n} opposition activists on {day} as they gathered outside"
        " the electoral commission to demand the release of the presidential vote count.\n\n"
        "The opposition leader condemned the arrests and accused the government of trying to"
        " silence its critics before the results are announced.",
    ),
    (
        "EU imposes sanctions on {demonym} officials",
        "The European Union imposed sanctions on {n} {demonym} officials on {day}, freezing"
        " their assets and banning them from travelling to the bloc over a violent crackdown"
        " on protesters in {city}.\n\nThe {demonym} government rejected the measures and"
        " summoned the EU ambassador in protest.",
    ),
    (
        "Clashes between army and rebels kill {n} in {region}",
        "Clashes between the {demonym} army and rebels killed {n} people near {city} in"
        " {region} on {day}, a military spokesman said. The fighting broke out when rebels"
        " attacked an army checkpoint on the main road.\n\nAid agencies said hundreds of"
        " families had fled the area since the start of the week.",
    ),
    (
        "Rival factions sign ceasefire deal in {city}",
        "Rival armed factions signed a ceasefire agreement in {city} on {day} after {n} days of"
        " talks mediated by the African Union, officials said.\n\nUnder the deal, fighters will"
        " withdraw from the centre of {city} and prisoners will be exchanged within a month.",
    ),
]

# Each page's markup: charset, how the server labels it, compression.
PAGE_STYLES = ["utf8", "utf8", "cp1252", "latin1_http", "gzip", "nodate"]
# Feed kinds, cycled over the feeds; the usable ones list pages.
FEED_KINDS = [
    "rss",
    "atom_relative",
    "bozo",
    "rss_etag",
    "empty",
    "html",
    "huge",
    "missing",
    "server_error",
    "redirect_loop",
    "redirect_chain",
    "no_links",
    "latin1",
    "gzip_feed",
    "truncated",
    "binary",
    "json",
    "many_broken_links",
    "rss_last_modified",
    "odd_links",
    "charref",
]
USABLE = {
    "rss",
    "atom_relative",
    "bozo",
    "rss_etag",
    "redirect_chain",
    "latin1",
    "gzip_feed",
    "rss_last_modified",
    "odd_links",
}
ENTRIES_PER_FEED = 8
HUGE_FEED_BYTES = 11 * 1024 * 1024  # over the 10 MiB body cap
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 500
STUB = b"<html><body><nav><a href='/'>Home</a></nav><div id='player'></div></body></html>"
NOT_A_FEED = b"<!DOCTYPE html><html><body><h1>Subscribe</h1><p>Our feeds moved.</p></body></html>"
# One huge feed body, shared by every "huge" feed.
HUGE_FEED = b"<rss><channel>" + b"<!-- padding -->" * (HUGE_FEED_BYTES // 16) + b"</channel></rss>"
JSON_FEED = json.dumps({"version": "https://jsonfeed.org/version/1", "items": []}).encode()


@dataclass
class Page:
    path: str
    title: str
    text_key: int  # pages sharing a key have the same article text
    article: bool = True  # becomes an article when fetched


@dataclass
class Site:
    """The feeds to configure and what a run over them must store."""

    feeds: list[dict[str, object]] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    expected_keys: set[int] = field(default_factory=set)
    kinds: dict[str, str] = field(default_factory=dict)  # feed URL -> kind


def _story(index: int) -> tuple[str, str, str, datetime]:
    template = TEMPLATES[index % len(TEMPLATES)]
    city, region, country, demonym = PLACES[(index // len(TEMPLATES)) % len(PLACES)]
    values = {
        "n": 3 + (index * 7) % 40,
        "city": city,
        "region": region,
        "country": country,
        "demonym": demonym,
        "day": WEEKDAYS[index % 7],
    }
    published = datetime(2025, 6, 1, 9, tzinfo=UTC) + timedelta(days=index % 60, hours=index % 9)
    title = template[0].format(**values)
    return title, template[1].format(**values), AUTHORS[index % len(AUTHORS)], published


def render_page(index: int, style: str) -> tuple[bytes, dict[str, str]]:
    """A news page with its boilerplate, as bytes in the style's charset, and its headers."""
    title, body, author, published = _story(index)
    charset = {"cp1252": "windows-1252", "latin1_http": "iso-8859-1"}.get(style, "utf-8")
    meta_charset = "" if style == "latin1_http" else f'<meta charset="{charset}">'
    date_meta = (
        ""
        if style == "nodate"
        else f'<meta property="article:published_time" content="{published.isoformat()}">'
    )
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n"))
    html = f"""<!DOCTYPE html>
<html lang="en"><head>{meta_charset}
<title>{escape(title)} | Daily Ledger</title>
<meta property="og:title" content="{escape(title)}">
<meta property="og:site_name" content="Daily Ledger">
<meta name="author" content="{escape(author)}">{date_meta}
</head><body>
<header><a href="/">Daily Ledger</a><nav><a href="/world">World</a> <a href="/sport">Sport</a>
<a href="/business">Business</a> <a href="/opinion">Opinion</a></nav></header>
<main><article><h1>{escape(title)}</h1>
<p class="byline">By {escape(author)} · {published:%d %B %Y}</p>
{paragraphs}
</article>
<section class="related"><h2>Related</h2><ul><li><a href="/x">Markets close higher</a></li>
<li><a href="/y">Cup final preview</a></li></ul></section></main>
<footer><p>© 2025 Daily Ledger · <a href="/terms">Terms</a> · <a href="/privacy">Privacy</a></p>
</footer></body></html>"""
    data = html.encode(charset)
    headers = {
        "Content-Type": "text/html" if style != "latin1_http" else f"text/html; charset={charset}"
    }
    if style == "gzip":
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    return data, headers


def _rss(
    base: str, items: Sequence[tuple[str, str | None, datetime | None]], encoding: str = "utf-8"
) -> bytes:
    parts = [f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>']
    parts.append(f"<title>Daily Ledger – Wire</title><link>{base}/</link>")
    for title, link, published in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(title)}</title>")
        if link is not None:
            parts.append(f"<link>{escape(link)}</link>")
        if published is not None:
            parts.append(f"<pubDate>{format_datetime(published)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode(encoding, errors="xmlcharrefreplace")


def _atom(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f'<entry><title>{escape(t)}</title><link rel="alternate" href="{escape(link)}"/>'
        f"<id>urn:ledger:{zlib.crc32(link.encode())}</id><updated>2025-07-01T00:00:00Z</updated></entry>"
        for t, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Ledger</title><id>urn:ledger</id><updated>2025-07-01T00:00:00Z</updated>{entries}</feed>"
    ).encode()


def _conditional(body: bytes, headers: dict[str, str], etag: str) -> Route:
    """304 to a request carrying the ETag, else the body with it."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        same = handler.headers.get("If-None-Match") == etag
        handler.send_response(304 if same else 200)
        handler.send_header("ETag", etag)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", "0" if same else str(len(body)))
        handler.end_headers()
        if not same:
            handler.wfile.write(body)

    return route


def build_site(servers: list[SiteServer], n_feeds: int = 300, n_pages: int = 120) -> Site:
    """Fill the servers' routes; return the feeds and the texts a run must store."""
    site = Site()
    pages: list[tuple[SiteServer, Page]] = []
    for index in range(n_pages):
        server = servers[index % len(servers)]
        style = PAGE_STYLES[index % len(PAGE_STYLES)]
        path = f"/{'world' if index % 2 else 'news'}/{index:04d}-story.html"
        body, headers = render_page(index, style)
        server.routes[path] = Reply(200, body, headers)
        page = Page(path, _story(index)[0], index)
        pages.append((server, page))
        if index % 10 == 0:  # the same story at a second address (an AMP copy)
            copy = Page(f"/amp{path}", page.title, index)
            server.routes[copy.path] = Reply(200, body, headers)
            pages.append((server, copy))
    # Entries that lead nowhere good: 404s, images, a stub, robots-disallowed pages.
    odd: list[tuple[SiteServer, Page]] = []
    for k, server in enumerate(servers):
        own = next(p for s, p in pages if s is server)  # a story this host serves
        server.routes["/robots.txt"] = (
            Reply(200, b"User-agent: *\nDisallow: /members/\n", {"Content-Type": "text/plain"})
            if k == 0
            else Reply(404, b"")
        )
        server.routes["/img/photo.png"] = Reply(200, PNG, {"Content-Type": "image/png"})
        server.routes["/video/stub.html"] = Reply(200, STUB, {"Content-Type": "text/html"})
        server.routes["/members/exclusive.html"] = server.routes[own.path]
        server.routes["/moved.html"] = Reply(301, b"", {"Location": own.path})
        for path in ("/img/photo.png", "/video/stub.html", "/gone.html"):
            odd.append((server, Page(path, "odd", -1, article=False)))
        # Behind robots.txt on the first host only; elsewhere a copy of `own`.
        odd.append((server, Page("/members/exclusive.html", own.title, own.text_key, k != 0)))
        odd.append((server, Page("/moved.html", own.title, own.text_key)))
    site.pages = [p for _, p in pages]

    for j in range(n_feeds):
        server = servers[j % len(servers)]
        kind = FEED_KINDS[j % len(FEED_KINDS)]
        path = f"/feeds/{j:03d}-{kind}.xml"
        chosen = [pages[(j * 3 + k * 11) % len(pages)] for k in range(ENTRIES_PER_FEED)]
        items = [(p.title, s.base + p.path, _story(max(p.text_key, 0))[3]) for s, p in chosen]
        rss_headers = {"Content-Type": "application/rss+xml"}
        if kind == "rss":
            route: Route = Reply(200, _rss(server.base, items), rss_headers)
        elif kind == "rss_etag":
            route = _conditional(_rss(server.base, items), rss_headers, f'"feed-{j}"')
        elif kind == "rss_last_modified":
            route = Reply(
                200,
                _rss(server.base, items),
                {**rss_headers, "Last-Modified": "Tue, 01 Jul 2025 00:00:00 GMT"},
            )
        elif kind == "atom_relative":
            route = Reply(
                200,
                _atom(
                    [(p.title, p.path) for s, p in chosen if s is server]
                    or [(items[0][0], items[0][1])]
                ),
                {"Content-Type": "application/atom+xml"},
            )
            chosen = [(s, p) for s, p in chosen if s is server] or chosen[:1]
        elif kind == "bozo":
            body = _rss(server.base, items).replace(
                b"Daily Ledger \xe2\x80\x93 Wire", b"Ledger & Sons <b>Wire"
            )
            route = Reply(200, body, rss_headers)
        elif kind == "latin1":
            route = Reply(200, _rss(server.base, items, "iso-8859-1"), {"Content-Type": "text/xml"})
        elif kind == "gzip_feed":
            route = Reply(
                200,
                gzip.compress(_rss(server.base, items)),
                {**rss_headers, "Content-Encoding": "gzip"},
            )
        elif kind == "redirect_chain":
            target = f"/feeds/{j:03d}-final.xml"
            server.routes[target] = Reply(200, _rss(server.base, items), rss_headers)
            server.routes[f"/feeds/{j:03d}-hop2.xml"] = Reply(302, b"", {"Location": target})
            route = Reply(301, b"", {"Location": f"/feeds/{j:03d}-hop2.xml"})
        elif kind == "odd_links":
            extra = odd[(j // len(FEED_KINDS)) % len(odd) :: 5] or odd[:2]
            chosen = chosen[:3] + extra
            odd_items = [(p.title, s.base + p.path, None) for s, p in chosen]
            odd_items += [
                ("mail us", "mailto:desk@ledger.invalid", None),
                ("js", "javascript:void(0)", None),
            ]
            odd_items += [
                (
                    chosen[0][1].title,
                    chosen[0][0].base + chosen[0][1].path + "?utm_source=rss#top",
                    None,
                )
            ]
            route = Reply(200, _rss(server.base, odd_items), rss_headers)
        elif kind == "many_broken_links":
            count = 250 if j < len(FEED_KINDS) else 12  # one feed over the 200-entry cap
            broken = [
                (f"Story {k}", f"{server.base}/archive/{j}-{k}.html", None) for k in range(count)
            ]
            route = Reply(200, _rss(server.base, broken), rss_headers)
        elif kind == "no_links":
            route = Reply(200, _rss(server.base, [(t, None, d) for t, _, d in items]), rss_headers)
        elif kind == "empty":
            route = Reply(200, b"", rss_headers)
        elif kind == "html":
            route = Reply(200, NOT_A_FEED, {"Content-Type": "text/html"})
        elif kind == "huge":
            route = Reply(200, HUGE_FEED, rss_headers)
        elif kind == "missing":
            route = Reply(404, b"no such feed", {"Content-Type": "text/plain"})
        elif kind == "server_error":
            route = Reply(500, b"oops", {"Content-Type": "text/plain"})
        elif kind == "redirect_loop":
            route = Reply(302, b"", {"Location": path})
        elif kind == "truncated":
            route = Reply(200, _rss(server.base, items)[:120], rss_headers)  # cut in the header
        elif kind == "binary":
            route = Reply(200, bytes(range(256)) * 8, {"Content-Type": "application/octet-stream"})
        elif kind == "charref":  # a lone surrogate: feedparser itself fails on it
            route = Reply(
                200,
                _rss(server.base, items).replace(b"<title>", b"<title>&#xD800;", 2),
                rss_headers,
            )
        else:  # json
            route = Reply(200, JSON_FEED, {"Content-Type": "application/json"})
        server.routes[path] = route
        url = server.base + path
        site.feeds.append({"url": url, "name": f"Ledger feed {j} ({kind})", "language": "en"})
        site.kinds[url] = kind
        if kind in USABLE:
            site.expected_keys.update(p.text_key for _, p in chosen if p.article)
    return site
