"""``models compile NAME:N --to onnx``: a checked ONNX version, served with onnxruntime."""

from __future__ import annotations

from pathlib import Path

import flavourkit as kit
import numpy as np
import pytest

from fullcycle import registry
from fullcycle.cli import main
from fullcycle.errors import InvalidInput, ModelCheckFailed

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture
def trained(tmp_path: Path):  # type: ignore[no-untyped-def]
    proj, ref = kit.project(tmp_path)
    proj.train(ref, params={"max_iter": 30})
    version = proj.register()
    return proj, version


@pytest.mark.anyio
async def test_a_compiled_version_answers_like_the_original_and_is_served(
    trained, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    proj, original = trained
    code = main(
        ["models", "compile", original.ref, "--to", "onnx", "-C", str(proj.settings.project_dir)]
    )
    assert code == 0, capsys.readouterr().err
    compiled = registry.resolve(proj._db, "wine:2")
    assert compiled.format == "onnx"
    assert compiled.metrics["metric"]["value"] == pytest.approx(
        original.metrics["metric"]["value"], abs=0.02
    )
    assert "compiled to onnx" in compiled.description
    X = kit.wine().drop(columns="label")
    before = registry.load(proj._db, proj._artifacts, original.ref).estimator
    after = registry.load(proj._db, proj._artifacts, compiled.ref).estimator
    # float32 thresholds: a row lying on a split point may fall the other way, rarely
    assert (before.predict(X) == after.predict(X)).mean() > 0.99
    close = np.abs(before.predict_proba(X) - after.predict_proba(X)).max(axis=1) < 1e-4
    assert close.mean() > 0.97
    proj.promote(compiled.ref, "production", force=True, reason="compiled test")
    res = await kit.predict(proj, kit.records(kit.wine()), proj.name)
    assert res.status_code == 200, res.text
    assert res.json()["predictions"] == list(before.predict(X.head(8)))


def test_a_compiled_model_outside_the_tolerance_is_not_registered(trained) -> None:  # type: ignore[no-untyped-def]
    proj, original = trained
    with pytest.raises(ModelCheckFailed, match="differs from the original"):
        proj.compile_model(original.ref, tolerance=0.0)
    assert [v.version for v in registry.models(proj._db)] == [1]


def test_a_model_with_custom_steps_is_refused_by_name(tmp_path: Path) -> None:
    import trainkit
    from fullcycle.project import Project

    proj = Project.init(tmp_path / "p", "churn")
    data = proj.add_data(trainkit.frame(n=200), "churn", infer_contract=True)
    proj.train(data.ref, params={"max_iter": 10})
    version = proj.register()
    with pytest.raises(InvalidInput, match="cannot be compiled to ONNX"):
        proj.compile_model(version.ref)
    assert len(registry.models(proj._db)) == 1


def _onnx_file(tmp_path: Path, names: list[str]) -> Path:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = kit.wine()
    X = frame.drop(columns="label").iloc[:, : len(names)].set_axis(names, axis=1)
    model = make_pipeline(
        ColumnTransformer([("n", StandardScaler(), names)]), LogisticRegression(max_iter=2000)
    ).fit(X, frame["label"])
    graph = to_onnx(model, initial_types=[(n, FloatTensorType([None, 1])) for n in names])
    path = tmp_path / "m.onnx"
    path.write_bytes(graph.SerializeToString())
    return path


def test_an_onnx_model_whose_inputs_are_not_the_contract_is_refused(tmp_path: Path) -> None:
    proj, ref = kit.project(tmp_path)
    path = _onnx_file(tmp_path, ["alcohol", "not_a_column"])
    with pytest.raises(Exception, match="not_a_column"):
        proj.import_model(path, data=ref)
    assert registry.models(proj._db) == []


def test_an_onnx_model_on_contract_columns_imports_and_predicts(tmp_path: Path) -> None:
    proj, ref = kit.project(tmp_path)
    columns = [c for c in kit.wine().columns if c != "label"]
    version = proj.import_model(_onnx_file(tmp_path, columns), data=ref)
    assert version.format == "onnx"
    assert version.metrics["metric"]["value"] > 0.8
