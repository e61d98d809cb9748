from pathlib import Path

import numpy as np
import pytest

import trainkit as kit
from fullcycle.errors import ConfigError, ContractViolation, InvalidInput
from fullcycle.store import runs as run_store
from fullcycle.train.trainer import stored_evaluation, train


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_same_data_params_and_seed_give_the_same_model(tmp_path: Path, sqlite_url: str) -> None:
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": kit.frame()})
    spec = kit.spec(
        estimator="sklearn.ensemble:RandomForestClassifier", params={"n_estimators": 15}
    )
    a = train(deps, spec, "d@1", seed=11, learning_curve=False)
    b = train(deps, spec, "d@1", seed=11, learning_curve=False)
    X = kit.frame(n=200, seed=5).drop(columns="label")
    assert a.run_id != b.run_id
    np.testing.assert_array_equal(a.model.predict_proba(X), b.model.predict_proba(X))
    assert a.metrics == b.metrics
    c = train(deps, spec, "d@1", seed=12, learning_curve=False)
    assert not np.array_equal(a.model.predict_proba(X), c.model.predict_proba(X))


def test_a_run_records_what_reproduces_it(tmp_path: Path, sqlite_url: str) -> None:
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": kit.frame()})
    result = train(deps, kit.spec(), "d@1", seed=3, params={"C": 0.5})
    info = run_store.get(deps.db, result.run_id)
    assert info.status == "finished"
    assert info.dataset == "d@1" and info.seed == 3
    assert info.params["rows.train"] == 450 and info.params["rows.test"] == 150  # typed
    assert info.params["model.C"] == "0.5" and info.params["param.max_iter"] == 300
    assert '"strategy": "stratified"' in info.params["split"]
    assert {"model.skops", "model.json", "evaluation.json"} <= set(info.artifacts)
    assert info.latest_metrics["time.fit_s"] > 0
    assert info.latest_metrics["test.f1_macro"] == pytest.approx(result.value)
    assert stored_evaluation(deps.db, deps.artifacts, result.run_id)["metric"]["value"] == (
        pytest.approx(result.value)
    )


def _failed(deps, spec, ref, **kw):  # type: ignore[no-untyped-def]
    before = {r.id for r in run_store.listing(deps.db)}
    with pytest.raises(Exception) as caught:
        train(deps, spec, ref, learning_curve=False, **kw)
    new = [r for r in run_store.listing(deps.db) if r.id not in before]
    assert len(new) == 1 and new[0].status == "failed", new
    assert new[0].error
    return caught.value


def test_an_estimator_path_that_does_not_import_fails_the_run(
    tmp_path: Path, sqlite_url: str
) -> None:
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": kit.frame()})
    err = _failed(deps, kit.spec(), "d@1", model="sklearn.nothing_here:Model")
    assert isinstance(err, ConfigError) and "sklearn.nothing_here" in str(err)


def test_a_param_the_estimator_rejects_is_named(tmp_path: Path, sqlite_url: str) -> None:
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": kit.frame()})
    err = _failed(deps, kit.spec(), "d@1", params={"not_a_param": 1})
    assert isinstance(err, InvalidInput) and "not_a_param" in str(err)
    err = _failed(deps, kit.spec(), "d@1", params={"C": "lots"})
    assert isinstance(err, InvalidInput) and "C" in str(err)


def test_a_target_with_one_class_fails_the_run(tmp_path: Path, sqlite_url: str) -> None:
    df = kit.frame()
    df["label"] = "yes"
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": df})
    err = _failed(deps, kit.spec(), "d@1")
    assert isinstance(err, InvalidInput) and "one class" in str(err)


def test_a_dataset_breaking_the_contract_fails_the_run(tmp_path: Path, sqlite_url: str) -> None:
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": kit.frame().drop(columns="city")})
    err = _failed(deps, kit.spec(), "d@1")
    assert isinstance(err, ContractViolation) and "city" in str(err)


def test_a_user_function_builds_the_pipeline(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "train.py").write_text(
        "from sklearn.tree import DecisionTreeClassifier\n"
        "def build():\n    return DecisionTreeClassifier(max_depth=3)\n"
    )
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": kit.frame()})
    result = train(
        deps, kit.spec(estimator="train.py:build", params={}), "d@1", learning_curve=False
    )
    assert type(result.model.steps[-1][1]).__name__ == "DecisionTreeClassifier"
    err = _failed(deps, kit.spec(estimator="../train.py:build", params={}), "d@1")
    assert "outside the project" in str(err)


