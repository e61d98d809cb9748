"""Artifacts and prediction-log segments on S3-compatible storage (moto's server, started here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import s3kit
import scalekit as kit

from fullcycle.errors import IntegrityError, StoreUnavailable
from fullcycle.executor import LocalExecutor, SerialExecutor
from fullcycle.monitoring.compare import compare
from fullcycle.monitoring.reference import build_reference
from fullcycle.scale.archive import archive_segments
from fullcycle.scale.batch import predict_batch
from fullcycle.scale.drift_window import drift_log_window, drift_window
from fullcycle.store import logs
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database

pytest.importorskip("s3fs")
pytest.importorskip("moto")


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, Any]]:
    """moto's S3 server and a fault proxy in front of it; clients go through the proxy."""
    import boto3
    import s3fs

    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    with s3kit.moto_server() as url, s3kit.FaultProxy(url) as proxy:
        direct = boto3.client("s3", endpoint_url=url)
        direct.create_bucket(Bucket=s3kit.BUCKET)
        os.environ["AWS_ENDPOINT_URL"] = proxy.url
        s3fs.S3FileSystem.clear_instance_cache()
        try:
            yield {"proxy": proxy, "direct": direct}
        finally:
            os.environ.clear()
            os.environ.update(saved)
            s3fs.S3FileSystem.clear_instance_cache()


