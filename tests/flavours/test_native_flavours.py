"""XGBoost, LightGBM and CatBoost models go train -> register -> serve -> predict in their own
formats."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import flavourkit as kit
import numpy as np
import pytest

from fullcycle import registry
from fullcycle.errors import InvalidInput, UnsafeArtifact
from fullcycle.train import serialization

FLAVOURS = {
    "xgboost": ("xgboost:XGBClassifier", {"n_estimators": 20, "max_depth": 3}),
    "lightgbm": ("lightgbm:LGBMClassifier", {"n_estimators": 20, "min_child_samples": 5}),
    "catboost": ("catboost:CatBoostClassifier", {"iterations": 20, "depth": 3, "thread_count": 1}),
}
#: the model's member in the version's archive, and a file name in the library's own format
MEMBER = {"xgboost": "model.ubj", "lightgbm": "model.txt", "catboost": "model.cbm"}
NATIVE_FILE = {"xgboost": "m.ubj", "lightgbm": "m.lgb.txt", "catboost": "m.cbm"}


@pytest.mark.anyio
@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
async def test_a_flavour_trains_on_string_classes_registers_and_serves(
    flavour: str, tmp_path: Path
) -> None:
    pytest.importorskip(flavour)
    proj, ref = kit.project(tmp_path)
    estimator, params = FLAVOURS[flavour]
    result = proj.train(ref, model=estimator, params=params)
    version = proj.register(result.run_id)
    assert version.format == flavour
    assert flavour in proj_card(proj, version.ref)
    assert version.lineage["library_versions"]
    loaded = registry.load(proj._db, proj._artifacts, version.ref).estimator
    frame = kit.wine()
    classes = set(frame["label"])
    offline = loaded.predict(frame.drop(columns="label"))
    assert set(offline) <= classes
    assert (offline == frame["label"].to_numpy()).mean() > 0.9
    proj.promote(version.ref, "production", force=True, reason="flavour test")
    res = await kit.predict(proj, kit.records(frame), proj.name)
    assert res.status_code == 200, res.text
    served = [p for p in res.json()["predictions"]]
    assert served == list(offline[:8])


def proj_card(proj, ref: str) -> str:  # type: ignore[no-untyped-def]
    return str(registry.resolve(proj._db, ref).card)


def _fitted(flavour: str):  # type: ignore[no-untyped-def]
    from pathlib import Path as P

    from fullcycle.train.recipe import build
    from fullcycle.train.spec import FeatureSpec, MetricSpec, TrainSpec

    frame = kit.wine()
    features = tuple(FeatureSpec(c, "numeric") for c in frame.columns if c != "label")
    spec = TrainSpec(
        name="wine",
        task="classification",
        target="label",
        metric=MetricSpec("accuracy"),
        features=features,
    )
    path, params = FLAVOURS[flavour]
    model = build(spec, P("."), model=path, params=params).model
    return model.fit(frame.drop(columns="label"), frame["label"]), frame


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_the_saved_bytes_hold_no_pickle_and_load_to_the_same_predictions(flavour: str) -> None:
    pytest.importorskip(flavour)
    model, frame = _fitted(flavour)
    data = serialization.dumps(model)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sorted(names) == sorted(["flavour.json", "prep.skops", MEMBER[flavour]])
    loaded = serialization.loads(data, fmt=flavour)
    X = frame.drop(columns="label")
    assert list(loaded.predict(X)) == list(model.predict(X))
    assert np.allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_a_missing_library_is_named_with_its_extra(
    flavour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip(flavour)
    model, _ = _fitted(flavour)
    data = serialization.dumps(model)
    monkeypatch.setitem(sys.modules, flavour, None)  # import now raises ImportError
    with pytest.raises(InvalidInput, match=rf"fullcycle\[{flavour}\]"):
        serialization.loads(data, fmt=flavour)


def _rewritten(data: bytes, member: str, body: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, body if item.filename == member else src.read(item))
    return out.getvalue()


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
@pytest.mark.parametrize("damage", ["truncated-archive", "truncated-model", "flipped-bytes"])
def test_a_corrupt_or_truncated_file_is_refused_by_name(flavour: str, damage: str) -> None:
    pytest.importorskip(flavour)
    model, _ = _fitted(flavour)
    data = serialization.dumps(model)
    member = MEMBER[flavour]
    inner = zipfile.ZipFile(io.BytesIO(data)).read(member)
    if damage == "truncated-archive":
        bad = data[: len(data) // 2]
    elif damage == "truncated-model":
        bad = _rewritten(data, member, inner[: len(inner) // 2])
    else:
        middle = len(inner) // 2
        bad = _rewritten(data, member, inner[:middle] + b"\xff" * 64 + inner[middle + 64 :])
    with pytest.raises(UnsafeArtifact, match="corrupt|cannot be read|not a readable"):
        serialization.loads(bad, fmt=flavour)


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_a_native_file_imports_and_a_truncated_one_stores_nothing(
    flavour: str, tmp_path: Path
) -> None:
    pytest.importorskip(flavour)
    model, frame = _fitted(flavour)
    raw = zipfile.ZipFile(io.BytesIO(serialization.dumps(model))).read(MEMBER[flavour])
    proj, _ = kit.project(tmp_path)
    name = NATIVE_FILE[flavour]
    bad = tmp_path / f"bad-{name}"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(UnsafeArtifact):
        registry.import_file(proj._db, proj._artifacts, bad, name="native")
    assert registry.models(proj._db) == []
    good = tmp_path / name
    good.write_bytes(raw)
    version = registry.import_file(proj._db, proj._artifacts, good, name="native")
    assert version.format == flavour


@pytest.mark.parametrize(
    "path",
    [
        "xgboost:XGBClassifier",
        "lightgbm:LGBMClassifier",
        "xgboost:XGBRegressor",
        "catboost:CatBoostClassifier",
        "catboost:CatBoostRegressor",
    ],
)
def test_check_model_round_trips_native_flavours(path: str) -> None:
    from fullcycle.testing import check_model

    module, _, cls = path.partition(":")
    lib = pytest.importorskip(module)
    est = getattr(lib, cls)(n_estimators=5)
    if module == "catboost":
        est.set_params(thread_count=1)
    loaded = check_model(est)
    assert type(loaded).__name__ != cls  # it went through the flavour, not a pickle
