"""Who may reach which route of the inference server, and from where.

Three checks, each refusing before anything changes:

- the role each route needs, declared beside the route (``routes._base.requires``); a route
  that declares none needs ``admin``, so a new route is closed until someone decides otherwise;
- the Host header against the allowed hosts (a DNS-rebinding page sends its own name);
- the Origin header against a strict CORS allow-list (empty by default): a cross-origin
  browser request, even a "simple" ``text/plain`` or form POST that skips the preflight,
  is refused before it reaches a route.

:class:`HostAndOrigin` is plain ASGI (no web framework import); ``serving/routes/`` applies
the role check; ``serving/statuses.py`` keeps the one error -> status map.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from fullcycle.auth import LOCAL, Authenticator, Principal, bearer
from fullcycle.hosts import single_host

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
PREDICT_ROLE = "predict"


@dataclass(frozen=True)
class Access:
    """The server's access policy. ``authenticator=None`` turns token checks off (every
    request acts as the local admin): for experiments on 127.0.0.1 only."""

    authenticator: Authenticator | None = None
    public_predict: bool = False
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    cors_origins: tuple[str, ...] = field(default_factory=tuple)

    def role_for_declared(self, role: str | None) -> str | None:
        """The role a route needs, given the one it declares: ``--public-predict`` opens the
        prediction routes."""
        if self.public_predict and role == PREDICT_ROLE:
            return None
        return role

    def identify(self, authorization: str | None) -> Principal:
        """Who the request acts as; Unauthorized without a valid Bearer token."""
        if self.authenticator is None:
            return LOCAL
        return self.authenticator.authenticate(bearer(authorization))


def host_only(value: str) -> str:
    """``example.org:8765`` -> ``example.org``; ``[::1]:80`` -> ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostAndOrigin:
    """ASGI middleware: a Host outside the allowed hosts gets 400, a foreign Origin 403;
    allow-listed origins get CORS headers and their preflights answered."""

    def __init__(
        self, app: Any, allowed_hosts: Iterable[str], cors_origins: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.hosts = frozenset(host_only(h) for h in allowed_hosts)
        self.origins = frozenset(o.rstrip("/").lower() for o in cors_origins)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k: v.decode("latin-1") for k, v in scope.get("headers", [])}
        host, origin = single_host(scope.get("headers", [])), headers.get(b"origin")
        if host is None:  # the dashboard refuses the same way: both read one Host or none
            await _refuse(send, 400, "more than one Host header")
            return
        if "*" not in self.hosts and host_only(host) not in self.hosts:
            await _refuse(send, 400, f"host {host[:100]!r} is not an allowed host")
            return
        if origin is None:
            await self.app(scope, receive, send)
            return
        origin = origin.rstrip("/").lower()
        if origin in self.origins:
            if scope["method"] == "OPTIONS":
                await _preflight(send, origin)
                return
            await self.app(scope, receive, _with_cors(send, origin))
            return
        if origin != "null" and urlsplit(origin).netloc == host.lower():
            await self.app(scope, receive, send)  # same origin
            return
        await _refuse(
            send,
            403,
            f"cross-origin request from {origin[:100]!r} refused; "
            "an operator can allow it with --cors-origin",
        )


async def _refuse(send: Any, status: int, message: str) -> None:
    body = orjson.dumps({"error": message, "kind": "http"})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _preflight(send: Any, origin: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-methods", b"GET, POST"),
                (b"access-control-allow-headers", b"authorization, content-type, x-request-id"),
                (b"access-control-max-age", b"600"),
                (b"vary", b"origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def _with_cors(send: Any, origin: str) -> Any:
    async def wrapped(message: Any) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                *message.get("headers", []),
                (b"access-control-allow-origin", origin.encode()),
                (b"access-control-expose-headers", b"x-request-id, x-model-version"),
                (b"vary", b"origin"),
            ]
        await send(message)

    return wrapped
