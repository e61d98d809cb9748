"""kill -9 of a real server under load, ten kill/restart cycles (RELIABILITY.md E 30).

Acknowledged means a 2xx the client received. ``strict`` must keep every one; ``fast`` may
lose only what was acknowledged within its fsync window (0.2 s, plus slack for the client's
clock) before the kill. Each test prints its figures.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from serving_fixtures import MODEL, rows
from test_server import Server

from fullcycle.serving.logbook import read_log
from fullcycle.store import deployments
from fullcycle.store.db import Database
from fullcycle.testing import wait_until

CYCLES = 10
FAST_WINDOW_S = 0.2 + 0.3  # the documented fsync interval, plus slack for when "kill" was taken


@dataclass
class TimedLoad:
    """Concurrent one-row requests; records (id, status, when the answer arrived)."""

    url: str
    prefix: str
    concurrency: int = 8
    results: list[tuple[str, int | str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()))

    def __enter__(self) -> TimedLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)

    async def _run(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            await asyncio.gather(*(self._worker(client, k) for k in range(self.concurrency)))

    async def _worker(self, client: httpx.AsyncClient, k: int) -> None:
        i = 0
        while not self._stop.is_set():
            rid = f"{self.prefix}-w{k}-{i}"
            i += 1
            try:
                r = await client.post(
                    "/predict", json={"records": rows(1, seed=i)}, headers={"X-Request-ID": rid}
                )
                self.results.append((rid, r.status_code, time.monotonic()))
            except httpx.HTTPError as exc:
                self.results.append((rid, type(exc).__name__, time.monotonic()))
                await asyncio.sleep(0.01)

    def acked(self) -> dict[str, float]:
        return {rid: t for rid, status, t in self.results if status == 200}


def cycles(project: Path, durability: str) -> tuple[dict[str, float], list[float], Database]:
    """Ten rounds of start, load, kill -9; then one clean start/stop to recover the last."""
    store = Database.open(f"sqlite:///{project / '.fullcycle' / 'fullcycle.db'}")
    deployments.set(store, MODEL, production=1, actor="test")
    acked: dict[str, float] = {}
    kills: list[float] = []
    for cycle in range(CYCLES):
        server = Server(project).start(durability=durability)
        with TimedLoad(server.url, f"c{cycle}") as load:
            wait_until(lambda: len(load.results) >= 20, timeout=60, what="requests in flight")
            kills.append(time.monotonic())
            server.stop(signal.SIGKILL)
        acked.update(load.acked())
    assert Server(project).start(durability=durability).stop() == 0
    return acked, kills, store


def logged_ids(store: Database) -> set[str]:
    log = read_log(store)
    ok = log[log.status == 200]
    counts = ok.groupby("request_id").size()
    assert (counts == 1).all(), "a request was logged twice"
    return set(counts.index)


@pytest.mark.slow
def test_strict_loses_no_acknowledged_prediction_over_ten_kills(tmp_path: Path) -> None:
    acked, _, store = cycles(tmp_path, "strict")
    lost = set(acked) - logged_ids(store)
    print(f"\nstrict: {len(acked)} acknowledged over {CYCLES} kill -9 cycles, {len(lost)} lost")
    assert len(acked) > 20 * CYCLES
    assert lost == set()


@pytest.mark.slow
def test_fast_loses_only_the_last_fsync_window_before_each_kill(tmp_path: Path) -> None:
    acked, kills, store = cycles(tmp_path, "fast")
    lost = set(acked) - logged_ids(store)
    print(f"\nfast: {len(acked)} acknowledged over {CYCLES} kill -9 cycles, {len(lost)} lost")
    assert len(acked) > 20 * CYCLES
    for rid in lost:
        kill = kills[int(rid.split("-")[0][1:])]
        assert kill - acked[rid] <= FAST_WINDOW_S, (rid, kill - acked[rid])
