"""The dashboard on a project built through every stage: promote, roll back, label, undo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from uikit import HOSTILE, PAGES, UIClient, csrf_of, full_project

from fullcycle.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return full_project(tmp_path / "churn")


def production(project: Project) -> int:
    return next(a.version for a in project.aliases("churn") if a.alias == "production")


def queued(project: Project) -> list[int]:
    from fullcycle.store import labels

    return [t.id for t in labels.tasks(project._db, status="queued")]


def test_every_page_renders_the_full_cycle(
    project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(project)
    for path in PAGES:
        res = client.get(path)
        assert res.status_code == 200, path
        assert "Nothing here yet" not in res.text or path == "/", path
        assert "<script>alert" not in res.text, path
    models = client.get("/models").text
    assert "fig-eval-1" in models and "<dt>verdict</dt>" in models
    assert "<h2>" in models and "Model card" in models  # the card's Markdown, rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in models
    assert "Roll back production" in models


def test_promote_and_rollback_through_the_forms_move_the_alias(
    project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(project)
    token = csrf_of(client)
    assert production(project) == 2
    res = client.post(
        "/models/rollback",
        data={"csrf": token, "name": "churn", "alias": "production", "reason": "latency"},
    )
    assert res.status_code == 303, res.text[-500:]
    assert production(project) == 1
    res = client.post(
        "/models/promote",
        data={
            "csrf": token,
            "name": "churn",
            "version": "2",
            "alias": "production",
            "reason": "fixed",
            "force": "on",
        },
    )
    assert res.status_code == 303
    assert production(project) == 2
    assert "production now points at churn:2" in client.get(res.headers["location"]).text
    actors = {e.actor for e in project.events(kind="model.promote", limit=10)}
    assert "ui:local" in actors


def test_a_promotion_the_gate_refuses_is_a_409_page_and_moves_nothing(
    project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(project)
    token = csrf_of(client)
    res = client.post(
        "/models/promote",
        data={
            "csrf": token,
            "name": "churn",
            "version": "1",
            "alias": "production",
            "reason": "try",
        },
    )
    assert res.status_code == 409 and "refused" in res.text
    assert production(project) == 2
    no_reason = client.post(
        "/models/promote",
        data={"csrf": token, "name": "churn", "version": "1", "alias": "production"},
    )
    assert no_reason.status_code == 400 and "reason is required" in no_reason.text


def test_a_label_given_in_the_page_lands_in_the_queue_and_undo_takes_it_back(
    project: Project, client_for: Callable[..., UIClient]
) -> None:
    from fullcycle.store import labels

    client = client_for(project)
    token = csrf_of(client)
    task = queued(project)[0]
    page = client.get("/labelling").text
    assert f'data-task="{task}"' in page and "The model suggests" in page
    res = client.post("/labelling/label", data={"csrf": token, "task_id": str(task), "label": "no"})
    assert res.status_code == 303
    stored = labels.tasks(project._db, ids=[task])[0]
    assert stored.status == "labelled" and stored.label == "no"
    assert labels.existing_labels(project._db, [task]) == {(task, "local"): "no"}
    assert "Undo the label of task" in client.get(res.headers["location"]).text
    bad = client.post(
        "/labelling/label",
        data={"csrf": token, "task_id": str(queued(project)[0]), "label": HOSTILE},
    )
    assert bad.status_code == 400 and "&lt;script&gt;" in bad.text
    res = client.post("/labelling/undo", data={"csrf": token, "task_id": str(task)})
    assert res.status_code == 303
    assert labels.tasks(project._db, ids=[task])[0].status == "queued"
    assert labels.existing_labels(project._db, [task]) == {}


def test_the_deployment_rolls_back_one_step_from_its_page(
    project: Project, client_for: Callable[..., UIClient]
) -> None:
    from fullcycle.store import deployments

    client = client_for(project)
    token = csrf_of(client)
    assert deployments.current(project._db, "churn").production == 2
    assert "Roll back the deployment" in client.get("/deployment").text
    res = client.post(
        "/deployment/rollback", data={"csrf": token, "name": "churn", "reason": "errors"}
    )
    assert res.status_code == 303
    now = deployments.current(project._db, "churn")
    assert now.canary == 2 and now.production == 1 and now.actor == "ui:local"
    assert project.models.show("churn@production").version == 1  # the alias follows
