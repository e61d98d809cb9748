"""A real strict-mode server with ``loop --watch`` beside it, under kill -9, a full log disk,
a corrupt segment and bad feedback (issue 16, done-when): no acknowledged prediction is lost
(but those of the segment destroyed on purpose), the loop keeps running, each fault raises an
alert. The run is ``bench/chaos.py``; it prints the same figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import chaos  # noqa: E402


@pytest.mark.slow
def test_faults_beside_a_strict_server_and_the_watching_loop(tmp_path: Path) -> None:
    figures = chaos.run(tmp_path, seconds=3.0)
    print(figures)
    assert figures["acknowledged"] > 100
    assert figures["lost"] == 0
    assert figures["loop_running"] is True
    assert {"log.unclean_stop", "log.unwritable", "log.corrupt"} <= set(figures["alerts"])
    assert figures["quarantined"] == [True]
    during = figures["during_full_disk"]
    assert during.get("503", 0) > 0 and set(during) <= {"200", "503"}  # refused at once, no hang
    assert all(s in (200, 422) for s in figures["bad_feedback_statuses"])
