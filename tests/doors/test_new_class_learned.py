"""A class the target never had: with ``retraining.new_classes: ask`` (the default) the loop
alerts and leaves its rows out; with ``learn`` it adds the class to the target's classes in
``fullcycle.yaml`` once enough labelled rows name it, on record, and the rows then count."""

from __future__ import annotations

import pytest
import yaml
from doorkit import breast_cancer, make_project, predict, records

from fullcycle.loop.controller import NEW_CLASS_MIN_ROWS, Controller
from fullcycle.store import alerts, logs

pytestmark = pytest.mark.anyio


async def _served_with_a_new_class(tmp_path, serve, name: str, new: int):
    frame = breast_cancer()
    project = make_project(tmp_path / name, frame, "classification")
    async with serve(project) as client:
        ids = await predict(client, frame, 60, 200)
    truth = frame["label"].iloc[200:260].tolist()
    labels = [2] * new + truth[new:]  # the first rows name a class no model has seen
    logs.add_feedback(project._db, [(r, y, True) for r, y in zip(ids, labels, strict=True)])
    return project


def _open_keys(project) -> set[str]:
    return {a["key"] for a in alerts.open_alerts(project._db)}


async def test_ask_leaves_the_class_out_and_the_scope_alone(tmp_path, serve) -> None:
    project = await _served_with_a_new_class(tmp_path, serve, "ask", NEW_CLASS_MIN_ROWS + 5)
    before = project.settings.scope_path.read_text("utf-8")
    assert project.scope.retraining.new_classes == "ask"
    _, context = Controller(project).observe()
    rows = context["labelled"]
    assert 2 not in set(rows["label"]) and len(rows) == 60 - NEW_CLASS_MIN_ROWS - 5
    assert "new_class:doors:2" in _open_keys(project)
    assert project.settings.scope_path.read_text("utf-8") == before
    assert not project.events(kind="scope.target_class")


async def test_learn_adds_the_class_once_enough_rows_name_it(tmp_path, serve) -> None:
    project = await _served_with_a_new_class(tmp_path, serve, "learn", NEW_CLASS_MIN_ROWS - 1)
    path = project.settings.scope_path
    text = path.read_text("utf-8").replace("new_classes: ask", "new_classes: learn")
    path.write_text("# kept: a comment outside features\n" + text, "utf-8")
    project.reload_scope()
    # one row short: the class waits, announced
    _, context = Controller(project).observe()
    assert 2 not in set(context["labelled"]["label"])
    assert "new_class:doors:2" in _open_keys(project)
    # one more row names it: taken in, on record; its rows count; the alert closes
    await _one_more_row_naming(project, serve, 2)
    _, context = Controller(project).observe()
    rows = context["labelled"]
    assert (rows["label"] == 2).sum() == NEW_CLASS_MIN_ROWS
    scope = yaml.safe_load(path.read_text("utf-8"))
    assert scope["features"]["target"]["classes"] == [0, 1, 2]
    assert path.read_text("utf-8").startswith("# kept: a comment outside features\n")
    assert project.reload_scope().contract.target.classes == [0, 1, 2]
    (event,) = project.events(kind="scope.target_class")
    assert event.actor == "loop" and "added class 2" in event.message
    assert "new_class:doors:2" not in _open_keys(project)
    # taken in once: a second look adds nothing
    Controller(project).observe()
    assert len(project.events(kind="scope.target_class")) == 1


async def _one_more_row_naming(project, serve, cls: int) -> None:
    frame = breast_cancer()
    async with serve(project) as client:
        res = await client.post("/predict", json={"records": records(frame, 1, 300)})
    logs.add_feedback(project._db, [(res.json()["request_id"], cls, True)])
