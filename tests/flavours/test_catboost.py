"""CatBoost through fullcycle: `fullcycle train` with ``training.estimator`` in fullcycle.yaml
(a classifier on the scope's string classes, a Poisson regressor), registered in CatBoost's own
``.cbm`` format, shown on the model card, loaded and served with the scope's classes; CatBoost
leaves no ``catboost_info/`` folder behind and prints nothing of its own."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import flavourkit as kit
import numpy as np
import pandas as pd
import pytest
import yaml

from fullcycle import registry
from fullcycle.cli import main
from fullcycle.errors import InvalidInput, UnsafeArtifact
from fullcycle.testing import check_model, make_project
from fullcycle.train import flavours, serialization

catboost = pytest.importorskip("catboost")

QUIET = {"iterations": 30, "depth": 4, "thread_count": 1}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, where CatBoost would write catboost_info/ by default."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def no_catboost_files(tmp_path: Path, cwd: Path) -> None:
    assert list(cwd.iterdir()) == []
    assert list(tmp_path.rglob("catboost_info")) == []


@pytest.mark.anyio
async def test_fullcycle_train_with_catboost_in_the_scope_serves_the_scope_classes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    proj, ref = kit.project(tmp_path)
    folder = str(proj.settings.project_dir)
    scope_file = proj.settings.project_dir / "fullcycle.yaml"
    scope = yaml.safe_load(scope_file.read_text())
    scope["training"]["estimator"] = "catboost:CatBoostClassifier"
    scope["training"]["params"] = QUIET
    scope_file.write_text(yaml.safe_dump(scope, sort_keys=False))
    cwd = elsewhere(tmp_path, monkeypatch)

    code, said = cli(capsys, "train", "--data", ref, "-C", folder)
    assert code == 0, said
    assert "learn:" not in said  # CatBoost's per-iteration lines
    code, said = cli(capsys, "register", "latest", "-C", folder)
    assert code == 0 and "registered wine:1" in said, said

    version = registry.resolve(proj._db, "wine:1")
    assert version.format == "catboost"
    assert version.lineage["library_versions"]["catboost"] == catboost.__version__
    assert f"flavour: catboost (saved with catboost {catboost.__version__}" in str(version.card)
    frame = kit.wine()
    loaded = registry.load(proj._db, proj._artifacts, version.ref).estimator
    offline = loaded.predict(frame.drop(columns="label"))
    assert {type(v) for v in offline.tolist()} == {str}
    assert set(offline) == set(frame["label"])
    assert (offline == frame["label"].to_numpy()).mean() > 0.9

    proj.promote(version.ref, "production", force=True, reason="catboost test")
    res = await kit.predict(proj, kit.records(frame), proj.name)
    assert res.status_code == 200, res.text
    assert res.json()["predictions"] == offline[:8].tolist()
    no_catboost_files(tmp_path, cwd)


def diabetes() -> pd.DataFrame:
    """scikit-learn's diabetes table: ten numbers and a positive disease progression."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    return frame.rename(columns={"target": "progression"})


def test_a_poisson_catboost_regressor_trains_registers_and_predicts_on_the_target_scale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = diabetes()
    proj = make_project(
        tmp_path / "p",
        "diabetes",
        task="regression",
        target="progression",
        data=frame,
        scope={"metric": {"name": "mae", "goal": 60}},
    )
    cwd = elsewhere(tmp_path, monkeypatch)
    folder = str(proj.settings.project_dir)
    params = [f"--param={k}={v}" for k, v in {**QUIET, "loss_function": "Poisson"}.items()]
    code, said = cli(
        capsys, "train", "--data", "data@1", "--model", "catboost:CatBoostRegressor", *params,
        "--no-learning-curve", "-C", folder,
    )  # fmt: skip
    assert code == 0, said
    code, said = cli(capsys, "register", "latest", "-C", folder)
    assert code == 0, said
    version = registry.resolve(proj._db, "diabetes:1")
    assert version.format == "catboost"

    loaded = registry.load(proj._db, proj._artifacts, version.ref).estimator
    predicted = loaded.predict(frame.drop(columns="progression"))
    truth = frame["progression"].to_numpy()
    # a Poisson model's raw values are logarithms (about 5 here); served values are counts
    assert abs(predicted.mean() - truth.mean()) < 0.2 * truth.mean()
    assert np.abs(predicted - truth).mean() < np.abs(truth - truth.mean()).mean()
    no_catboost_files(tmp_path, cwd)


CHECKED = {
    "classifier": {"iterations": 20, "thread_count": 1},
    "poisson": {"iterations": 20, "thread_count": 1, "loss_function": "Poisson"},
}


