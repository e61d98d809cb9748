"""fullcycle.ports and testing.wait_serving: a server started as a child process is waited for
itself, never for a stranger that took its port first (CI lost a kill -9 test's last cycle to
that: the final restart was "ready" on another test's server and was stopped before its
recovery ran)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fullcycle.ports import free_port, listens
from fullcycle.testing import wait_serving

CHILD = """
import sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
class Ready(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *a): pass
time.sleep(float(sys.argv[2]))
HTTPServer(("127.0.0.1", int(sys.argv[1])), Ready).serve_forever()
"""


class _Ready(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"ready": true}')

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def stranger(port: int) -> Iterator[None]:
    """Another process's server, answering ready on ``port`` (here: a thread of this one)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def child(port: int, delay_s: float = 0.0) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(port), str(delay_s)])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(30)


def test_listens_names_the_process_that_holds_a_listening_socket() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert listens(os.getpid(), port) is False  # bound, not listening yet
        sock.listen()
        assert listens(os.getpid(), port) is True
        with child(free_port()) as proc:
            assert listens(proc.pid, port) is False
    assert listens(os.getpid(), port) is False  # closed


def test_wait_serving_returns_once_its_own_child_answers() -> None:
    port = free_port()
    with child(port, delay_s=0.5) as proc:
        wait_serving(proc, port, timeout=60, what="the child")
        assert listens(proc.pid, port) is True


def test_a_stranger_on_the_port_does_not_end_the_wait_for_a_child_that_cannot_bind() -> None:
    port = free_port()
    # the stranger answers ready at once; the child then fails to bind and exits
    refused = pytest.raises(AssertionError, match="the child exited with 1")
    with stranger(port), child(port, delay_s=0.3) as proc, refused:
        wait_serving(proc, port, timeout=60, what="the child")
