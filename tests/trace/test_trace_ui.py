"""The dashboard's trace page: the chain for a known id, the problem for a bad one."""

from __future__ import annotations

from pathlib import Path

from tracekit import NAME, make_project, serve, world
from uikit import client


def test_the_trace_page_shows_the_chain_and_names_bad_ids(tmp_path: Path, db_url: str) -> None:
    project = make_project(tmp_path / "p", db_url)
    serve(project, world(1, 2, seed=2), ["ui-1", "ui-2"], feedback=True)
    ui = client(project)
    try:
        text = ui.get("/trace?id=ui-1").text
        parts = ("1. Prediction", f"{NAME}:1", "3. Training run", "Lineage:", "Feedback: label")
        for part in parts:
            assert part in text, part
        assert "Missing links" not in text
        text = ui.get("/trace?id=ui-9").text
        assert "no prediction with request id ui-9" in text and "1. Prediction" not in text
        res = ui.get("/trace", params={"id": "<script>alert(1)</script>"})
        assert res.status_code == 200 and "malformed" in res.text
        assert "<script>alert(1)" not in res.text
        assert ui.get("/trace").status_code == 200
    finally:
        ui.close()