@pytest.mark.parametrize("kind", sorted(CHECKED))
def test_check_model_round_trips_catboost_on_string_classes_and_poisson_counts(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = elsewhere(tmp_path, monkeypatch)
    frame = kit.wine()
    X = frame.drop(columns="label")
    if kind == "classifier":
        est, y = catboost.CatBoostClassifier(**CHECKED[kind]), frame["label"]
    else:
        est, y = catboost.CatBoostRegressor(**CHECKED[kind]), (X["alcohol"] - 10).round()
    loaded = check_model(est, X, y)
    assert type(loaded).__name__ == "Pipeline" or loaded.flavour == "catboost"
    if kind == "classifier":
        assert {type(v) for v in loaded.predict(X).tolist()} == {str}
    else:
        assert loaded.predict(X).min() > 0  # exp(raw), not the raw logarithm (y is 1..5)
    assert est.get_params() == CHECKED[kind]  # the user's object is untouched
    no_catboost_files(tmp_path, cwd)


def test_for_training_quiets_catboost_unless_the_user_chose_otherwise(tmp_path: Path) -> None:
    from fullcycle.train.flavours.encoding import LabelEncoded

    plain = flavours.for_training(catboost.CatBoostClassifier(iterations=5))
    assert plain.get_params() == {"iterations": 5, "allow_writing_files": False, "verbose": False}
    wrapped = flavours.for_training(LabelEncoded(catboost.CatBoostClassifier()))
    assert wrapped.estimator.get_params()["allow_writing_files"] is False
    chosen = {"logging_level": "Silent", "train_dir": str(tmp_path / "info")}
    as_given = catboost.CatBoostRegressor(**chosen).get_params()
    assert set(as_given) >= set(chosen)
    # CatBoost refuses verbose beside logging_level, and the user chose where files go
    assert flavours.for_training(catboost.CatBoostRegressor(**chosen)).get_params() == as_given


def test_a_misspelled_catboost_parameter_is_named_with_the_known_ones(tmp_path: Path) -> None:
    proj, ref = kit.project(tmp_path)
    with pytest.raises(InvalidInput, match=r"'depht' is not a parameter.*depth"):
        proj.train(ref, model="catboost:CatBoostClassifier", params={"depht": 3})


def _archive(flavour_bytes: bytes, member: str, body: bytes) -> bytes:
    """The archive with ``member`` replaced and its sha256 in the manifest rewritten to match,
    as someone who knows the format would tamper with it."""
    src = zipfile.ZipFile(io.BytesIO(flavour_bytes))
    manifest = json.loads(src.read("flavour.json"))
    manifest["sha256"][member] = hashlib.sha256(body).hexdigest()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename == "flavour.json":
                dst.writestr(item.filename, json.dumps(manifest))
            else:
                dst.writestr(item.filename, body if item.filename == member else src.read(item))
    return out.getvalue()


def _fitted_classifier(**params: object) -> tuple[object, pd.DataFrame]:
    frame = kit.wine()
    clf = catboost.CatBoostClassifier(
        iterations=20, thread_count=1, allow_writing_files=False, verbose=False, **params
    )
    return clf.fit(frame.drop(columns="label"), frame["label"]), frame


@pytest.mark.parametrize("cut", [1, 1000])
def test_a_cbm_cut_short_with_a_matching_manifest_is_refused(cut: int) -> None:
    clf, _ = _fitted_classifier()
    data = serialization.dumps(clf)
    raw = zipfile.ZipFile(io.BytesIO(data)).read("model.cbm")
    with pytest.raises(UnsafeArtifact, match=r"not a whole \.cbm model"):
        serialization.loads(_archive(data, "model.cbm", raw[:-cut]), fmt="catboost")


def test_a_native_cbm_imports_with_its_own_class_order(tmp_path: Path) -> None:
    order = ["class_2", "class_0", "class_1"]
    clf, frame = _fitted_classifier(class_names=order)
    path = tmp_path / "model.cbm"
    clf.save_model(str(path))
    proj, ref = kit.project(tmp_path)
    version = proj.import_model(path, data=ref)
    assert version.format == "catboost"
    loaded = registry.load(proj._db, proj._artifacts, version.ref).estimator
    X = frame.drop(columns="label")
    assert loaded.classes_.tolist() == order
    assert loaded.predict(X).tolist() == clf.predict(X).reshape(-1).tolist()
    assert np.allclose(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_native_cbm_with_other_classes_than_the_dataset_is_refused_and_nothing_stored(
    tmp_path: Path,
) -> None:
    frame = kit.wine()
    two = frame["label"].where(frame["label"] == "class_0", "other")
    clf = catboost.CatBoostClassifier(iterations=5, thread_count=1, allow_writing_files=False)
    clf.fit(frame.drop(columns="label"), two, verbose=False)
    path = tmp_path / "model.cbm"
    clf.save_model(str(path))
    proj, ref = kit.project(tmp_path)
    with pytest.raises(InvalidInput, match="answers 2 classes, the dataset has 3"):
        proj.import_model(path, data=ref)
    assert registry.models(proj._db) == []
