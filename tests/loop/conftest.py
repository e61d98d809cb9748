"""The loop tests' shared set-up: one BLAS thread (the tests run two at a time on two cores)
and asyncio for the tests that serve traffic through the real app."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
