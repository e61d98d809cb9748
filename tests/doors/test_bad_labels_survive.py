"""Bad labels already in the store (written before the door checked them) stop nothing: monitor
and the loop's observation skip and count them (issue 16 item 4)."""

from __future__ import annotations

import pytest
from doorkit import breast_cancer, make_project, predict

from fullcycle.loop.controller import Controller
from fullcycle.store import alerts, logs

pytestmark = pytest.mark.anyio


async def test_monitor_and_the_loop_survive_bad_stored_labels(tmp_path, serve) -> None:
    frame = breast_cancer()
    project = make_project(tmp_path / "p", frame, "classification")
    async with serve(project) as client:
        ids = await predict(client, frame, 40, 100)
    truth = frame["label"].iloc[100:140].tolist()
    legacy = [[1, 2], {"a": 1}, float("nan"), "1.0", "0", 1.0, 7]  # as main used to store them
    labels = [*legacy, *truth[len(legacy) :]]
    logs.add_feedback(project._db, [(r, y, True) for r, y in zip(ids, labels, strict=True)])
    report = project.monitor()
    perf = report.performance
    assert perf["rows"] == 37  # the list, the object and NaN are left out; "1.0" is the class 1
    obs, context = Controller(project).observe()
    rows = context["labelled"]
    assert len(rows) == 36 and set(rows["label"]) <= {0, 1}  # and 7, a new class, waits
    assert rows.attrs["skipped"] == 3
    keys = {a["key"] for a in alerts.open_alerts(project._db)}
    assert {"new_class:doors:7", "bad_labels:doors"} <= keys
