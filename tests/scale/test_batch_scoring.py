"""Partitioned batch scoring: equal to one predict call, all-or-nothing output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scalekit as kit

from fullcycle.errors import ExecutorError, InvalidInput, NotFound
from fullcycle.executor import LocalExecutor, SerialExecutor
from fullcycle.scale.batch import predict_batch
from fullcycle.scale.cluster import ProcessCluster
from fullcycle.scale.dask_executor import DaskExecutor


def _expected(model: object, data: pd.DataFrame) -> pd.DataFrame:
    proba = model.predict_proba(data[["a", "b"]])  # type: ignore[attr-defined]
    out = pd.DataFrame({"row": np.arange(len(data)), "prediction": model.predict(data[["a", "b"]])})  # type: ignore[attr-defined]
    for i, label in enumerate(model.classes_):  # type: ignore[attr-defined]
        out[f"proba_{label}"] = proba[:, i]
    return out


def _parquet(data: pd.DataFrame, path: Path, row_group: int) -> Path:
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), path, row_group_size=row_group)
    return path


def test_partitions_of_a_frame_equal_one_predict_call(tmp_path: Path) -> None:
    data = kit.labelled(2_500)
    model = kit.classifier(data)
    result = predict_batch(
        model,
        data,
        tmp_path / "out.parquet",
        SerialExecutor(),
        partition_rows=300,
        columns=["a", "b"],
    )
    assert (result.rows, result.partitions) == (2_500, 9)
    got = pd.read_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(got, _expected(model, data))


def test_a_parquet_file_read_by_local_workers_gives_the_same_rows(tmp_path: Path) -> None:
    data = kit.labelled(3_000, seed=1)
    model = kit.classifier(data)
    src = _parquet(data, tmp_path / "in.parquet", row_group=700)
    predict_batch(
        model,
        src,
        tmp_path / "out.parquet",
        LocalExecutor(2),
        partition_rows=1_000,
        columns=["a", "b"],
    )
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), _expected(model, data))


def test_a_failing_partition_writes_nothing(tmp_path: Path) -> None:
    data = kit.labelled(1_000, seed=2)
    data.loc[950, "a"] = 99.0  # only the last partition fails
    out = tmp_path / "out.parquet"
    with pytest.raises(ValueError, match="bad partition"):
        predict_batch(kit.Failing(50.0), data, out, SerialExecutor(), partition_rows=100)
    assert list(tmp_path.iterdir()) == []  # no output, no temporary file


def test_bad_inputs_are_named(tmp_path: Path) -> None:
    data = kit.labelled(10)
    model = kit.classifier(data)
    with pytest.raises(InvalidInput, match="'c'"):
        predict_batch(model, data, tmp_path / "o.parquet", SerialExecutor(), columns=["a", "c"])
    with pytest.raises(InvalidInput, match="partition_rows"):
        predict_batch(model, data, tmp_path / "o.parquet", SerialExecutor(), partition_rows=0)
    with pytest.raises(NotFound, match="output folder"):
        predict_batch(model, data, tmp_path / "no" / "o.parquet", SerialExecutor())
    with pytest.raises(NotFound, match="does not exist"):
        predict_batch(model, tmp_path / "nothing.parquet", tmp_path / "o.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(InvalidInput, match="not a readable Parquet"):
        predict_batch(model, tmp_path / "junk.parquet", tmp_path / "o.parquet")
    with pytest.raises(InvalidInput, match="no predict"):
        predict_batch(object(), data, tmp_path / "o.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.parquet"]


@pytest.mark.slow
def test_dask_scores_the_same_as_the_local_pool(cluster: ProcessCluster, tmp_path: Path) -> None:
    data = kit.labelled(20_000, seed=3)
    model = kit.classifier(data)
    src = _parquet(data, tmp_path / "in.parquet", row_group=4_000)
    local = predict_batch(
        model,
        src,
        tmp_path / "local.parquet",
        LocalExecutor(2),
        partition_rows=4_000,
        columns=["a", "b"],
    )
    with DaskExecutor(cluster.address) as executor:
        shipped = predict_batch(
            model,
            src,
            tmp_path / "dask.parquet",
            executor,
            partition_rows=4_000,
            columns=["a", "b"],
        )
        read_there = predict_batch(
            model,
            src,
            tmp_path / "dask2.parquet",
            executor,
            partition_rows=4_000,
            columns=["a", "b"],
            read_on_workers=True,
        )
    assert local.rows == shipped.rows == read_there.rows == 20_000
    want = pd.read_parquet(tmp_path / "local.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask.parquet"), want)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask2.parquet"), want)


@pytest.mark.slow
def test_a_job_that_kills_every_worker_fails_cleanly(
    cluster: ProcessCluster, tmp_path: Path
) -> None:
    data = kit.labelled(100)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with DaskExecutor(cluster.address, job_timeout_s=240) as executor:
        with pytest.raises(ExecutorError, match="killed every worker"):
            predict_batch(kit.Exploding(), data, out_dir / "o.parquet", executor, partition_rows=50)
        cluster.wait_for_workers(2)  # the nannies restart them
        assert executor.map(kit.square, [3]) == [9]
    assert list(out_dir.iterdir()) == []
