"""The metadata store unavailable under load (RELIABILITY.md E 32), with real processes.

The server reaches PostgreSQL through a TCP proxy the test controls, so "the database is
down" is a real outage (connections cut, new ones refused) that touches nothing else.
Predictions keep being served from memory, their log records wait on disk and are sealed
exactly once when the store is back, feedback answers 503 at once, readiness says degraded.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from serving_fixtures import MODEL
from test_kill9 import TimedLoad
from test_server import Server, free_port

from fullcycle.serving.logbook import read_log
from fullcycle.store import deployments, logs
from fullcycle.store.db import Database
from fullcycle.testing import wait_until

DOWN_S = 10.0  # RELIABILITY.md says a minute; ten seconds bounds the test and spans many polls


class Proxy:
    """A TCP relay 127.0.0.1:port -> target that can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            for sock in [self._listener, *self._socks]:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._socks.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.slow
@pytest.mark.postgres
def test_predictions_survive_the_store_going_down(tmp_path: Path, pg_url: str, monkeypatch):
    store = Database.open(pg_url)
    deployments.set(store, MODEL, production=1, actor="test")
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    proxy = Proxy(("127.0.0.1", int(host_port.rsplit(":", 1)[1])))
    proxy.up()
    monkeypatch.setenv(
        "FULLCYCLE_DATABASE_URL", pg_url.replace(host_port, f"127.0.0.1:{proxy.port}")
    )
    server = Server(tmp_path).start()
    try:
        with TimedLoad(server.url, "s") as load, httpx.Client(base_url=server.url) as client:
            wait_until(lambda: len(load.results) >= 20, timeout=60, what="requests in flight")
            proxy.down()
            outage = time.monotonic()
            time.sleep(1.0)  # the behaviour under test: the store stays down for a while
            started = time.perf_counter()
            fb = client.post("/feedback", json={"request_id": "s-w0-1", "label": "yes"}, timeout=30)
            feedback_s = time.perf_counter() - started
            ready = client.get("/v2/health/ready", timeout=10)
            time.sleep(max(0.0, DOWN_S - (time.monotonic() - outage)))  # outage length
            during = [r for r in load.results if r[2] > outage]
            proxy.up()
            time.sleep(1.5)  # the store is back; the server's pool reconnects on its own schedule
            healed = client.post(
                "/feedback", json={"request_id": "s-w0-1", "label": "yes"}, timeout=30
            )
    finally:
        code = server.stop()
        proxy.down()
    assert code == 0
    assert fb.status_code == 503 and fb.json()["kind"] == "StoreUnavailable"
    assert ready.status_code == 200 and ready.json() == {"ready": True, "degraded": True}
    assert healed.status_code == 200
    statuses = {status for _, status, _ in load.results}
    assert statuses == {200}, statuses
    assert len(during) > 50
    acked = set(load.acked())
    log = read_log(store)
    counts = log[log.status == 200].groupby("request_id").size()
    lost = acked - set(counts.index)
    print(
        f"\nstore down {DOWN_S:g} s: {len(during)} predictions served meanwhile, "
        f"feedback 503 in {feedback_s * 1000:.0f} ms, {len(lost)} lost, "
        f"{int((counts > 1).sum())} logged twice"
    )
    assert lost == set() and (counts == 1).all()
    assert len(logs.feedback_rows(store)) == 1
    store.dispose()