def _keys(s3: dict[str, Any], prefix: str) -> list[str]:
    listed = s3["direct"].list_objects_v2(Bucket=s3kit.BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_artifacts_round_trip_on_s3(s3: dict[str, Any], tmp_path: Path) -> None:
    store = ArtifactStore(f"s3://{s3kit.BUCKET}/round")
    sha = store.put_bytes(b"model bytes")
    assert store.put_bytes(b"model bytes") == sha  # content-addressed: stored once
    assert store.exists(sha) and store.get_bytes(sha) == b"model bytes"
    (tmp_path / "f.bin").write_bytes(b"x" * 3_000_000)
    big = store.put_file(tmp_path / "f.bin")
    with store.local_copy(big) as path:
        assert path.read_bytes() == b"x" * 3_000_000
    assert sorted(store.keys()) == sorted([sha, big])
    assert _keys(s3, "round/") == sorted(f"round/{k[:2]}/{k}" for k in (sha, big))


def test_a_changed_object_on_s3_is_refused(s3: dict[str, Any]) -> None:
    store = ArtifactStore(f"s3://{s3kit.BUCKET}/tamper")
    sha = store.put_bytes(b"the real model")
    s3["direct"].put_object(Bucket=s3kit.BUCKET, Key=f"tamper/{sha[:2]}/{sha}", Body=b"evil")
    with pytest.raises(IntegrityError, match=sha[:12]):
        store.get_bytes(sha)


def test_transient_storage_errors_are_retried(s3: dict[str, Any]) -> None:
    store = ArtifactStore(f"s3://{s3kit.BUCKET}/flaky")
    proxy = s3["proxy"]
    before = proxy.failed
    proxy.fail_writes = 2
    sha = store.put_bytes(b"survives two 503s")
    assert proxy.failed - before == 2
    assert store.get_bytes(sha) == b"survives two 503s"


@pytest.mark.slow
def test_persistent_storage_errors_end_clean_with_nothing_half_written(s3: dict[str, Any]) -> None:
    store = ArtifactStore(f"s3://{s3kit.BUCKET}/down")
    proxy = s3["proxy"]
    proxy.fail_writes = 10**9
    try:
        with pytest.raises(StoreUnavailable, match=f"s3://{s3kit.BUCKET}/down"):
            store.put_bytes(b"never stored")
    finally:
        proxy.fail_writes = 0
    assert _keys(s3, "down/") == []  # neither the object nor a temporary one


def test_log_segments_and_batch_input_read_from_s3(s3: dict[str, Any], tmp_path: Path) -> None:
    import fsspec

    reference = build_reference(
        kit.frame(3_000, seed=1), {"x": "numeric", "colour": "categorical"}, sketch_size=100
    )
    window = kit.frame(2_000, seed=5, shift=0.4)[["x", "colour"]]
    fs = fsspec.filesystem("s3")
    urls = []
    for a in range(0, 2_000, 500):
        local = tmp_path / f"seg{a}.parquet"
        kit.log_segment(window.iloc[a : a + 500], local, a)
        key = f"{s3kit.BUCKET}/logs/sealed/day=2026-01-01/version=1/seg{a}.parquet"
        fs.put_file(str(local), key)
        urls.append(f"s3://{key}")
    policy = {"domain_classifier": False}
    got = drift_window(reference, urls, SerialExecutor(), policy=policy)
    want = compare(reference, window, policy=policy)
    assert [(f.name, f.stats["psi"], f.verdict) for f in got.features] == [
        (f.name, f.stats["psi"], f.verdict) for f in want.features
    ]

    data = kit.labelled(4_000, seed=6)
    model = kit.classifier(data)
    data.to_parquet(tmp_path / "in.parquet", row_group_size=1_000)
    fs.put_file(str(tmp_path / "in.parquet"), f"{s3kit.BUCKET}/batch/in.parquet")
    result = predict_batch(
        model,
        f"s3://{s3kit.BUCKET}/batch/in.parquet",
        tmp_path / "out.parquet",
        LocalExecutor(2),
        partition_rows=1_000,
        columns=["a", "b"],
    )
    assert result.rows == 4_000
    scored = pd.read_parquet(tmp_path / "out.parquet")
    assert scored["prediction"].tolist() == model.predict(data[["a", "b"]]).tolist()


def _register(db: Database, frame: pd.DataFrame, root: Path, n_parts: int) -> None:
    size = len(frame) // n_parts
    for i in range(n_parts):
        path = root / "sealed" / "day=2026-01-01" / "version=1" / f"r{i}-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        kit.log_segment(frame.iloc[i * size : (i + 1) * size], path, i * size)
        logs.register_segment(
            db,
            path=str(path),
            replica=f"r{i}",
            model="churn",
            t_min=float(i),
            t_max=i + 0.5,
            n_rows=size + 2,
            sha256=None,
            versions=[1],
            id_min="r0",
            id_max="r9",
        )


def test_sealed_segments_archived_to_s3_are_what_monitoring_reads(
    s3: dict[str, Any], tmp_path: Path, db_url: str
) -> None:
    db = Database.open(db_url)
    try:
        reference = build_reference(
            kit.frame(3_000, seed=1), {"x": "numeric", "colour": "categorical"}, sketch_size=100
        )
        window = kit.frame(1_500, seed=5, shift=0.4)[["x", "colour"]]
        _register(db, window, tmp_path / "logs", n_parts=3)
        url = f"s3://{s3kit.BUCKET}/archive-{db.dialect}"
        policy = {"domain_classifier": False}
        before = drift_log_window(db, reference, executor=SerialExecutor(), policy=policy)

        s3["proxy"].fail_writes = 10**9
        try:
            with pytest.raises(StoreUnavailable, match="stays on local disk"):
                archive_segments(db, url)
        finally:
            s3["proxy"].fail_writes = 0
        assert all("://" not in s.path and Path(s.path).exists() for s in logs.segments(db))

        result = archive_segments(db, url)
        assert result.moved == 3
        assert all(s.path.startswith("s3://") for s in logs.segments(db))
        assert not list((tmp_path / "logs").rglob("*.parquet"))  # moved, not copied
        assert archive_segments(db, url).moved == 0
        after = drift_log_window(db, reference, executor=SerialExecutor(), policy=policy)
        assert after.to_dict() == before.to_dict()
        want = compare(reference, window, policy=policy)
        assert [(f.name, f.stats["psi"], f.verdict) for f in after.features] == [
            (f.name, f.stats["psi"], f.verdict) for f in want.features
        ]
    finally:
        db.dispose()
