from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from uikit import UIClient, client

from fullcycle.project import Project


@pytest.fixture
def client_for() -> Iterator[Callable[..., UIClient]]:
    """client_for(project, auth_required=False, host=...) -> a client, closed after the test."""
    made: list[UIClient] = []

    def make(project: Project, **kw: object) -> UIClient:
        made.append(client(project, **kw))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for c in made:
        c.close()
