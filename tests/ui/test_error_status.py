"""The dashboard answers errors with the server's statuses (one map, serving/statuses.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from uikit import UIClient

from fullcycle import errors as E
from fullcycle.project import Project
from fullcycle.serving import statuses
from fullcycle.ui import sources


@pytest.mark.parametrize(
    "error, status, shown",
    [
        (E.IntegrityError("artifact ab/cd does not match its sha256"), 500, "sha256"),
        (E.NotFound("no such model"), 404, "no such model"),
        (E.StoreUnavailable("store down"), 503, "store down"),
        (RuntimeError("secret detail /etc/passwd"), 500, "internal error"),
        (ValueError("secret detail"), 500, "internal error"),
    ],
)
def test_a_corrupt_artifact_or_a_bug_is_a_server_error_not_a_bad_request(
    bare_project: Project,
    client_for: Callable[..., UIClient],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    status: int,
    shown: str,
) -> None:
    def fail(*_: Any) -> Any:
        raise error

    monkeypatch.setattr(sources, "events_page", fail)
    res = client_for(bare_project).get("/events")
    assert res.status_code == status == statuses.status_of(error)
    assert shown in res.text and "secret detail" not in res.text


def test_the_map_puts_subclasses_before_their_parents() -> None:
    seen: list[type[BaseException]] = []
    for kind, _ in statuses.STATUS:
        assert not any(issubclass(kind, earlier) for earlier in seen), kind
        seen.append(kind)
    assert statuses.status_of(E.BadRequest("x")) == 400
    assert statuses.status_of(E.ContractViolation("x")) == 422
    assert statuses.status_of(E.MalformedInput("x")) == 400
    assert statuses.status_of(KeyError("x")) == 500
