"""The prediction log cannot be stopped by a request, a crash of its writer or a full disk
(issue 16, items 1 and 3): every acknowledged prediction is written, strict callers never hang,
and readiness tells the truth."""

from __future__ import annotations

import asyncio
import errno
import json
import threading
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from serving_fixtures import MODEL, FixtureSource, rows

from fullcycle.errors import StoreUnavailable
from fullcycle.serving import logbook as logbook_module
from fullcycle.serving import segments
from fullcycle.serving.app import create_app
from fullcycle.serving.guard import Access
from fullcycle.serving.logbook import Logbook, LogConfig, read_log
from fullcycle.serving.runtime import Runtime
from fullcycle.store import alerts, deployments, events

pytestmark = pytest.mark.anyio
JSON = {"content-type": "application/json"}


def nested(depth: int) -> Any:
    value: Any = 1.0
    for _ in range(depth):
        value = [value]
    return value


def hostile_bodies(route: str = "/predict") -> dict[str, bytes]:
    """The two reproducers of issue 16.1, shaped for ``/predict`` or the v2 infer route."""
    deep = {**rows(1)[0], "f0": nested(300)}
    # a NaN elsewhere sends the body through Python's json, which keeps a lone surrogate
    odd = {"f0": float("nan"), "f1": "\ud800", "f2": 1.0, "f3": 2.0}
    if "infer" not in route:
        return {
            "deep": json.dumps({"records": [deep]}).encode(),
            "surrogate": json.dumps({"records": [odd]}).encode(),
        }

    def v2(row: dict[str, Any]) -> bytes:
        inputs = [
            {"name": k, "shape": [1], "datatype": "FP64", "data": [v]} for k, v in row.items()
        ]
        return json.dumps({"inputs": inputs}).encode()

    return {"deep": v2(deep), "surrogate": v2(odd)}


class Served:
    """An app over ASGI with a logbook of the given config; ``async with`` runs its lifespan."""

    def __init__(self, db: Any, root: Path, *, deploy: bool = True, **config: Any) -> None:
        if deploy:
            deployments.set(db, MODEL, production=1, actor="test")
        self.book = Logbook(db, root, model=MODEL, config=LogConfig(**config))
        self.runtime = Runtime(FixtureSource(db), self.book, db=db, poll_s=0.05)
        self.app = create_app(self.runtime, access=Access(allowed_hosts=("test",)), gc_freeze=False)

    async def __aenter__(self) -> httpx.AsyncClient:
        self._life = self.app.router.lifespan_context(self.app)
        await self._life.__aenter__()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://test"
        )
        return self.client

    async def __aexit__(self, *exc: Any) -> None:
        await self.client.aclose()
        await self._life.__aexit__(None, None, None)


def on_disk(root: Path) -> set[str]:
    ids: set[str] = set()
    for path in (root / segments.ACTIVE).glob("*.jsonl"):
        ids |= {str(r.get("request_id")) for r in segments.read_lines(path)}
    return ids


