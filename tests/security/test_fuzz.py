"""Fuzz the server's OpenAPI schema with schemathesis against a real server on 127.0.0.1
(RELIABILITY.md A 10): valid and invalid requests for every operation; no 5xx, no crash,
and every error is the JSON error body."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from serving_fixtures import MODEL
from test_server import Server

from fullcycle.store import deployments
from fullcycle.store.db import Database

EXAMPLES = 40  # per operation and mode; small input spaces end sooner: ~200 requests in all


@pytest.mark.slow
def test_fuzzing_the_openapi_schema_finds_no_5xx(tmp_path: Path) -> None:
    store = Database.open(f"sqlite:///{tmp_path / '.fullcycle' / 'fullcycle.db'}")
    deployments.set(store, MODEL, production=1, actor="test")
    server = Server(tmp_path).start()
    seen: list[tuple[str, str, int]] = []
    try:
        schema = schemathesis.openapi.from_dict(
            httpx.get(f"{server.url}/openapi.json", timeout=10).json()
        )
        operations = [op.ok() for op in schema.get_all_operations()]
        assert len(operations) >= 8
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    fuzzer(operation, mode, server.url, seen)()
                except Unsatisfiable:  # nothing to make invalid (a GET without parameters)
                    assert mode is GenerationMode.NEGATIVE
        assert httpx.get(f"{server.url}/v2/health/ready", timeout=10).status_code == 200
    finally:
        assert server.stop() == 0
    errors = sum(1 for *_, status in seen if status >= 400)
    print(f"\nfuzz: {len(seen)} requests over {len(operations)} operations, {errors} refused (4xx)")
    print(f"fuzz: 5xx seen: {sum(1 for *_, s in seen if s >= 500)}")
    assert len(seen) >= 150


def fuzzer(operation: Any, mode: GenerationMode, url: str, seen: list[Any]) -> Any:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def fuzz(case: schemathesis.Case) -> None:
        response = case.call(base_url=url, timeout=30)
        seen.append((operation.method.upper(), operation.path, response.status_code))
        assert response.status_code < 500, (operation.path, response.text[:300])
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body.get("error"), str) and body["error"], body

    return fuzz
