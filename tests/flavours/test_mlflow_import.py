"""``fullcycle import mlflow`` against a real MLflow store the test creates with MLflow."""

from __future__ import annotations

import json
import os
from pathlib import Path

import flavourkit as kit
import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")
# MLflow's own SQLAlchemy and pickle warnings are not what these tests are about
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

from fullcycle import registry  # noqa: E402
from fullcycle.cli import main  # noqa: E402
from fullcycle.errors import InvalidInput, StoreUnavailable, UnsafeArtifact  # noqa: E402


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An MLflow SQLite store with two runs and two registered scikit-learn models."""
    import warnings

    folder = tmp_path_factory.mktemp("mlflow")
    before = os.getcwd()
    os.chdir(folder)  # MLflow writes its artifacts under the working folder
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield _make_store(folder)
    finally:
        os.chdir(before)


def _make_store(tmp_path: Path) -> str:
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("wine")
    frame = kit.wine()
    X, y = frame.drop(columns="label"), frame["label"]
    with mlflow.start_run(run_name="baseline"):
        mlflow.log_params({"C": 0.5, "solver": "lbfgs"})
        for step, value in enumerate([0.7, 0.8, 0.9]):
            mlflow.log_metric("accuracy", value, step=step)
        mlflow.set_tag("team", "cellar")
        model = LogisticRegression(max_iter=5000).fit(X, y)
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name="wine_skops",
            serialization_format="skops",
            skops_trusted_types=sio_types(model),
        )
        mlflow.sklearn.log_model(
            model,
            name="pickled",
            registered_model_name="wine_pickle",
            serialization_format="cloudpickle",
        )
    with mlflow.start_run(run_name="second"):
        mlflow.log_metric("accuracy", 0.5)
    mlflow.set_tracking_uri(None)
    return uri


def sio_types(model):  # type: ignore[no-untyped-def]
    import skops.io as sio

    return sio.get_untrusted_types(data=sio.dumps(model))


def test_runs_come_with_params_metric_steps_tags_and_times(tmp_path: Path, store: str) -> None:
    proj, _ = kit.project(tmp_path)
    report = proj.import_mlflow(store, experiment="wine")
    assert len(report.runs) >= 2
    frame = proj.runs_frame("tags.team = cellar")
    assert len(frame) == 1
    info = proj.run(frame["run_id"].iloc[0])
    assert info.name == "baseline" and info.status == "finished"
    assert info.params == {"C": 0.5, "solver": "lbfgs"}
    history = proj.metric_history(info.id, "accuracy")
    assert [(p.step, p.value) for p in history] == [(0, 0.7), (1, 0.8), (2, 0.9)]
    assert info.ended_at is not None and info.started_at <= info.ended_at
    again = proj.import_mlflow(store, experiment="wine")
    assert again.runs == [] and len(again.skipped) == len(report.runs)  # nothing twice


def test_a_skops_model_is_registered_and_evaluated(tmp_path: Path, store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    proj, ref = kit.project(tmp_path)
    code = main(
        [
            "import",
            "mlflow",
            "--tracking-uri",
            store,
            "--mlflow-model",
            "models:/wine_skops/1",
            "--data",
            ref,
            "-C",
            str(proj.settings.project_dir),
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["models"] == ["wine_skops:1"]  # stdout is the JSON alone
    version = registry.resolve(proj._db, "wine_skops:1")
    assert version.format == "skops"
    assert version.metrics["metric"]["value"] > 0.8


def test_the_old_model_spelling_still_imports_with_a_deprecation_note(  # type: ignore[no-untyped-def]
    tmp_path: Path, store: str, capsys
) -> None:
    proj, _ = kit.project(tmp_path)
    argv = ["import", "mlflow", "--tracking-uri", store, "-C", str(proj.settings.project_dir)]
    code = main([*argv, "--model", "models:/wine_skops/1", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["models"] == ["wine_skops:1"]
    assert "--model is deprecated here, use --mlflow-model" in err
    code = main([*argv, "--model", "models:/wine_skops/1", "--mlflow-model", "models:/x/1"])
    assert code == 4 and "give only --mlflow-model" in capsys.readouterr().err
    assert [v.ref for v in proj.models("wine_skops")] == ["wine_skops:1"]


@pytest.mark.slow
def test_a_pickled_model_needs_trust_and_then_loads_in_a_child(tmp_path: Path, store: str) -> None:
    proj, ref = kit.project(tmp_path)
    with pytest.raises(UnsafeArtifact, match="pickled"):
        proj.import_mlflow(store, model="models:/wine_pickle/1", data=ref)
    assert registry.models(proj._db) == [] and proj.runs_frame().empty  # nothing half-imported
    report = proj.import_mlflow(store, model="models:/wine_pickle/1", data=ref, trust_pickle=True)
    assert report.models == ["wine_pickle:1"]
    loaded = registry.load(proj._db, proj._artifacts, "wine_pickle:1").estimator
    X = kit.wine().drop(columns="label")
    assert set(np.unique(loaded.predict(X))) <= set(kit.wine()["label"])


@pytest.mark.slow
def test_xgboost_and_lightgbm_models_come_in_their_native_formats(
    tmp_path: Path, store: str
) -> None:
    lgb = pytest.importorskip("lightgbm")
    xgb = pytest.importorskip("xgboost")
    import mlflow.lightgbm
    import mlflow.xgboost

    frame = kit.wine()
    X, codes = frame.drop(columns="label"), np.unique(frame["label"], return_inverse=True)[1]
    mlflow.set_tracking_uri(store)
    with mlflow.start_run(run_name="boosters"):
        booster = lgb.train(
            {"objective": "multiclass", "num_class": 3, "verbose": -1},
            lgb.Dataset(X, codes),
            num_boost_round=10,
        )
        mlflow.lightgbm.log_model(booster, name="lgb", registered_model_name="wine_lgb")
        xgbc = xgb.XGBClassifier(n_estimators=10).fit(X, codes)
        mlflow.xgboost.log_model(xgbc, name="xgb", registered_model_name="wine_xgb")
    mlflow.set_tracking_uri(None)
    proj, ref = kit.project(tmp_path)
    for name, fmt in (("wine_lgb", "lightgbm"), ("wine_xgb", "xgboost")):
        report = proj.import_mlflow(store, model=f"models:/{name}/1", data=ref)
        version = registry.resolve(proj._db, report.models[0])
        assert version.format == fmt
        assert version.metrics["metric"]["value"] > 0.8


def test_an_unreachable_store_is_named_and_nothing_is_imported(tmp_path: Path) -> None:
    proj, _ = kit.project(tmp_path)
    with pytest.raises(StoreUnavailable, match="127.0.0.1:9"):
        proj.import_mlflow("http://127.0.0.1:9")
    assert proj.runs_frame().empty


def test_an_unknown_flavour_is_named_and_nothing_is_imported(tmp_path: Path, store: str) -> None:
    import mlflow.pyfunc

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):  # type: ignore[no-untyped-def]
            return model_input

    mlflow.set_tracking_uri(store)
    with mlflow.start_run(run_name="pyfunc"):
        mlflow.pyfunc.log_model(name="echo", python_model=Echo(), registered_model_name="echo")
    mlflow.set_tracking_uri(None)
    proj, _ = kit.project(tmp_path)
    with pytest.raises(InvalidInput, match="python_function"):
        proj.import_mlflow(store, model="models:/echo/1")
    assert registry.models(proj._db) == [] and proj.runs_frame().empty
