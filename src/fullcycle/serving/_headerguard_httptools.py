"""The header deadline over uvicorn's httptools protocol (imported only when httptools is)."""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from fullcycle.serving.headerguard import _HeaderDeadline

__all__ = ["GuardedHttpTools"]


class GuardedHttpTools(_HeaderDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol with the header deadline."""
