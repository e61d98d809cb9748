"""The prediction log on its own: group commit, sealing, recovery, backpressure, reading."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from fullcycle.errors import StoreUnavailable
from fullcycle.serving import segments
from fullcycle.serving.logbook import Logbook, LogConfig, read_log
from fullcycle.store import logs

pytestmark = pytest.mark.anyio


def record(rid: str, version: int | None = 1, ts: float | None = None) -> dict:
    return {
        "request_id": rid,
        "row": 0,
        "ts": ts or time.time(),
        "model": "demo",
        "version": version,
        "route": "production",
        "status": 200,
        "latency_ms": 1.0,
        "inputs": {"f0": 1.5},
        "output": "yes",
        "proba": [0.2, 0.8],
        "error": None,
    }


def active_files(root: Path) -> list[Path]:
    return sorted((root / segments.ACTIVE).glob("*.jsonl"))


async def test_strict_log_returns_only_once_the_record_is_on_disk(db, tmp_path):
    book = Logbook(
        db,
        tmp_path / "logs",
        model="demo",
        config=LogConfig(durability="strict", fsync_interval_s=5.0),
    )
    book.start()
    try:
        await asyncio.gather(*[book.log([record(f"id-{i}")]) for i in range(50)])
        (seg,) = active_files(tmp_path / "logs")
        on_disk = segments.read_lines(seg)  # without waiting for the 5 s fast interval
        assert {r["request_id"] for r in on_disk} == {f"id-{i}" for i in range(50)}
    finally:
        book.close()


async def test_close_seals_into_parquet_partitioned_by_day_and_version(db, tmp_path):
    root = tmp_path / "logs"
    book = Logbook(db, root, model="demo")
    book.start()
    day1 = time.mktime((2026, 3, 1, 12, 0, 0, 0, 0, 0))
    await book.log([record("a", 1, day1), record("b", 2, day1), record("c", 1, day1 + 86400)])
    await book.log([{**record("d", None), "status": 400}])
    book.close()
    assert active_files(root) == []
    sealed = sorted(
        p.relative_to(root / segments.SEALED).parent.as_posix()
        for p in (root / segments.SEALED).rglob("*.parquet")
    )
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert sealed == sorted(
        [
            "day=2026-03-01/version=1",
            "day=2026-03-01/version=2",
            "day=2026-03-02/version=1",
            f"day={day}/version=none",
        ]
    )
    assert len(logs.segments(db)) == 4
    window = read_log(db, since=day1 - 1, until=day1 + 1)
    assert sorted(window.request_id) == ["a", "b"]
    assert list(read_log(db, version=2).request_id) == ["b"]
    assert list(read_log(db, request_id="c").version) == [1]
    assert read_log(db, since=0).inputs.iloc[0] == '{"f0":1.5}'


async def test_a_killed_writers_segment_is_recovered_and_a_torn_line_skipped(db, tmp_path):
    root = tmp_path / "logs"
    (root / segments.ACTIVE).mkdir(parents=True)
    left = root / segments.ACTIVE / "deadhost-1-20260101T000000-00001.jsonl"
    import orjson

    left.write_bytes(
        b"".join(orjson.dumps(record(f"old-{i}")) + b"\n" for i in range(5))
        + b'{"request_id": "torn", "ts"'
    )
    book = Logbook(db, root, model="demo")
    book.start()
    book.close()
    assert book.recovered == 5
    assert not left.exists()
    assert sorted(read_log(db).request_id) == [f"old-{i}" for i in range(5)]
    from fullcycle.store import alerts

    deadline = time.monotonic() + 30  # the alert is written from a background thread
    while not alerts.open_alerts(db) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    (alert,) = alerts.open_alerts(db)  # an unclean stop is on record, not only repaired
    assert alert["key"].startswith("log.unclean_stop:") and alert["data"] == {"rows": 5}


async def test_recovery_leaves_a_live_writers_segment_alone(db, tmp_path):
    root = tmp_path / "logs"
    live = Logbook(db, root, model="demo")
    live.start()
    await live.log([record("live-1")], wait=True)
    other = Logbook(db, root, model="demo", replica="other")
    other.start()
    other.close()
    assert other.recovered == 0
    assert len(active_files(root)) == 1
    live.close()
    assert list(read_log(db).request_id) == ["live-1"]


async def test_sealing_twice_registers_once(db, tmp_path):
    root = tmp_path / "logs"
    (root / segments.ACTIVE).mkdir(parents=True)
    seg = root / segments.ACTIVE / "x-1.jsonl"
    import orjson

    seg.write_bytes(orjson.dumps(record("r1")) + b"\n")
    copy = seg.read_bytes()
    segments.seal(db, root, seg, replica="x", model="demo")
    seg.write_bytes(copy)  # as if the process died after writing Parquet, before unlinking
    segments.seal(db, root, seg, replica="x", model="demo")
    assert len(logs.segments(db)) == 1
    assert list(read_log(db).request_id) == ["r1"]


async def test_age_rotation_seals_while_running(db, tmp_path):
    book = Logbook(
        db,
        tmp_path / "logs",
        model="demo",
        config=LogConfig(segment_max_age_s=0.05, fsync_interval_s=0.01),
    )
    book.start()
    try:
        await book.log([record("early")], wait=True)
        for _ in range(100):
            await asyncio.sleep(0.05)
            if logs.segments(db):
                break
        assert list(read_log(db).request_id) == ["early"]
    finally:
        book.close()


class _Stalled:
    """A writer thread that lives but never takes anything from the queue."""

    def is_alive(self) -> bool:
        return True


async def test_a_full_queue_pushes_back_with_503_never_drops(db, tmp_path):
    book = Logbook(
        db, tmp_path / "logs", model="demo", config=LogConfig(queue_max=2, enqueue_timeout_s=0.05)
    )
    # writer not started: nothing drains the queue, as under a stalled disk
    book._threads.append(_Stalled())  # type: ignore[arg-type]
    await book.log([record("1")])
    await book.log([record("2")])
    with pytest.raises(StoreUnavailable, match="queue is full"):
        await book.log([record("3")])
    assert book.dropped == 0 and book.depth() == 2
    book._threads.clear()


def test_fsync_interval_config_is_checked():
    from fullcycle.errors import ConfigError

    with pytest.raises(ConfigError, match="durability"):
        LogConfig(durability="sometimes")


async def test_with_the_store_down_segments_wait_on_disk_and_seal_later(db, tmp_path):
    from fullcycle.store.db import Database

    root = tmp_path / "logs"
    down = Database(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")  # cannot be opened
    book = Logbook(down, root, model="demo", config=LogConfig(fsync_interval_s=0.01))
    book.start()
    await book.log([record("kept")], wait=True)
    book.close()
    assert book.seal_errors >= 1 and len(active_files(root)) == 1
    again = Logbook(db, root, model="demo")
    again.start()
    again.close()
    assert again.recovered == 1 and list(read_log(db).request_id) == ["kept"]


async def test_a_recovery_the_store_refused_at_start_is_retried_while_the_server_runs(
    db, tmp_path, monkeypatch
):
    """A killed process's segment waits on disk while the store is down at start, and is
    sealed once the store answers, not only at the next start (there may be none soon)."""
    import orjson

    from fullcycle.serving import logbook as logbook_module
    from fullcycle.store import alerts

    root = tmp_path / "logs"
    (root / segments.ACTIVE).mkdir(parents=True)
    left = root / segments.ACTIVE / "deadhost-1-20260101T000000-00001.jsonl"
    left.write_bytes(b"".join(orjson.dumps(record(f"old-{i}")) + b"\n" for i in range(3)))
    real, calls = segments.recover, []

    def down_at_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise StoreUnavailable("the store is down")
        return real(*args, **kwargs)

    monkeypatch.setattr(logbook_module.segments, "recover", down_at_first)
    monkeypatch.setattr(logbook_module, "SEAL_RETRY_S", 0.05)
    book = Logbook(db, root, model="demo")
    book.start()
    assert book.recovered == 0 and book.seal_errors == 1 and left.exists()
    await book.log([record("live")], wait=True)  # the live log goes on meanwhile
    deadline = time.monotonic() + 30
    while left.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not left.exists() and book.recovered == 3
    assert sorted(read_log(db).request_id) == ["old-0", "old-1", "old-2"]
    book.close()
    assert sorted(read_log(db).request_id) == ["live", "old-0", "old-1", "old-2"]
    assert len(calls) == 2  # retried until it worked, then no more
    (alert,) = alerts.open_alerts(db)
    assert alert["key"].startswith("log.unclean_stop:") and alert["data"] == {"rows": 3}


async def test_a_new_segment_is_never_found_unlocked_by_a_recovery(db, tmp_path, monkeypatch):
    """Recovery in another process between a writer's open and its lock would seal the new
    file away under it: the file is locked before it gets the name recovery reads."""
    from fullcycle.serving import logbook as logbook_module

    root = tmp_path / "logs"
    seen: list[list[Path]] = []
    real_flock = logbook_module.fcntl.flock

    def flock_and_look(fd, op):
        seen.append(active_files(root))  # what a recovery would find at this instant
        return real_flock(fd, op)

    monkeypatch.setattr(logbook_module.fcntl, "flock", flock_and_look)
    book = Logbook(db, root, model="demo")
    book.start()
    await book.log([record("one")], wait=True)
    book.close()
    assert seen and all(found == [] for found in seen)
    stale = root / segments.ACTIVE / f"gone{segments.OPENING}"
    stale.touch()
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    fresh = root / segments.ACTIVE / f"opening-now{segments.OPENING}"
    fresh.touch()
    segments.recover(db, root, replica="r", model="demo")
    assert not stale.exists() and fresh.exists()  # a writer may be between open and rename
    assert list(read_log(db).request_id) == ["one"]
