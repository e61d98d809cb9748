"""``fullcycle predict-batch NAME@N --model REF --out FILE [--executor ...]`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import scalekit as kit

from fullcycle import registry
from fullcycle.cli import main
from fullcycle.project import Project
from fullcycle.scale.cluster import ProcessCluster
from fullcycle.testing import free_port
from fullcycle.train.serialization import dumps


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def scored_project(tmp_path: Path) -> tuple[Project, pd.DataFrame, object]:
    proj = Project.init(tmp_path / "p", "churn", target="y")
    data = kit.labelled(5_000, seed=11)
    model = kit.classifier(data)
    (tmp_path / "m.skops").write_bytes(dumps(model))
    registry.import_file(proj._db, proj._artifacts, tmp_path / "m.skops", name="churn")
    registry.set_alias(proj._db, "churn", "production", 1, 0, actor="test")
    proj.add_data(data, "scoring", require_target=False)
    return proj, data, model


def test_predict_batch_scores_a_dataset_version(
    scored_project: tuple[Project, pd.DataFrame, object], capsys: pytest.CaptureFixture[str]
) -> None:
    proj, data, model = scored_project
    out = proj.settings.project_dir / "scores.parquet"
    code, stdout, err = run_cli(
        capsys,
        "predict-batch",
        "scoring@1",
        "--out",
        str(out),
        "--executor",
        "serial",
        "--partition-rows",
        "1000",
        "-C",
        str(proj.settings.project_dir),
        "--json",
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert (summary["rows"], summary["partitions"], summary["model"]) == (5_000, 5, "churn:1")
    scored = pd.read_parquet(out)
    assert scored["prediction"].tolist() == model.predict(data[["a", "b"]]).tolist()  # type: ignore[attr-defined]
    assert proj.events(kind="batch.predict")[0].subject == "churn:1"


def test_predict_batch_errors_are_one_line(
    scored_project: tuple[Project, pd.DataFrame, object], capsys: pytest.CaptureFixture[str]
) -> None:
    proj, _, _ = scored_project
    where = ["-C", str(proj.settings.project_dir)]
    out = str(proj.settings.project_dir / "o.parquet")
    code, _, err = run_cli(capsys, "predict-batch", "scoring@9", "--out", out, *where)
    assert code != 0 and "scoring" in err
    code, _, err = run_cli(
        capsys, "predict-batch", "scoring@1", "--out", out, "--executor", "dask", *where
    )
    assert code != 0 and "FULLCYCLE_DASK_SCHEDULER" in err
    assert not Path(out).exists()


def test_predict_batch_unreachable_scheduler_fails_or_falls_back_when_asked(
    scored_project: tuple[Project, pd.DataFrame, object],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proj, _, _ = scored_project
    where = ["-C", str(proj.settings.project_dir)]
    out = proj.settings.project_dir / "o.parquet"
    address = f"tcp://127.0.0.1:{free_port()}"
    monkeypatch.setenv("FULLCYCLE_DASK_SCHEDULER", address)
    code, _, err = run_cli(capsys, "predict-batch", "scoring@1", "--out", str(out), *where)
    assert code != 0 and address in err and not out.exists()
    code, stdout, err = run_cli(
        capsys,
        "predict-batch",
        "scoring@1",
        "--out",
        str(out),
        "--fallback-local",
        "--workers",
        "1",
        "--json",
        *where,
    )
    assert code == 0, err
    assert json.loads(stdout)["executor"] == "LocalExecutor" and out.exists()


@pytest.mark.slow
def test_predict_batch_on_dask_equals_local(
    scored_project: tuple[Project, pd.DataFrame, object],
    cluster: ProcessCluster,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proj, _, _ = scored_project
    folder = proj.settings.project_dir
    monkeypatch.setenv("FULLCYCLE_DASK_SCHEDULER", cluster.address)
    for name, flag in (("dask", "dask"), ("local", "local")):
        code, _, err = run_cli(
            capsys,
            "predict-batch",
            "scoring",
            "-m",
            "churn:1",
            "--out",
            str(folder / f"{name}.parquet"),
            "--executor",
            flag,
            "--partition-rows",
            "1500",
            "-C",
            str(folder),
        )
        assert code == 0, err
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "dask.parquet"), pd.read_parquet(folder / "local.parquet")
    )
