"""Address policy: which hosts eventpipe may connect to (the SSRF guard).

Every hop of every fetch is checked before a connection is made: the host
name is resolved and refused if any of its addresses is loopback, private,
link-local, multicast, reserved, unspecified or a cloud metadata endpoint,
unless the policy allows it. The check runs twice: once on the URL before a
request (to refuse cleanly, with a reason), and again in the transport's
connect step on the very addresses it connects to, so a name that resolves
differently the second time (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Cloud instance-metadata endpoints (AWS, GCP, Azure, Alibaba, Oracle...): refused even
# with private hosts allowed (an address only passes when in the explicit allow-list).
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})
# Link-local as a whole: AWS ECS credentials sit at 169.254.170.2, not only .169.254.
METADATA_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fd00:ec2::/32", "100.100.100.200/32")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(addr: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), else itself."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped:
            return addr.ipv4_mapped
        if addr.sixtofour:
            return addr.sixtofour
        if addr.teredo:
            return addr.teredo[1]
        if addr in NAT64:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr


class AddressRefused(Exception):
    """A host or address the policy does not let eventpipe connect to."""


class NameNotResolved(AddressRefused):
    """A host name with no address (offline, a typo, a lapsed domain): not the guard's refusal.

    A subclass, so that code which only asks "may I connect?" still refuses it.
    """


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """Which addresses are allowed.

    `allow_private` lets loopback and private (RFC 1918, ULA, link-local...)
    addresses through, for a local site; `allowed_addresses` lets named
    addresses or networks through whatever else holds (tests allow only the
    loopback address of their own server this way).
    """

    allow_private: bool = False
    allowed_addresses: tuple[str, ...] = ()

    def _explicitly_allowed(self, addr: IPAddress) -> bool:
        nets = (ipaddress.ip_network(net, strict=False) for net in self.allowed_addresses)
        return any(addr in net for net in nets)

    def refusal(self, addr: IPAddress) -> str | None:
        """Why this address is refused, or None when it is allowed."""
        if self._explicitly_allowed(addr):
            return None
        inner = embedded_ipv4(addr)
        if inner != addr:  # judged by the IPv4 address it leads to
            why = self.refusal(inner)
            return f"{addr} carries {why}" if why else None
        if any(addr in net for net in METADATA_NETWORKS):
            return f"{addr} is a cloud metadata address"
        if self.allow_private:
            return None
        for label, flag in (
            ("loopback", addr.is_loopback),
            ("private", addr.is_private),
            ("link-local", addr.is_link_local),
            ("multicast", addr.is_multicast),
            ("reserved", addr.is_reserved),
            ("unspecified", addr.is_unspecified),
        ):
            if flag:
                return f"{addr} is a {label} address"
        if not addr.is_global:
            return f"{addr} is not a public address"
        return None

    def check_host(self, host: str, port: int) -> list[IPAddress]:
        """Resolve `host` and return its addresses; raise AddressRefused if any is refused."""
        name = host.strip("[]").rstrip(".").lower()
        if not name:
            raise AddressRefused("no host name")
        if name in METADATA_HOSTS:
            raise AddressRefused(f"{name} is a cloud metadata host")
        addresses = resolve(name, port)
        if not addresses:
            raise NameNotResolved(f"{name} resolves to no address")
        for addr in addresses:
            why = self.refusal(addr)
            if why:
                raise AddressRefused(f"{name}: {why}")
        return addresses

    def check_url(self, url: httpx.URL) -> list[IPAddress]:
        """Check a URL's scheme and host; raise AddressRefused when either is refused."""
        if url.scheme not in ALLOWED_SCHEMES:
            raise AddressRefused(f"scheme {url.scheme or '(none)'!r} is not http or https")
        port = url.port or (443 if url.scheme == "https" else 80)
        return self.check_host(url.host, port)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address a host name resolves to (an address literal is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:  # a label too long or not encodable: no name at all
        raise AddressRefused(f"{host} is not a valid host name ({exc})") from exc
    except OSError as exc:  # socket.gaierror and kin
        raise NameNotResolved(f"{host} does not resolve ({exc})") from exc
    found: dict[IPAddress, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        found[ipaddress.ip_address(str(sockaddr[0]).split("%")[0])] = None
    return list(found)


_deadline = threading.local()


@contextmanager
def total_deadline(at: float) -> Iterator[None]:
    """Bound every socket read and write of this thread by `at` (time.monotonic()).

    httpx's timeouts are per read: a server that sends its headers a byte at a
    time, each byte within the read timeout, would hold a fetch for hours. The
    guarded streams check this deadline on every read, headers included.
    """
    previous = getattr(_deadline, "at", None)
    _deadline.at = at
    try:
        yield
    finally:
        _deadline.at = previous


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes end at the thread's total deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def _cap(self, timeout: float | None) -> float | None:
        at = getattr(_deadline, "at", None)
        if at is None:
            return timeout
        left = at - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the total deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self._cap(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self._cap(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        secured = self.inner.start_tls(ssl_context, server_hostname, self._cap(timeout))
        return DeadlineStream(secured)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's blocking backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.policy.check_host(host, port)
        error: Exception | None = None
        for addr in addresses:  # connect to the checked address, not a fresh lookup
            try:
                stream = self.inner.connect_tcp(
                    str(addr),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return DeadlineStream(stream)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"cannot connect to {host}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise AddressRefused("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with TLS verified, no proxies from the environment, and the guard.

    httpx has no public hook for the network backend, so the connection pool
    is rebuilt with the guarded one (the same settings httpx gives it).
    """

    def __init__(self, policy: HostPolicy, max_connections: int = 20) -> None:
        super().__init__(verify=True, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=True, trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy),
        )