async def wait_for(condition: Any, what: str, timeout: float = 20.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("kind", ["deep", "surrogate"])
@pytest.mark.parametrize("route", ["/predict", f"/v2/models/{MODEL}/infer"])
async def test_a_hostile_body_does_not_stop_the_fast_log(db, tmp_path, kind, route):
    root = tmp_path / "logs"
    served = Served(db, root, fsync_interval_s=0.01)
    async with served as client:
        body = hostile_bodies(route)[kind]
        bad = await client.post(route, content=body, headers={**JSON, "X-Request-ID": "bad-1"})
        assert 400 <= bad.status_code < 500
        good = await client.post("/predict", json={"records": rows(2)})
        assert good.status_code == 200
        rid = good.json()["request_id"]
        await wait_for(lambda: rid in on_disk(root), "the good request on disk")
        assert (await client.get("/v2/health/ready")).status_code == 200
    logged = read_log(db)
    assert rid in set(logged.request_id)
    assert "bad-1" in set(logged.request_id)  # the refusal itself is logged, reduced


async def test_strict_mode_answers_after_a_hostile_body_and_never_hangs(db, tmp_path):
    root = tmp_path / "logs"
    served = Served(db, root, durability="strict", fsync_interval_s=0.01, strict_timeout_s=5)
    async with served as client:
        for body in hostile_bodies().values():
            with anyio.fail_after(30):
                bad = await client.post("/predict", content=body, headers=JSON)
            assert bad.status_code == 422
        with anyio.fail_after(30):
            good = await client.post("/predict", json={"records": rows(1)})
        assert good.status_code == 200
        assert good.json()["request_id"] in on_disk(root)  # strict: on disk when answered


async def test_a_writer_that_crashes_is_restarted_and_the_crash_recorded(db, tmp_path, monkeypatch):
    root = tmp_path / "logs"
    real = logbook_module._Segment.write
    crashes = []

    def crash_once(self: Any, data: bytes) -> None:
        if not crashes:
            crashes.append(1)
            raise RuntimeError("an unexpected bug in the writer")
        real(self, data)

    monkeypatch.setattr(logbook_module._Segment, "write", crash_once)
    served = Served(db, root, durability="strict", fsync_interval_s=0.01, strict_timeout_s=60)
    async with served as client:
        first = await client.post("/predict", json={"records": rows(1)})
        assert first.status_code == 503  # its write died with the writer: not acknowledged
        second = await client.post("/predict", json={"records": rows(1)})
        assert second.status_code == 200
        assert second.json()["request_id"] in on_disk(root)
        assert served.book.health.writer_restarts == 1
        await wait_for(lambda: events.listing(db, kind="log.writer_restarted"), "the event")


async def test_a_strict_wait_gives_up_with_503(db, tmp_path, monkeypatch):
    release = threading.Event()
    real = logbook_module._Segment.write

    def stalled(self: Any, data: bytes) -> None:
        release.wait(30)
        real(self, data)

    monkeypatch.setattr(logbook_module._Segment, "write", stalled)
    book = Logbook(
        db,
        tmp_path / "logs",
        model="demo",
        config=LogConfig(durability="strict", strict_timeout_s=0.3),
    )
    book.start()
    try:
        with anyio.fail_after(10), pytest.raises(StoreUnavailable, match="did not confirm"):
            await book.log([{"request_id": "slow", "ts": 1.0}])
    finally:
        release.set()
        book.close()


def full_disk(monkeypatch: Any, state: dict[str, bool]) -> None:
    """A fault-injecting file layer: while ``state['full']``, every log write fails ENOSPC
    after writing half of its bytes (as a real full disk does), and the free-space probe sees
    no room."""
    real_write, real_statvfs = logbook_module.os.write, logbook_module.os.statvfs

    def write(fd: int, data: Any) -> int:
        if state["full"]:
            if len(data) > 1:
                real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    class NoRoom:
        f_bavail, f_frsize = 0, 4096

    def statvfs(path: Any) -> Any:
        return NoRoom() if state["full"] else real_statvfs(path)

    monkeypatch.setattr(logbook_module.os, "write", write)
    monkeypatch.setattr(logbook_module.os, "statvfs", statvfs)


@pytest.mark.parametrize("durability", ["fast", "strict"])
async def test_a_full_disk_is_survived_and_writing_resumes(db, tmp_path, monkeypatch, durability):
    root = tmp_path / "logs"
    state = {"full": False}
    full_disk(monkeypatch, state)
    served = Served(db, root, durability=durability, fsync_interval_s=0.01, strict_timeout_s=5)
    acknowledged: list[str] = []

    async def predict() -> int:
        r = await client.post("/predict", json={"records": rows(1)})
        if r.status_code == 200:
            acknowledged.append(r.json()["request_id"])
        return r.status_code

    async with served as client:
        assert await predict() == 200
        state["full"] = True
        with anyio.fail_after(30):
            during = [await predict() for _ in range(20)]
        if durability == "strict":
            assert set(during) == {503}  # at once, never a hang
        else:
            assert set(during) == {200}
        await wait_for(lambda: not served.book.writable(), "the log marked unwritable")
        ready = await client.get("/v2/health/ready")
        assert ready.status_code == 503 and ready.json()["log"]["writable"] is False
        await wait_for(lambda: alerts.open_alerts(db), "an alert")
        state["full"] = False
        await wait_for(served.book.writable, "the log writable again")
        assert await predict() == 200
        assert (await client.get("/v2/health/ready")).status_code == 200
        await wait_for(lambda: set(acknowledged) <= on_disk(root), "every ack on disk")
        await wait_for(lambda: events.listing(db, kind="log.recovered"), "recovery event")
    logged = set(read_log(db).request_id)
    assert set(acknowledged) <= logged
    assert served.book.dropped == 0
    assert not alerts.open_alerts(db)


async def test_fast_records_beyond_the_backlog_are_counted_as_dropped(db, tmp_path, monkeypatch):
    state = {"full": True}
    full_disk(monkeypatch, state)
    book = Logbook(db, tmp_path / "logs", model="demo", config=LogConfig(queue_max=5))
    book.start()
    try:
        for i in range(12):
            await book.log([{"request_id": f"r{i}", "ts": 1.0}])
        await wait_for(lambda: book.dropped == 7, "7 counted as dropped")
        assert book.status()["dropped"] == 7 and not book.writable()
    finally:
        state["full"] = False
        book.close()
    assert len(read_log(db)) == 5  # the backlog was written once space came back


def json_values() -> Any:
    """Arbitrary JSON values, lone surrogates and non-finite numbers included, plus very deep
    lists (what a client can put in a feature)."""
    from hypothesis import strategies as st

    text = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)
    leaves = st.none() | st.booleans() | st.integers() | st.floats() | text
    tree = st.recursive(
        leaves,
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(text, kids, max_size=4),
        max_leaves=20,
    )
    return tree | st.integers(200, 900).map(nested)


