"""One request id is found without scanning the whole log: the segments' id ranges prune files,
and sorted row groups prune inside a file."""

from __future__ import annotations

from pathlib import Path

import orjson

from fullcycle.serving import segments
from fullcycle.store import logs
from fullcycle.store.db import Database


def _seal(db: Database, root: Path, name: str, ids: list[str], ts: float) -> None:
    path = root / segments.ACTIVE / f"{name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        orjson.dumps(
            {
                "request_id": rid,
                "row": 0,
                "ts": ts + i * 0.001,
                "model": "m",
                "version": 1,
                "route": "production",
                "status": 200,
                "latency_ms": 1.0,
                "inputs": {"x": i},
                "output": "a",
                "proba": None,
                "error": None,
            }
        )
        for i, rid in enumerate(ids)
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    segments.seal(db, root, path, replica="r", model="m")


def test_time_ordered_ids_open_one_segment(db_url: str, tmp_path: Path) -> None:
    db = Database.open(db_url)
    for seg in range(5):
        _seal(db, tmp_path, f"s{seg}", [f"{seg:04d}-{i:05d}" for i in range(100)], 1e9 + seg)
    assert len(logs.segments(db)) == 5
    found = logs.segments(db, request_id="0003-00042")
    assert len(found) == 1 and "s3" in found[0].path
    assert logs.segments(db, request_id="0009-00000") == []
    rows = segments.read_log(db, request_id="0003-00042")
    assert list(rows["request_id"]) == ["0003-00042"]
    db.dispose()


def test_an_id_longer_than_the_stored_bound_is_still_found(db_url: str, tmp_path: Path) -> None:
    db = Database.open(db_url)
    long = "a" * 64 + "zzzz"  # the largest id of its segment, cut to 64 characters in the index
    _seal(db, tmp_path, "s", ["a" * 10, long], 1e9)
    assert len(logs.segments(db, request_id=long)) == 1
    assert list(segments.read_log(db, request_id=long)["request_id"]) == [long]
    db.dispose()


def test_sealed_rows_are_sorted_into_row_groups_that_do_not_overlap(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    db = Database.open(f"sqlite:///{tmp_path / 's.db'}")
    ids = [f"{(i * 7919) % 20000:05d}-client" for i in range(20000)]  # no time order
    _seal(db, tmp_path, "s", ids, 1e9)
    meta = pq.ParquetFile(logs.segments(db)[0].path).metadata
    assert meta.num_row_groups >= 3
    bounds = [
        (meta.row_group(g).column(0).statistics.min, meta.row_group(g).column(0).statistics.max)
        for g in range(meta.num_row_groups)
    ]
    assert all(hi < lo for (_, hi), (lo, _) in zip(bounds, bounds[1:], strict=False))
    db.dispose()


def test_two_logbooks_of_one_replica_within_a_second_keep_both_logs(tmp_path: Path) -> None:
    import asyncio

    from fullcycle.serving.logbook import Logbook

    db = Database.open(f"sqlite:///{tmp_path / 's.db'}")
    for rid in ("first", "second"):  # a restart with the same replica name, at once
        book = Logbook(db, tmp_path / "logs", model="m", replica="same")
        book.start()
        row = {"request_id": rid, "row": 0, "ts": 1e9, "model": "m", "version": 1}
        asyncio.run(book.log([row], wait=True))
        book.close()
    assert len(logs.segments(db)) == 2
    for rid in ("first", "second"):
        assert list(segments.read_log(db, request_id=rid)["request_id"]) == [rid]
    db.dispose()
