"""A damaged sealed segment is set aside and reported; the window is computed from the rest
(issue 16.10: 64 flipped bytes of one Parquet segment crashed ``monitor`` and the loop)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fullcycle.serving import segments
from fullcycle.serving.logbook import Logbook, LogConfig, read_log
from fullcycle.store import alerts, events, logs


def record(rid: str) -> dict:
    return {
        "request_id": rid,
        "row": 0,
        "ts": time.time(),
        "model": "demo",
        "version": 1,
        "route": "production",
        "status": 200,
        "latency_ms": 1.0,
        "inputs": {"f0": 1.5},
        "output": "yes",
        "proba": [0.2, 0.8],
        "error": None,
    }


def sealed_segments(db, root: Path, batches: list[list[str]]) -> list[str]:
    """One sealed segment per batch of request ids; their paths, in order."""
    for ids in batches:
        book = Logbook(db, root, model="demo", config=LogConfig(durability="strict"))
        book.start()
        asyncio.run(book.log([record(i) for i in ids]))
        book.close()
    return [s.path for s in logs.segments(db)]


def flip(path: str, offset: int = 40, n: int = 64) -> None:
    data = bytearray(Path(path).read_bytes())
    for i in range(offset, min(offset + n, len(data) - 8)):
        data[i] ^= 0xFF
    Path(path).write_bytes(bytes(data))


def test_a_flipped_segment_is_quarantined_and_the_window_read_from_the_rest(db, tmp_path):
    root = tmp_path / "logs"
    good, bad = sealed_segments(db, root, [["a1", "a2"], ["b1", "b2", "b3"]])
    flip(bad)
    frame = read_log(db)
    assert sorted(frame.request_id) == ["a1", "a2"]
    assert [s.path for s in logs.segments(db)] == [good]  # out of the index
    assert not Path(bad).exists()
    assert list((root / "quarantine").glob("*.parquet"))  # kept for a human, not deleted
    (event,) = events.listing(db, kind="log.quarantined")
    assert event.subject == bad
    (alert,) = alerts.open_alerts(db)
    assert alert["key"].startswith("log.corrupt:") and alert["data"]["rows"] == 3
    assert sorted(read_log(db).request_id) == ["a1", "a2"]  # the next read is clean


def test_feedback_lookups_survive_a_damaged_segment(db, tmp_path):
    root = tmp_path / "logs"
    _, bad = sealed_segments(db, root, [["a1"], ["b1"]])
    Path(bad).write_bytes(Path(bad).read_bytes()[:-100])  # truncated
    assert segments.logged_ids(db, ["a1", "b1", "zz"]) == {"a1"}
    assert alerts.open_alerts(db)


def test_two_readers_that_meet_the_same_damage_set_it_aside_once(db, tmp_path):
    """The server and ``loop --watch`` read the log at the same time; both find the damaged
    segment. The one that takes it out of the index says so; the other records nothing (the
    chaos run saw two ``log.quarantined`` events for one file)."""
    from fullcycle.serving import quarantine

    root = tmp_path / "logs"
    good, bad = sealed_segments(db, root, [["a1", "a2"], ["b1", "b2", "b3"]])
    flip(bad)
    (seg,) = [s for s in logs.segments(db) if s.path == bad]  # what both readers listed
    quarantine._set_aside(db, seg, "first reader")
    quarantine._set_aside(db, seg, "second reader")  # the file is gone already: no error
    (event,) = events.listing(db, kind="log.quarantined")
    assert event.data["reason"] == "first reader"
    assert event.data["moved_to"] and Path(event.data["moved_to"]).exists()
    assert len(alerts.open_alerts(db)) == 1
    assert [s.path for s in logs.segments(db)] == [good]
    again = logs.quarantine_segment(db, bad, moved_to=None, reason="third", actor="test")
    assert again is False and len(events.listing(db, kind="log.quarantined")) == 1
    assert sorted(read_log(db).request_id) == ["a1", "a2"]
