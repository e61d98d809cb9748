from __future__ import annotations

from collections.abc import Iterator

import pytest
from scalekit import HERE

from fullcycle.scale.cluster import ProcessCluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessCluster]:
    """A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("dask")
    with ProcessCluster(folder, workers=2, env={"PYTHONPATH": str(HERE)}) as running:
        yield running
