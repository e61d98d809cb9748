"""Predictions keep the type they were answered with, whether their segment is sealed or still
active, and whatever refused rows sit beside them (issue 15: ``0``/``1`` read back as
``"0.0"``/``"1.0"``)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from fullcycle.monitoring.service import MonitorDeps, read_window
from fullcycle.monitoring.window import Window, decode_json_column
from fullcycle.serving.logbook import Logbook, LogConfig
from fullcycle.store.db import Database


def row(rid: str, output: Any, status: int = 200) -> dict[str, Any]:
    return {
        "request_id": rid,
        "row": 0 if status == 200 else -1,
        "ts": time.time(),
        "model": "m",
        "version": 1,
        "route": "production",
        "status": status,
        "latency_ms": 1.0,
        "inputs": {"x": 1},
        "output": output,
        "proba": None,
        "error": None if status == 200 else "refused",
    }


def logged(tmp_path: Path, *, seal: bool) -> Any:
    db = Database.open(f"sqlite:///{tmp_path / 'store.db'}")
    root = tmp_path / "logs"
    book = Logbook(db, root, model="m", config=LogConfig(durability="strict"))
    book.start()
    records = [row("a", 0), row("b", None, status=422), row("c", 1), row("d", 1)]
    asyncio.run(book.log(records))
    if seal:
        book.close()
    deps = MonitorDeps(db=db, artifacts=None, log_root=root)  # type: ignore[arg-type]
    try:
        return read_window(deps, Window(), model="m", version=None)
    finally:
        if not seal:
            book.close()


def answers(log: Any) -> list[str]:
    """The answers as the monitor compares them (``str`` of each), refused rows left out."""
    ok = log[log["status"] == 200]
    return [str(v) for v in decode_json_column(ok["output"])]


def test_integer_answers_stay_integers_in_the_active_segment(tmp_path):
    assert answers(logged(tmp_path, seal=False)) == ["0", "1", "1"]


def test_integer_answers_stay_integers_once_sealed(tmp_path):
    assert answers(logged(tmp_path, seal=True)) == ["0", "1", "1"]
