"""The registry-backed model source reads the scope file only when it changed."""

from __future__ import annotations

import os

import fullcycle.scope as scope_module
from fullcycle.project import Project
from fullcycle.serving.source import RegistrySource


def test_the_scope_is_read_again_only_when_the_file_changes(tmp_path, monkeypatch):
    project = Project.init(tmp_path / "p", "churn")
    reads: list[str] = []
    real = scope_module.load_scope

    def counting(path):  # type: ignore[no-untyped-def]
        reads.append(str(path))
        return real(path)

    monkeypatch.setattr(scope_module, "load_scope", counting)
    source = RegistrySource(project.settings)
    for _ in range(5):
        assert source.deployment() is None  # nothing deployed yet
    assert len(reads) == 1
    path = project.settings.scope_path
    path.write_text(path.read_text().replace("churn", "attrition", 1))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert source.deployment() is None and len(reads) == 2
    assert source._scope is not None and source._scope[1] == "attrition"
    project.close()
