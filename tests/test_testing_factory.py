"""``fullcycle.testing.make_project``: the one public factory of real test projects."""

from __future__ import annotations

from pathlib import Path

from fullcycle.testing import make_project


def test_an_empty_project_has_a_scope_and_a_store(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", "churn")
    assert project.name == "churn" and project.datasets() == [] and project.models() == []
    assert (tmp_path / "p" / ".fullcycle").is_dir()
    project.close()


def test_a_deployed_project_serves_its_last_version(tmp_path: Path, db_url: str) -> None:
    project = make_project(
        tmp_path / "p", "churn", database_url=db_url, rows=120, versions=2, deploy=True
    )
    assert [d.ref for d in project.datasets()] == ["rows@1"]
    assert [v.ref for v in project.models()] == ["churn:1", "churn:2"]
    assert project.deployments.current().production == 2
    assert project.production_version().ref == "churn:2"
    assert project.models.show("churn:2").metrics["metric"]["value"] is not None
    project.close()


def test_a_served_project_writes_its_scope_from_the_table_and_serves_version_one(
    tmp_path: Path, db_url: str
) -> None:
    import numpy as np
    import pandas as pd

    from fullcycle.testing import make_served_project

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    frame = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "label": np.where(x[:, 0] > 0, "b", "a")})
    project = make_served_project(
        tmp_path / "p",
        frame,
        "shift",
        goal=0.6,
        params={"max_iter": 50},
        sections={"monitoring": {"min_rows": 40}},
        database_url=db_url,
        actor="factory",
    )
    scope = project.scope
    assert [c.name for c in scope.features.features] == ["x0", "x1"]
    assert scope.features.target.classes == ["a", "b"]
    assert scope.training.params == {"max_iter": 50} and scope.monitoring.min_rows == 40
    assert [d.ref for d in project.datasets()] == ["rows@1"]
    assert project.production_version().ref == "shift:1"
    assert project.deployments.current().production == 1
    assert {e.actor for e in project.events(kind="model.")} == {"factory"}
    project.close()
