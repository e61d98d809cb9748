"""The server's logs: level, an access record per request (request id, route, status,
latency, version), text or JSON lines; the options of ``fullcycle serve`` reach the workers."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys

import httpx
import pytest
from serving_fixtures import MODEL, rows
from test_server import HERE

from fullcycle.errors import ConfigError
from fullcycle.serving.logformat import ACCESS_LOGGER, JSONFormatter, log_config
from fullcycle.serving.server import ServeOptions
from fullcycle.store import deployments
from fullcycle.store.db import Database
from fullcycle.testing import free_port, wait_serving


@pytest.mark.anyio
async def test_the_access_log_names_request_route_status_latency_and_version(make_client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    async with make_client(app_options={"access_log": True}) as client:
        await client.post("/predict", json={"records": rows(1)}, headers={"X-Request-ID": "a-1"})
        await client.post(
            "/predict", json={"records": [{"f0": "x"}]}, headers={"X-Request-ID": "b-2"}
        )
        await client.get("/nope")
    records = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    by_id = {r.request_id: r for r in records}  # type: ignore[attr-defined]
    ok, bad = by_id["a-1"], by_id["b-2"]
    assert (ok.route, ok.status, ok.version, ok.model) == ("/predict", 200, 1, MODEL)
    assert bad.status == 422 and ok.latency_ms > 0
    assert any(r.status == 404 for r in records)


@pytest.mark.anyio
async def test_no_access_log_unless_asked(make_client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    async with make_client() as client:
        await client.post("/predict", json={"records": rows(1)})
    assert not [r for r in caplog.records if r.name == ACCESS_LOGGER]


def test_json_lines_carry_the_fields_and_bad_options_are_refused():
    record = logging.makeLogRecord(
        {"name": ACCESS_LOGGER, "levelname": "INFO", "msg": "POST /predict 200", "status": 200}
    )
    line = json.loads(JSONFormatter().format(record))
    assert line["status"] == 200 and line["logger"] == ACCESS_LOGGER and line["level"] == "info"
    assert log_config("debug", "json")["loggers"]["fullcycle"]["level"] == "DEBUG"
    with pytest.raises(ConfigError, match="log level 'loud'"):
        ServeOptions(source_factory="a:b", model=MODEL, log_level="loud")
    with pytest.raises(ConfigError, match="format 'xml'"):
        ServeOptions(source_factory="a:b", model=MODEL, log_format="xml")


@pytest.mark.slow
def test_a_real_server_writes_json_access_lines_from_its_worker(tmp_path):
    (tmp_path / ".fullcycle").mkdir()
    db = Database.open(f"sqlite:///{tmp_path / '.fullcycle' / 'fullcycle.db'}")
    deployments.set(db, MODEL, production=1, actor="test")
    port = free_port()
    env = {
        **os.environ,
        "FULLCYCLE_PROJECT_DIR": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, "-m", "fullcycle.serving", "--source", "serving_fixtures:make_source"]
    cmd += ["--model", MODEL, "--port", str(port), "--no-auth", "--access-log"]
    cmd += ["--log-format", "json", "--log-level", "info"]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_serving(proc, port)
        r = httpx.post(f"{url}/predict", json={"records": rows(1)}, headers={"X-Request-ID": "z-9"})
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    assert len(lines) == len(err.splitlines()), err[:500]  # every line is JSON, uvicorn's too
    [access] = [x for x in lines if x.get("request_id") == "z-9"]
    assert access["route"] == "/predict" and access["status"] == 200 and access["version"] == 1
    assert any(x["logger"].startswith("uvicorn") for x in lines)
