"""The real client address behind trusted reverse proxies.

Every rate limit and log line that names a client uses ``client_address()``.
Which proxies are trusted comes from settings (``TRUSTED_PROXIES``: addresses or
networks; ``TRUSTED_PROXY_COUNT``: how many proxies stand in front). The
address is read from the right of ``X-Forwarded-For`` (each proxy appends the
peer it saw), skipping trusted hops; the first untrusted hop is the client.
Entries further left were written by the client and are never believed, and a
peer that is not a trusted proxy is the client itself, whatever it sends.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses or CIDR networks; a ValueError names the entry that is not one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"TRUSTED_PROXIES: {value!r} is not an address or a network") from error
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _parse(value: str) -> Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``, as far as trusted proxies vouch for it."""
    remote = request.META.get("REMOTE_ADDR") or ""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    peer = _parse(remote)
    if peer is None:
        return remote or "unknown"
    if not networks and not count:
        return str(peer)
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    address = peer
    for hops, entry in enumerate(reversed([*forwarded, remote])):
        hop = _parse(entry)
        if hop is None:  # not an address: stop at the last hop a trusted proxy reported
            break
        address = hop
        trusted = (not count or hops < count) and (not networks or any(hop in net for net in networks))
        if not trusted:
            break
    return str(address)
