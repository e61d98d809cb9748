"""A model fitted outside fullcycle: logged from a script or imported with --data, it is
evaluated on the dataset's test split and served like a trained version."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import flavourkit as kit
import pytest
import skops.io as sio
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fullcycle import registry
from fullcycle.cli import main
from fullcycle.errors import ContractViolation
from fullcycle.project import Project


def my_model():  # type: ignore[no-untyped-def]
    """What a user fits in their own script (the recipe the loop can call again)."""
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


def _fit(model):  # type: ignore[no-untyped-def]
    frame = kit.wine()
    return model.fit(frame.drop(columns="label"), frame["label"])


@pytest.mark.anyio
async def test_a_model_logged_from_a_script_is_evaluated_registered_and_served(
    tmp_path: Path,
) -> None:
    proj, ref = kit.project(tmp_path)
    model = _fit(my_model())
    with proj.start_run("my-script") as run:
        ev = proj.log_model(model, run=run, data=ref, recipe="test_adopt:my_model")
    assert ev["metric"]["name"] == proj.train_spec().metric.name
    assert ev["rows"]["test"] > 0
    version = proj.register(run.id)
    assert version.metrics["metric"]["value"] > 0.8
    assert version.signature["contract"]["columns"]
    assert version.reference_sha256
    assert version.lineage["recipe"] == "test_adopt:my_model"
    assert "skops" in version.card
    proj.promote(version.ref, "production")
    res = await kit.predict(proj, kit.records(kit.wine()), proj.name)
    assert res.status_code == 200, res.text
    expected = list(model.predict(kit.wine().drop(columns="label").head(8)))
    assert res.json()["predictions"] == expected


def test_models_import_with_data_infers_the_contract_when_the_scope_has_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = Project.init(tmp_path / "p", "wine")
    data = proj.add_data(kit.wine(), "wine")  # no contract in fullcycle.yaml
    assert proj.train_spec().features == ()
    path = tmp_path / "forest.skops"
    path.write_bytes(sio.dumps(_fit(RandomForestClassifier(n_estimators=20, random_state=0))))
    code = main(
        ["models", "import", str(path), "--data", data.ref, "-C", str(proj.settings.project_dir)]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "wine:1" in out
    version = registry.resolve(proj._db, "wine:1")
    names = [c["name"] for c in version.signature["contract"]["columns"]]
    assert names == [c for c in kit.wine().columns if c != "label"]
    assert version.metrics["metric"]["value"] > 0.8


def test_a_native_lightgbm_file_imports_with_the_dataset_classes(tmp_path: Path) -> None:
    lgb = pytest.importorskip("lightgbm")
    proj, ref = kit.project(tmp_path)
    frame = kit.wine()
    clf = lgb.LGBMClassifier(n_estimators=20, min_child_samples=5, verbose=-1)
    clf.fit(frame.drop(columns="label"), frame["label"])
    path = tmp_path / "model.lgb.txt"
    path.write_text(clf.booster_.model_to_string())
    version = proj.import_model(path, data=ref)
    assert version.format == "lightgbm"
    loaded = registry.load(proj._db, proj._artifacts, version.ref).estimator
    X = frame.drop(columns="label")
    assert list(loaded.predict(X)) == list(clf.predict(X))


def test_a_dataset_without_the_model_columns_is_refused_and_nothing_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj, _ = kit.project(tmp_path)
    other = kit.wine().drop(columns=["alcohol"])
    other_ref = proj.add_data(other, "cut", allow_violations=True).ref
    path = tmp_path / "m.skops"
    path.write_bytes(sio.dumps(_fit(my_model())))
    with pytest.raises(ContractViolation, match="alcohol"):
        proj.import_model(path, data=other_ref)
    code = main(
        ["models", "import", str(path), "--data", other_ref, "-C", str(proj.settings.project_dir)]
    )
    assert code != 0
    assert "alcohol" in capsys.readouterr().err
    assert registry.models(proj._db) == []


def test_register_takes_a_run_whose_script_logged_a_model_without_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj, _ = kit.project(tmp_path)
    model = _fit(my_model())
    with proj.start_run("script") as run:
        run.log_model(model)
    code = main(["register", run.id, "-C", str(proj.settings.project_dir)])
    assert code == 0, capsys.readouterr().err
    version = registry.resolve(proj._db, "wine:1")
    assert version.metrics == {}
    loaded = registry.load(proj._db, proj._artifacts, "wine:1").estimator
    X = kit.wine().drop(columns="label")
    assert list(loaded.predict(X)) == list(model.predict(X))
    names = zipfile.ZipFile(
        io.BytesIO(proj._artifacts.get_bytes(version.artifact_sha256))
    ).namelist()
    assert "schema.json" in names  # a skops file


@pytest.mark.anyio
async def test_why_a_version_is_not_served_is_on_stderr_in_readiness_and_deploy_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from fullcycle.serving.server import ServeOptions, build_app
    from fullcycle.serving.source import RegistrySource

    proj, _ = kit.project(tmp_path)
    path = tmp_path / "bare.skops"
    path.write_bytes(sio.dumps(_fit(my_model())))
    version = proj.import_model(path)  # no --data: no contract, so it cannot be served
    proj.promote(version.ref, "production", force=True, reason="test of the refusal")
    options = ServeOptions(
        source_factory="fullcycle.serving.source:project_source",
        model=proj.name,
        poll_s=0.05,
        auth=False,
    )
    app = build_app(RegistrySource(proj.settings, proj.name), proj.settings, options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            res = await client.get("/v2/health/ready")
    assert res.status_code == 503
    assert "no contract" in res.json()["reason"]
    assert "no contract" in capsys.readouterr().err
    monkeypatch.chdir(proj.settings.project_dir)
    code = main(["deploy", "status", proj.name])
    assert code == 0
    err = capsys.readouterr().err
    assert "not serving this deployment" in err and "no contract" in err
