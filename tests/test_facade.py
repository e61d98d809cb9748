"""The facade is complete and documented: groups shaped like the CLI's, flat methods kept."""

from __future__ import annotations

import pydoc
from pathlib import Path

import pytest

import fullcycle as fc
from fullcycle.errors import NotFound

GROUPS = {
    "data": {"add", "get", "list", "load", "lineage"},
    "runs": {"list", "get", "metric_history"},
    "models": {"list", "show", "register", "promote", "import_file", "trust", "load", "aliases"},
    "deployments": {"current", "history", "production", "canary", "shadow", "promote_canary",
                    "rollback", "rollback_targets"},
    "labels": {"queue", "export", "import_file", "merge", "label_one", "withdraw", "progress"},
    "tokens": {"create", "list", "revoke", "authenticate", "bootstrap_admin"},
    "monitor": {"run", "reports", "alerts", "html"},
    "loop": {"step", "submit", "rollouts"},
}  # fmt: skip


def _public(obj: object) -> dict[str, object]:
    return {n: v for n, v in vars(obj).items() if not n.startswith("_")}


def test_every_public_project_member_and_group_verb_has_a_docstring() -> None:
    for name, member in _public(fc.Project).items():
        doc = getattr(member, "__doc__", None) or getattr(
            getattr(member, "func", None), "__doc__", None
        )
        assert doc and doc.strip(), f"Project.{name} has no docstring"
    text = pydoc.render_doc(fc.Project, renderer=pydoc.plaintext)
    assert "deployments" in text and "Point ``alias``" in text


def test_groups_carry_the_cli_verbs_and_the_flat_methods_still_work(tmp_path: Path) -> None:
    project = fc.Project.init(tmp_path / "p", "p")
    for group, verbs in GROUPS.items():
        obj = getattr(project, group)
        for verb in verbs:
            method = getattr(obj, verb)
            assert callable(method) and (method.__doc__ or "").strip(), f"{group}.{verb}"
    assert project.models() == project.models.list() == []
    assert project.runs() == project.runs.list() == []
    label, token = project.tokens.create("read")
    assert [t.name for t in project.tokens()] == [label]
    assert project.tokens.authenticate(token).role == "read"
    assert project.deployments.current() is None
    with pytest.raises(NotFound, match="p:3"):
        project.deployments.production("p:3")
    assert project.deployments.current() is None
