"""Helpers for users' own tests: does my estimator keep fullcycle's model contract?"""

from __future__ import annotations

from typing import Any

from fullcycle.errors import ModelCheckFailed


def _default_data(classifier: bool) -> tuple[Any, Any]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.uniform(size=120)})
    signal = X["a"] + X["b"]
    y = (signal > signal.median()).astype(int) if classifier else signal * 3 + 1
    return X, y


def check_model(estimator: Any, X: Any = None, y: Any = None) -> Any:
    """Clone, fit, save in the model's flavour (skops behind the allow-list, or XGBoost's and
    LightGBM's own formats), load, and compare predictions.

    Returns the loaded model; raises :class:`ModelCheckFailed` naming the step that broke.
    The estimator passed in is never fitted itself.
    """
    import numpy as np
    from sklearn.base import clone, is_classifier

    from fullcycle.train import serialization

    if X is None or y is None:
        X, y = _default_data(is_classifier(estimator))
    try:
        model = clone(estimator)
    except Exception as exc:
        raise ModelCheckFailed(f"{type(estimator).__name__} cannot be cloned: {exc}") from exc
    try:
        model.fit(X, y)
        before = model.predict(X)
    except Exception as exc:
        raise ModelCheckFailed(f"{type(estimator).__name__} failed to fit/predict: {exc}") from exc
    fmt = serialization.format_for(model)  # skops, or the model's own flavour (XGBoost, ...)
    loaded = serialization.loads(serialization.dumps(model), fmt=fmt, what=type(estimator).__name__)
    after = loaded.predict(X)
    if not np.array_equal(np.asarray(before), np.asarray(after)):
        raise ModelCheckFailed(
            f"{type(estimator).__name__} predicts differently after save and load",
            hint="an attribute is probably not serialized; check custom __getstate__",
        )
    if hasattr(model, "predict_proba") and not np.allclose(
        model.predict_proba(X), loaded.predict_proba(X)
    ):
        raise ModelCheckFailed(f"{type(estimator).__name__}: probabilities change on load")
    return loaded


def make_project(
    folder: Any,
    name: str = "demo",
    *,
    task: str = "classification",
    database_url: str | None = None,
    rows: int = 0,
    versions: int = 0,
    deploy: bool = False,
) -> Any:
    """A real project for tests: ``fullcycle.yaml`` and a store in ``folder``; with ``rows``, a
    synthetic dataset ``rows@1`` (features ``a``, ``b``; target ``label``) and its contract; with
    ``versions``, that many trained and registered versions ``NAME:1..N``; with ``deploy``, the
    last one promoted to production (forced past the goal if it misses it, with a reason).
    ``database_url`` (e.g. a PostgreSQL test database) replaces the embedded SQLite store."""
    from fullcycle.project import Project

    environ = {"FULLCYCLE_DATABASE_URL": database_url} if database_url else {}
    project = Project.init(folder, name, task=task, target="label", environ=environ)
    if rows:
        X, y = _default_data(task == "classification")
        picked = [i % len(X) for i in range(rows)]
        frame = X.iloc[picked].assign(label=y.iloc[picked].to_numpy()).reset_index(drop=True)
        if task == "classification":
            frame["label"] = frame["label"].map({0: "no", 1: "yes"})
        project.add_data(frame, "rows", infer_contract=True, actor="test")
    for seed in range(versions):
        result = project.train(seed=seed, learning_curve=False)
        version = project.register(result.run_id, actor="test")
    if deploy and versions:
        project.promote(
            version.ref, force=True, reason="make_project: a test fixture", actor="test"
        )
    return project
