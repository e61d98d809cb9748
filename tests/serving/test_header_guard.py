"""Slow request headers time out (issue 16.13: 300 connections sending one header line every
3 s were never cut); a request whose headers arrived is served."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest

from fullcycle.serving import app as app_module
from fullcycle.serving.headerguard import GuardedH11, guarded_protocol


async def hello(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


class Running:
    """uvicorn on 127.0.0.1 in a thread, with the given protocol class."""

    def __init__(self, protocol: type[asyncio.Protocol]) -> None:
        import uvicorn

        config = uvicorn.Config(
            hello, host="127.0.0.1", port=0, http=protocol, lifespan="off", log_level="error"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> int:
        self.thread.start()
        while not self.server.started:
            self.thread.join(0.01)
        return self.server.servers[0].sockets[0].getsockname()[1]

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join()


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(30)  # a safety bound for a server that never cuts (the bug), not a timing
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False


@pytest.mark.parametrize("protocol", sorted({GuardedH11, guarded_protocol()}, key=str))
def test_a_connection_that_never_finishes_its_headers_is_closed(monkeypatch, protocol):
    monkeypatch.setattr(protocol, "header_timeout_s", 0.3)
    with Running(protocol) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n")  # no blank line
        assert closed_by_server(sock)


@pytest.mark.parametrize("protocol", sorted({GuardedH11, guarded_protocol()}, key=str))
def test_after_a_response_the_next_requests_headers_are_bounded_too(monkeypatch, protocol):
    monkeypatch.setattr(protocol, "header_timeout_s", 0.3)
    with Running(protocol) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(30)
        assert b"200" in sock.recv(1024).split(b"\r\n")[0]
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert closed_by_server(sock)


def test_the_server_runs_uvicorn_with_the_guard(monkeypatch):
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    app_module.serve_forever("x:y", host="127.0.0.1", port=1, workers=1)
    assert seen["http"] is guarded_protocol()
