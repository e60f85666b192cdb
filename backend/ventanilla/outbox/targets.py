"""Where a webhook may go: public addresses only (no SSRF), checked at registration and at send.

A webhook URL is the shop's input, and the worker sends from inside our network. So the host is
resolved once per attempt, *every* address it resolves to must be public, and the connection goes
to the address that was checked (`GuardedTransport`), with the Host header and the TLS server
name (SNI, certificate check) still the URL's name: a DNS answer that changes between the check
and the connection (DNS rebinding) cannot steer the request inside.

Refused: loopback, private (RFC 1918, unique local fc00::/7), link-local (169.254/16 with the
cloud metadata address, fe80::/10), shared/CGNAT (100.64/10), multicast, unspecified, reserved
and documentation ranges (everything Python's `ipaddress` does not call global), IPv4-mapped
IPv6 (::ffff:0:0/96) and public IPv6 ranges that embed an IPv4 address (NAT64 64:ff9b::/96,
6to4 2002::/16) when the embedded address is not public. Every IPv4 notation the C resolver
accepts (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`) is read the way the resolver reads it,
because the check looks at what the name resolves to, never at the text.

`VENTANILLA_WEBHOOKS_ALLOW_PRIVATE` (on outside production by default, like http:// URLs) lets
development and the tests deliver to receivers on loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Cloud metadata services, named so the refusal says why even where they are routable.
METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Names that are loopback by definition (RFC 6761), whatever a resolver says.
_LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")

BLOCKED_MESSAGE = (
    "The URL points at a loopback, private, link-local or other non-public address; webhooks "
    "go to public addresses only."
)


class BlockedAddress(Exception):
    """The target resolves to (or is) an address webhooks may not reach."""


class Unresolvable(Exception):
    """The target's name does not resolve."""


def is_blocked(address: IPAddress) -> bool:
    """True for every address a webhook may not reach (see the module docstring)."""
    if address in METADATA or address.is_multicast or address.is_unspecified:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return True
        embedded = address.sixtofour
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and is_blocked(embedded):
            return True
    return not address.is_global


def literal_address(host: str) -> IPAddress | None:
    """The address `host` names when it is an IP literal in any notation the resolver accepts
    (dotted, decimal, octal, hex, short forms, IPv6 with or without brackets, with or without a
    trailing root dot: `169.254.169.254.` is that address to the resolver), else None."""
    text = host.strip("[]")
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    try:
        # inet_aton reads the classic BSD forms: 2130706433, 0177.0.0.1, 0x7f.1, 127.1.
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the C resolver, as the connection would use)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(host) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def vetted_addresses(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolver
) -> list[IPAddress]:
    """Resolve `host` and return its addresses, all of them allowed.

    Raises `BlockedAddress` when any one is not (an attacker's name may resolve to a public and
    a private address at once), `Unresolvable` when there are none.
    """
    literal = literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        if not allow_private and host.lower().rstrip(".").endswith(_LOCAL_NAMES):
            raise BlockedAddress(host)
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
    if not addresses:
        raise Unresolvable(host)
    if not allow_private and any(is_blocked(a) for a in addresses):
        raise BlockedAddress(host)
    return addresses


def registration_problem(
    url: str, *, allow_private: bool, resolve: Resolver = system_resolver
) -> str | None:
    """Why `url` may not be registered as a webhook target, or None.

    An IP literal or a local name is judged as it is; a name is resolved and refused when any
    address is blocked. A name that does not resolve (yet) is accepted: every send checks again.
    """
    if allow_private:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None  # the URL rules (policy.webhook_url_problem) explain what is wrong
    if not host:
        return None
    default_port = 443 if parts.scheme.lower() == "https" else 80
    try:
        vetted_addresses(host, port or default_port, allow_private=False, resolve=resolve)
    except BlockedAddress:
        return BLOCKED_MESSAGE
    except (Unresolvable, ValueError):
        return None
    return None


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that connects only to vetted addresses.

    For each request it resolves the URL's host, checks every address, and sends the request to
    the first one: the URL's host becomes that IP, the Host header stays the name (httpx set it
    when building the request), and for https the TLS server name and the certificate check use
    the name (httpcore's `sni_hostname` extension). Raises `BlockedAddress`/`Unresolvable`.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolver = system_resolver,
        **transport_options: Any,
    ) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self.inner = httpx.HTTPTransport(**transport_options)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        address = vetted_addresses(
            host, port, allow_private=self.allow_private, resolve=self.resolve
        )[0]
        if str(address) != host:
            request.url = url.copy_with(host=str(address))
            if url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": host}
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