class Portal:
    """The app's lifespan and an httpx client on an event loop in a thread, so a synchronous
    hypothesis test can send requests to it."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Portal:
        self.thread.start()
        self.call(self.served.__aenter__())
        return self

    def __exit__(self, *exc: Any) -> None:
        self.call(self.served.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(self.served.client.post(path, **kwargs))


def test_every_acknowledged_request_is_logged_whatever_json_comes_before(db, tmp_path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    served = Served(db, tmp_path / "logs", fsync_interval_s=0.01)
    acknowledged: list[str] = []
    with Portal(served) as client:

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(value=json_values(), field=st.sampled_from(["f0", "f1", "extra"]))
        def send(value: Any, field: str) -> None:
            row = {**rows(1)[0], field: value}
            hostile = json.dumps({"records": [row]}, allow_nan=True).encode()
            r = client.post("/predict", content=hostile, headers=JSON)
            assert r.status_code < 500, r.text
            if r.status_code == 200:
                acknowledged.append(r.json()["request_id"])
            good = client.post("/predict", json={"records": rows(1)})
            assert good.status_code == 200
            acknowledged.append(good.json()["request_id"])

        send()
        assert client.call(served.client.get("/v2/health/ready")).status_code == 200
    assert acknowledged
    assert set(acknowledged) <= set(read_log(db).request_id)


async def test_an_alert_the_store_refused_during_the_fault_is_recorded_after_it(
    db, tmp_path, monkeypatch
):
    """The store may sit on the same full disk: the alert is written once it can be."""
    from fullcycle.store import alerts as alert_store

    state = {"full": True}
    full_disk(monkeypatch, state)
    real_raise = alert_store.raise_or_touch

    def refusing(*args: Any, **kwargs: Any) -> bool:
        if state["full"]:
            raise StoreUnavailable("the store's disk is full too")
        return real_raise(*args, **kwargs)

    monkeypatch.setattr(alert_store, "raise_or_touch", refusing)
    book = Logbook(db, tmp_path / "logs", model="demo")
    book.start()
    try:
        await book.log([{"request_id": "r1", "ts": 1.0}])
        await wait_for(lambda: not book.writable(), "the log marked unwritable")
        state["full"] = False
        await wait_for(lambda: events.listing(db, kind="log.recovered"), "the recovery event")
    finally:
        book.close()
    kinds = [e.kind for e in reversed(events.listing(db))]
    assert kinds.index("alert.open") < kinds.index("alert.close") < kinds.index("log.recovered")