def test_the_users_estimator_is_never_fitted(tmp_path: Path, sqlite_url: str) -> None:
    from sklearn.linear_model import LogisticRegression

    from fullcycle.train.recipe import build

    original = LogisticRegression()
    recipe = build(kit.spec(), tmp_path, seed=1)
    assert recipe.model is not original and not hasattr(original, "coef_")
    assert recipe.model.get_params()["model__max_iter"] == 300


def test_regression_trains_and_reports_residuals(tmp_path: Path, sqlite_url: str) -> None:
    from fullcycle.train.spec import MetricSpec

    df = kit.frame()
    df["label"] = df["amount"] * 3 + df["visits"]
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": df})
    spec = kit.spec(
        task="regression",
        estimator="sklearn.linear_model:Ridge",
        params={},
        metric=MetricSpec("rmse", goal=1.0, greater_is_better=False),
        split={"strategy": "random", "test_size": 0.25},
    )
    result = train(deps, spec, "d@1")
    ev = result.evaluation
    assert ev["metric"]["value"] < 0.5 and ev["metrics"]["r2"] > 0.9
    assert sum(ev["metrics"]["residuals"]["histogram"]["counts"]) == 150
    assert ev["baselines"]["trivial"]["metric"] > ev["metric"]["value"]
    assert (
        ev["errors"]["worst_examples"][0]["abs_error"]
        >= ev["errors"]["worst_examples"][1]["abs_error"]
    )


def test_refit_saves_the_recipe_fitted_again_on_the_test_rows_too(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The loop's gate evaluates a challenger on rows of its own, so the trainer's test rows
    need not be kept from the saved model: with ``refit`` it learns them too, while the stored
    evaluation stays that of the model fitted without them (and says so)."""
    data = kit.frame()
    deps = kit.deps(tmp_path, sqlite_url, {"d@1": data})
    spec = kit.spec(estimator="sklearn.tree:DecisionTreeClassifier", params={})  # memorises
    plain = train(deps, spec, "d@1", seed=4, learning_curve=False)
    again = train(deps, spec, "d@1", seed=4, learning_curve=False, refit=True)
    X, y = data.drop(columns="label"), data["label"].to_numpy()
    assert (plain.model.predict(X) == y).mean() < 1.0  # the test rows were not learned
    assert (again.model.predict(X) == y).mean() == 1.0  # every row was
    assert again.value == pytest.approx(plain.value)  # the same evaluation
    info = run_store.get(deps.db, again.run_id)
    assert info.params["rows.final"] == len(data) and "rows.final" not in (
        run_store.get(deps.db, plain.run_id).params
    )
    stored = stored_evaluation(deps.db, deps.artifacts, again.run_id)
    assert stored["final_fit"]["rows"] == len(data)
    assert stored["final_fit"]["evaluated_rows"] == info.params["rows.train"]


def test_a_refit_that_would_change_the_classes_keeps_the_evaluated_model(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A class only the test rows hold would give the refitted model classes the evaluation
    never named: the trainer keeps the evaluated model then, and records no refit."""
    from dataclasses import replace

    data = kit.frame()
    data.loc[data.index[-20:], "label"] = "maybe"  # the split below puts them all in test
    rest = np.arange(len(data) - 20)
    test = np.concatenate([rest[-100:], np.arange(len(data) - 20, len(data))])
    deps = replace(
        kit.deps(tmp_path, sqlite_url, {"d@1": data}),
        splitter=lambda frame, spec, seed: (rest[:-100], test),
    )
    spec = kit.spec(estimator="sklearn.tree:DecisionTreeClassifier", params={})
    kept = train(deps, spec, "d@1", seed=4, learning_curve=False, refit=True)
    assert list(kept.model.classes_) == ["no", "yes"]  # not the refit, which learns "maybe"
    info = run_store.get(deps.db, kept.run_id)
    assert "rows.final" not in info.params
    assert "final_fit" not in stored_evaluation(deps.db, deps.artifacts, kept.run_id)
    # the same split without the new class: the refit is saved
    plain = data.assign(label=data["label"].replace("maybe", "yes"))
    deps = replace(deps, load_data=lambda ref: plain)
    refitted = train(deps, spec, "d@1", seed=4, learning_curve=False, refit=True)
    assert run_store.get(deps.db, refitted.run_id).params["rows.final"] == len(data)
