"""Outgoing requests to addresses people type (webhooks) that cannot be pointed inside.

A webhook URL is checked twice: when it is saved (``check_url``) and before
every send (``post``). The host is resolved once, every address it resolves to
must be public, and the request then connects to one of those vetted addresses
(the URL's host stays in the Host header and in TLS SNI, so certificates are
still checked against the name). A second lookup, which DNS rebinding could
answer differently, never happens. Redirects are not followed, and proxies
from the environment are ignored, so nothing else decides where bytes go.

``WEBHOOK_ALLOW_LOOPBACK`` lets development and tests use loopback addresses
(127.0.0.0/8, ::1), over http too; never private ranges.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 ranges that carry an IPv4 address in their low 32 bits (NAT64, well-known
# and local-use prefixes; the deprecated IPv4-compatible form).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # shared address space; not "global", but say it plainly
_getaddrinfo = socket.getaddrinfo  # tests replace this to play a resolver


class BlockedAddressError(Exception):
    """The URL may not be contacted; the message is safe to show its owner."""

    def __init__(self, message: str, *, category: str = "blocked address") -> None:
        super().__init__(message)
        self.category = category


@dataclass(frozen=True)
class Target:
    """A URL whose host was resolved once and found safe, and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress

    def pinned_url(self) -> str:
        """The URL with its host replaced by the vetted address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        netloc = f"{literal}:{self.port}"
        path = parts.path or "/"
        return f"{self.scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")

    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4, Teredo, compatible)."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64) or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_blocked(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """True for anything but a plain public unicast address (loopback allowed only when asked)."""
    if embedded_ipv4(address) is not None:
        # Whatever it wraps, a translated form is never a webhook receiver's own address.
        return True
    if allow_loopback and address.is_loopback:
        return False
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_link_local
        or address.is_private
        or address.is_loopback
        or address in _CGNAT
    )


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to; BlockedAddressError when it does not resolve."""
    host = host.strip("[]")
    try:
        infos = _getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError, OSError):
        raise BlockedAddressError(
            gettext("%(host)s does not resolve.") % {"host": host}, category="DNS lookup failed"
        ) from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise BlockedAddressError(gettext("%(host)s does not resolve.") % {"host": host}, category="DNS lookup failed")
    return addresses


def vet(url: str, *, allow_loopback: bool | None = None) -> Target:
    """Resolve the URL's host once and check every address; the Target to connect to."""
    if allow_loopback is None:
        allow_loopback = settings.WEBHOOK_ALLOW_LOOPBACK
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BlockedAddressError(gettext("That URL is not valid."), category="bad URL") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise BlockedAddressError(gettext("That URL is not valid."), category="bad URL")
    port = port or (443 if scheme == "https" else 80)
    if scheme != "https" and not allow_loopback:
        raise BlockedAddressError(gettext("Webhook URLs must use https."), category="https required")
    addresses = resolve(host, port)
    if any(is_blocked(a, allow_loopback=allow_loopback) for a in addresses):
        raise BlockedAddressError(
            gettext("That address is private, local or reserved; webhooks go to public addresses only.")
        )
    if scheme != "https" and not (allow_loopback and all(a.is_loopback for a in addresses)):
        raise BlockedAddressError(gettext("Webhook URLs must use https."), category="https required")
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def post(url: str, *, content: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
    """POST to a vetted address of ``url``; never follows redirects, never uses a proxy."""
    target = vet(url)
    request_headers = {**headers, "Host": target.host_header()}
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        return client.post(
            target.pinned_url(),
            content=content,
            headers=request_headers,
            extensions={"sni_hostname": target.host},
        )


def failure_category(exc: Exception) -> str:
    """A short reason for a failed send that reveals nothing about the network inside."""
    if isinstance(exc, BlockedAddressError):
        return exc.category
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "ssl" in text or "certificate" in text or "tls" in text:
            return "TLS error"
        return "connection refused"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "bad response"
    return "network error"
