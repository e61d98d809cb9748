"""Outbound webhook calls that cannot be turned against the machine or its network (SSRF).

A URL is sent only when its host is in the policy's ``allowed_hosts`` and every address it
resolves to is a public one: never loopback, private, link-local (the cloud metadata address
169.254.169.254), multicast, reserved or unspecified, however it is written (decimal IPs,
IPv4-mapped IPv6). The connection goes to the address that was checked, so DNS rebinding
between the check and the connect cannot redirect it, and each redirect is checked again.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from fullcycle.errors import InvalidInput

Resolver = Callable[[str, int], list[str]]
MAX_REDIRECTS = 3


class BlockedURL(InvalidInput):
    """The URL points somewhere fullcycle will not call."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BlockedURL(f"webhook host {host!r} does not resolve: {exc}") from None
    return sorted({str(info[4][0]) for info in infos})


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: IPv4 in the low bits
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use translation: never public
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64, compatible): a
    gateway may deliver to them, so each must be public too (``2002:7f00:1::1`` is 127.0.0.1)."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _public(address: str, allow_loopback: bool) -> bool:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        inner = _embedded_ipv4(ip)
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif inner:
            return all(_public(str(a), allow_loopback=False) for a in inner)
    if allow_loopback and ip.is_loopback:
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def check_url(
    url: str,
    allowed_hosts: list[str],
    *,
    resolver: Resolver = system_resolver,
    allow_loopback: bool = False,
) -> tuple[str, str]:
    """Return (url rewritten to the checked address, original host) or raise BlockedURL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedURL(f"webhook URL {url!r} must be http(s) with a host")
    if parts.username or parts.password:
        raise BlockedURL("webhook URL must not carry credentials")
    host = parts.hostname
    if host not in allowed_hosts:
        raise BlockedURL(f"webhook host {host!r} is not in monitoring.alert.allowed_hosts")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolver(host, port)
    if not addresses:
        raise BlockedURL(f"webhook host {host!r} has no address")
    for address in addresses:
        if not _public(address, allow_loopback):
            raise BlockedURL(
                f"webhook host {host!r} resolves to {address}, a loopback, private, link-local "
                "or reserved address; refusing to call it"
            )
    pinned = addresses[0]
    netloc = f"[{pinned}]:{port}" if ":" in pinned else f"{pinned}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host


def send(
    url: str,
    payload: dict[str, Any],
    allowed_hosts: list[str],
    *,
    timeout_s: float = 5.0,
    resolver: Resolver = system_resolver,
    allow_loopback: bool = False,
) -> int:
    """POST ``payload`` as JSON; returns the final status. Redirects are re-checked each hop."""
    import httpx

    current = url
    with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            pinned, host = check_url(
                current, allowed_hosts, resolver=resolver, allow_loopback=allow_loopback
            )
            response = client.post(
                pinned, json=payload, headers={"Host": host}, extensions={"sni_hostname": host}
            )
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                continue
            return response.status_code
    raise BlockedURL(f"webhook {url!r} redirected more than {MAX_REDIRECTS} times")
