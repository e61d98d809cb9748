"""A deadline on the request-header phase of every connection (slow-header "slowloris" guard).

uvicorn bounds idle keep-alive connections and the app bounds the body, but nothing bounds the
time a client takes to send its request line and headers: 300 connections sending one header
line every few seconds hold 300 slots forever. These protocol classes (uvicorn's own, with a
timer) close a connection whose headers are not complete ``header_timeout_s`` after it opened,
or after its previous response; a request whose headers arrived is never cut.

They are module-level classes, so uvicorn can hand them to worker processes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HEADER_TIMEOUT_S", "GuardedH11", "guarded_protocol"]

HEADER_TIMEOUT_S = 10.0


class _HeaderDeadline:
    """Mixin over a uvicorn HTTP protocol (it has ``cycle``, ``loop``, ``transport``)."""

    header_timeout_s = HEADER_TIMEOUT_S
    _fc_timer: asyncio.TimerHandle | None = None
    _fc_armed_for: Any = None
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._fc_arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not self._fc_armed_for:  # a new request's headers are complete
            self._fc_disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._fc_arm()  # the next request's header phase starts now

    def connection_lost(self, exc: Exception | None) -> None:
        self._fc_disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _fc_arm(self) -> None:
        self._fc_disarm()
        self._fc_armed_for = self.cycle
        self._fc_timer = self.loop.call_later(self.header_timeout_s, self._fc_expired)

    def _fc_disarm(self) -> None:
        timer = getattr(self, "_fc_timer", None)
        if timer is not None:
            timer.cancel()
        self._fc_timer = None

    def _fc_expired(self) -> None:
        cycle = self.cycle
        waiting = cycle is None or (cycle is self._fc_armed_for and cycle.response_complete)
        if waiting and not self.transport.is_closing():
            self.transport.close()


class GuardedH11(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with the header deadline."""


def guarded_protocol() -> type[asyncio.Protocol]:
    """httptools' protocol with the deadline when httptools is installed, else h11's."""
    try:
        from fullcycle.serving._headerguard_httptools import GuardedHttpTools
    except ImportError:
        return GuardedH11
    return GuardedHttpTools
