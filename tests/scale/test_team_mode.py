"""Team mode end to end: PostgreSQL metadata, artifacts on S3 (moto's server), two server
replicas against the same store that move to a new version together, one log read over both."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import s3kit
import teamkit

from fullcycle.serving.logbook import read_log
from fullcycle.store import deployments, logs
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database
from fullcycle.testing import free_port, wait_serving, wait_until

pytest.importorskip("s3fs")
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "fullcycle.serving", "--source", "teamkit:make_source"]
    cmd += ["--model", teamkit.MODEL, "--port", str(port), "--poll-s", "0.2", "--no-auth"]
    proc = subprocess.Popen(cmd, env=env)
    wait_serving(proc, port, what=f"replica on {port}")
    return proc


def _predict(port: int, rid: str) -> str | None:
    r = httpx.post(
        f"http://127.0.0.1:{port}/predict",
        json={"records": teamkit.rows(1, seed=len(rid))},
        headers={"X-Request-ID": rid},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.headers.get("x-model-version")


@pytest.fixture
def team(pg_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    import boto3

    with s3kit.moto_server() as s3_url:
        creds = {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
        creds |= {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": s3_url}
        boto3.client("s3", endpoint_url=s3_url, **_boto(creds)).create_bucket(Bucket="team")
        yield {
            **creds,
            "FULLCYCLE_DATABASE_URL": pg_url,
            "FULLCYCLE_ARTIFACT_URL": "s3://team/artifacts",
            "FULLCYCLE_PROJECT_DIR": str(tmp_path),
        }


def _boto(creds: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": creds["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": creds["AWS_SECRET_ACCESS_KEY"],
        "region_name": creds["AWS_DEFAULT_REGION"],
    }


def test_two_replicas_share_the_store_move_together_and_log_to_one_place(
    team: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    for key, value in team.items():
        monkeypatch.setenv(key, value)
    s3fs.S3FileSystem.clear_instance_cache()
    artifacts = ArtifactStore(team["FULLCYCLE_ARTIFACT_URL"])
    shas = {str(v): artifacts.put_bytes(teamkit.model_bytes(v)) for v in (1, 2)}
    db = Database.open(team["FULLCYCLE_DATABASE_URL"])
    deployments.set(db, teamkit.MODEL, production=1, actor="test")
    env = {**os.environ, "FULLCYCLE_TEST_SHAS": json.dumps(shas)}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(teamkit.__file__).rsplit("/", 1)[0], env.get("PYTHONPATH", "")]
    )
    ports = [free_port(), free_port()]
    procs = []
    try:
        procs = [_start(env, port) for port in ports]
        sent = 0
        for i in range(10):
            assert _predict(ports[i % 2], f"before-{i}") == "1"
            sent += 1
        deployments.set(db, teamkit.MODEL, production=2, actor="test")
        moved = set()

        def both_moved() -> bool:
            nonlocal sent
            for port in ports:
                if _predict(port, f"after-{port}-{sent}") == "2":
                    moved.add(port)
                sent += 1
            return moved == set(ports)

        wait_until(both_moved, timeout=30, interval=0.1, what="both replicas to serve version 2")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(60)
    log = read_log(db)
    assert len(log) == sent  # every request of both replicas, read once
    assert set(log["version"]) == {1, 2}
    assert len({s.replica for s in logs.segments(db)}) == 2
    db.dispose()
