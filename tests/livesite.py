"""A real HTTP server on 127.0.0.1 for the live-source tests, and their config files.

`SiteServer` serves a dict of routes from a thread (a `ThreadingHTTPServer`,
so a hanging route does not block the others). A route is either a static
`Reply` or a function writing to the request handler itself (to hang, drip
or send a gzip bomb). Nothing here talks to any address but 127.0.0.1 (or ::1,
for the IPv6 tests).
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LOOPBACK = "127.0.0.1"


@dataclass(slots=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Reply | Callable[[BaseHTTPRequestHandler], None]


class SiteServer:
    """Routes by path (query string ignored); unknown paths are 404; requests are logged."""

    def __init__(self, tls: tuple[Path, Path] | None = None, host: str = LOOPBACK) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms stalls

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                with site.lock:
                    site.requests.append(
                        (self.path, {k.lower(): v for k, v in self.headers.items()})
                    )
                route = site.routes.get(path)
                if route is None:
                    route = Reply(404, b"not found", {"Content-Type": "text/plain"})
                try:
                    if isinstance(route, Reply):
                        self.send_response(route.status)
                        for key, value in route.headers.items():
                            self.send_header(key, value)
                        self.send_header("Content-Length", str(len(route.body)))
                        self.end_headers()
                        self.wfile.write(route.body)
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a deadline, a cap): that is the test

        self.host = host
        server_class = _QuietServer6 if ":" in host else _QuietServer
        self.server = server_class((host, 0), Handler)
        self.scheme = "http"
        if tls is not None:  # (certificate, key) files
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.requests if p.split("?")[0] == path)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up early (a deadline, a body cap) is expected, not an error."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _QuietServer6(_QuietServer):
    """The same on an IPv6 address (::1)."""

    address_family = socket.AF_INET6


def write_config(
    path: Path,
    feeds: Sequence[Mapping[str, object]],
    allow_loopback: bool = True,
    **fetch: object,
) -> Path:
    """A feeds file for tests: no politeness delay, short backoff, the loopback allowed."""
    settings: dict[str, object] = {
        "contact_url": "https://example.org/eventpipe-tests",
        "per_host_delay_seconds": 0,
        "backoff_seconds": 0.01,
        "max_retry_after_seconds": 2,
        "connect_timeout": 2,
        "read_timeout": 2,
        "total_timeout": 10,
    }
    if allow_loopback:
        settings["allowed_addresses"] = [LOOPBACK]
    settings.update(fetch)
    lines = ["[fetch]"] + [f"{k} = {_toml(v)}" for k, v in settings.items()]
    for feed in feeds:
        lines += ["", "[[feeds]]"] + [f"{k} = {_toml(v)}" for k, v in feed.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
