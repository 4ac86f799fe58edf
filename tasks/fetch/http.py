"""The one HTTP client: guarded hops, hard deadlines, a body cap, retries, conditional GET.

`Fetcher.get` never raises for a bad URL, host or response: it returns a
`Response` whose `outcome` says what happened (see `records.FetchOutcome`).
Redirects are followed by hand so the address guard checks every hop.
"""

from __future__ import annotations

import email.utils
import random
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata

import httpx

from tasks.fetch.guard import (
    AddressRefused,
    GuardedTransport,
    HostPolicy,
    NameNotResolved,
    total_deadline,
)
from tasks.records import RETRIED_OUTCOMES, FetchOutcome, one_line

MIB = 1024 * 1024
# Where a site's operator can read about the crawler; set `contact_url` in the config.
DEFAULT_CONTACT_URL = "https://github.com/eventpipe/eventpipe"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Encodings we ask for and decode ourselves, counting decompressed bytes.
ACCEPT_ENCODING = "gzip, deflate"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# A slow server must not hold a run for hours (one URL answering in 60 s per attempt
# took 195 s with its retries). A host's fetching in one run (its requests, retries and
# backoff, robots.txt included; not the politeness wait before each URL) stops here:
# ten minutes fits a few hundred ordinary pages. 0: no budget.
DEFAULT_HOST_BUDGET_SECONDS = 600.0
# A run's fetching, all hosts (side by side, counted once): the default schedule's
# half-hour interval, so a run leaves what it could not fetch to the next. 0: no budget.
DEFAULT_RUN_BUDGET_SECONDS = 1800.0


@dataclass(frozen=True, slots=True)
class Refusal:
    """A permit hook's reason to refuse a hop, with the outcome the fetch gets for it."""

    outcome: FetchOutcome
    detail: str


# A permit hook: given a hop's URL, a refusal (robots.txt, a spent budget), or None.
# It may also wait (the per-host delay) before letting the hop go.
Permit = Callable[[httpx.URL], Refusal | None]


def user_agent(contact_url: str) -> str:
    try:
        version = metadata.version("eventpipe")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"eventpipe/{version} (+{contact_url})"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits and manners of every fetch; the config file's `[fetch]` table sets them."""

    contact_url: str = DEFAULT_CONTACT_URL
    allow_private_hosts: bool = False
    allowed_addresses: tuple[str, ...] = ()
    connect_timeout: float = 5.0  # seconds to open a connection
    read_timeout: float = 15.0  # seconds of silence while reading
    total_timeout: float = 60.0  # seconds for one attempt, all hops and the body
    max_body_bytes: int = 10 * MIB  # after decompression
    max_redirects: int = 5
    max_attempts: int = 3  # first try included
    backoff_seconds: float = 1.0  # first retry's base delay, doubled each retry
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 60.0  # a longer Retry-After is waited this long
    per_host_delay_seconds: float = 1.0  # between requests to one host
    max_crawl_delay_seconds: float = 10.0  # a robots.txt Crawl-delay is capped here
    max_hosts_in_parallel: int = 8
    respect_robots: bool = True
    host_budget_seconds: float = DEFAULT_HOST_BUDGET_SECONDS  # one host's fetching per run
    run_budget_seconds: float = DEFAULT_RUN_BUDGET_SECONDS  # the run's fetching, all hosts

    @property
    def policy(self) -> HostPolicy:
        return HostPolicy(self.allow_private_hosts, self.allowed_addresses)


