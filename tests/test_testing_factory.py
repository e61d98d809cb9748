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