@dataclass(slots=True)
class Response:
    """What one fetch came to: a body, or an outcome saying why there is none."""

    url: str
    outcome: FetchOutcome
    detail: str = ""
    final_url: str | None = None
    status: int | None = None
    attempts: int = 0
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == "fetched"

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class _Failure(Exception):
    """An attempt's failure, carrying its outcome (raised and caught within this module)."""

    def __init__(
        self,
        outcome: FetchOutcome,
        detail: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.outcome: FetchOutcome = outcome
        self.detail = detail
        self.status = status
        self.retry_after = retry_after


class Fetcher:
    """A guarded httpx client; use it as a context manager, share it between threads."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.policy = settings.policy
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.total_timeout,
        )
        self.client = httpx.Client(
            transport=GuardedTransport(self.policy, 4 * settings.max_hosts_in_parallel),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={
                "User-Agent": user_agent(settings.contact_url),
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: frozenset[str] | None = None,
        permit: Permit | None = None,
        max_bytes: int | None = None,
    ) -> Response:
        """GET with retries on 429, 5xx, connection errors and timeouts.

        `accept` lists the content types wanted (None takes any); `permit` is
        asked before every hop, retries included: it may refuse one (robots.txt,
        a spent budget) or wait (the per-host delay).
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempts = 0
        while True:
            attempts += 1
            try:
                result = self._attempt(url, headers, accept, permit, max_bytes)
                result.attempts = attempts
                return result
            except _Failure as failure:
                last = failure
            if last.outcome not in RETRIED_OUTCOMES or attempts >= self.settings.max_attempts:
                break
            time.sleep(self._delay(attempts, last.retry_after))
        detail = one_line(last.detail)
        return Response(url, last.outcome, detail, status=last.status, attempts=attempts)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter, or the server's Retry-After (capped)."""
        s = self.settings
        if retry_after is not None:
            return max(0.0, min(retry_after, s.max_retry_after_seconds))
        base = min(s.max_backoff_seconds, s.backoff_seconds * 2 ** (attempt - 1))
        return base * random.uniform(0.5, 1.5)

    def _attempt(
        self,
        url: str,
        headers: dict[str, str],
        accept: frozenset[str] | None,
        permit: Permit | None,
        max_bytes: int | None,
    ) -> Response:
        deadline = time.monotonic() + self.settings.total_timeout
        try:
            current = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise _Failure("bad_url", f"{url}: not a URL ({exc})") from exc
        with total_deadline(deadline):
            return self._hops(url, current, headers, accept, permit, max_bytes, deadline)

    def _hops(
        self,
        url: str,
        current: httpx.URL,
        headers: dict[str, str],
        accept: frozenset[str] | None,
        permit: Permit | None,
        max_bytes: int | None,
        deadline: float,
    ) -> Response:
        for _hop in range(self.settings.max_redirects + 1):
            self._check_hop(current, permit)
            if time.monotonic() > deadline:
                raise _Failure("timeout", f"total deadline of {self.settings.total_timeout:g} s")
            response = self._send(current, headers)
            try:
                status = response.status_code
                location = response.headers.get("location")
                if status in REDIRECT_STATUSES and location:
                    try:
                        current = current.join(location.strip())
                    except httpx.InvalidURL as exc:
                        raise _Failure("bad_url", f"bad redirect to {location!r}", status) from exc
                    continue
                return self._finish(url, current, response, accept, deadline, max_bytes)
            finally:
                response.close()
        raise _Failure("too_many_redirects", f"more than {self.settings.max_redirects} redirects")

    def _check_hop(self, current: httpx.URL, permit: Permit | None) -> None:
        if not current.host:
            raise _Failure("bad_url", f"{current}: no host")
        try:
            self.policy.check_url(current)
        except NameNotResolved as exc:
            raise _Failure("dns_error", f"{current}: {exc}") from exc
        except AddressRefused as exc:
            outcome: FetchOutcome = "bad_url" if "scheme" in str(exc) else "blocked_address"
            raise _Failure(outcome, f"{current}: {exc}") from exc
        if permit is not None:
            refusal = permit(current)
            if refusal is not None:
                raise _Failure(refusal.outcome, f"{current}: {refusal.detail}")

    def _send(self, current: httpx.URL, headers: dict[str, str]) -> httpx.Response:
        try:
            request = self.client.build_request("GET", current, headers=headers)
            return self.client.send(request, stream=True)
        except NameNotResolved as exc:  # resolved for the check, not for the connection
            raise _Failure("dns_error", f"{current}: {exc}") from exc
        except AddressRefused as exc:  # the transport's re-check on the connected address
            raise _Failure("blocked_address", f"{current}: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise _Failure("timeout", f"{type(exc).__name__}: {exc or 'timed out'}") from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise _Failure("bad_url", f"{current}: {exc}") from exc
        except (httpx.TransportError, OSError) as exc:
            if _tls_failure(exc):
                raise _Failure("tls_error", f"TLS: {exc}") from exc
            raise _Failure("connection_error", f"{type(exc).__name__}: {exc}") from exc

    def _finish(
        self,
        url: str,
        current: httpx.URL,
        response: httpx.Response,
        accept: frozenset[str] | None,
        deadline: float,
        max_bytes: int | None,
    ) -> Response:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status == 304:
            return Response(url, "not_modified", "", str(current), status, headers=headers)
        if status == 429 or status >= 500:
            outcome: FetchOutcome = "rate_limited" if status == 429 else "server_error"
            retry_after = parse_retry_after(headers.get("retry-after"))
            raise _Failure(outcome, f"HTTP {status}", status, retry_after)
        if not 200 <= status < 300:
            raise _Failure("client_error", f"HTTP {status}", status)
        mime = headers.get("content-type", "").split(";")[0].strip().lower()
        if accept is not None and mime and mime not in accept:
            raise _Failure("bad_content_type", f"content type {mime!r}", status)
        cap = self.settings.max_body_bytes if max_bytes is None else max_bytes
        try:
            body = read_body(response, cap, deadline)
        except _Failure as failure:
            failure.status = status
            raise
        return Response(url, "fetched", "", str(current), status, body=body, headers=headers)


def _tls_failure(exc: BaseException) -> bool:
    """Whether a connection failed on TLS (a certificate that does not verify...)."""
    seen: BaseException | None = exc
    for _ in range(5):  # httpx wraps httpcore, which wraps the ssl module's error
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def read_body(response: httpx.Response, cap: int, deadline: float) -> bytes:
    """The body, decompressed here so the cap counts decompressed bytes, within the deadline."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflater = Inflater.for_encoding(encoding)
    declared = response.headers.get("content-length", "")
    if inflater is None and declared.isdigit() and int(declared) > cap:
        raise _Failure("too_large", f"{declared} bytes declared, over the cap of {cap}")
    parts: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_raw():
            if time.monotonic() > deadline:
                raise _Failure("timeout", "total deadline passed while reading the body")
            data = inflater.feed(chunk, cap - size) if inflater else chunk
            size += len(data)
            if size > cap:
                raise _Failure("too_large", f"body over the cap of {cap} bytes")
            parts.append(data)
    except httpx.TimeoutException as exc:
        why = "total deadline passed" if time.monotonic() > deadline else type(exc).__name__
        raise _Failure("timeout", f"{why} while reading the body") from exc
    except httpx.TransportError as exc:
        raise _Failure("connection_error", f"{type(exc).__name__}: {exc}") from exc
    except zlib.error as exc:
        raise _Failure("bad_encoding", f"{encoding} body does not decompress ({exc})") from exc
    return b"".join(parts)


class Inflater:
    """Streaming gzip/deflate decompression that never makes more than it is allowed to."""

    def __init__(self, wbits: int) -> None:
        self.wbits = wbits
        self.obj = zlib.decompressobj(wbits)
        self.started = False

    @classmethod
    def for_encoding(cls, encoding: str) -> Inflater | None:
        if encoding in ("", "identity"):
            return None
        if encoding in ("gzip", "x-gzip"):
            return cls(zlib.MAX_WBITS | 16)
        if encoding == "deflate":
            return cls(zlib.MAX_WBITS)  # zlib-wrapped; raw deflate is tried on failure
        raise _Failure("bad_encoding", f"unsupported content encoding {encoding!r}")

    def feed(self, data: bytes, room: int) -> bytes:
        """Decompress `data`, stopping as soon as the output passes `room` bytes."""
        out = bytearray()
        while data:
            try:
                piece = self.obj.decompress(data, max(1, room - len(out) + 1))
            except zlib.error:
                if self.started or self.wbits != zlib.MAX_WBITS:
                    raise
                self.wbits = -zlib.MAX_WBITS  # "deflate" sent raw, as some servers do
                self.obj = zlib.decompressobj(self.wbits)
                continue
            self.started = True
            out += piece
            if len(out) > room:
                break
            if self.obj.eof:  # a gzip body may hold several members
                data = self.obj.unused_data
                self.obj = zlib.decompressobj(self.wbits)
            else:
                data = self.obj.unconsumed_tail
        return bytes(out)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
