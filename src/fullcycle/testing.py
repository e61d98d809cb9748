"""Helpers for tests, users' and fullcycle's own.

``check_model`` (does my estimator keep fullcycle's model contract?), ``wait_until`` (wait on
a condition, not a sleep) and ``make_project`` (a project with data and models in one call).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fullcycle.errors import ModelCheckFailed

if TYPE_CHECKING:
    from fullcycle.project import Project


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


def wait_until(
    predicate: Callable[[], Any],
    *,
    timeout: float = 30.0,
    interval: float = 0.05,
    what: str | None = None,
) -> Any:
    """Call ``predicate`` until it returns something truthy, and return that value.

    Waits on a condition instead of a fixed ``sleep``: fast on an idle machine, patient on a
    loaded one.
    Raises :class:`TimeoutError` naming ``what`` (or the predicate) and the last exception
    the predicate raised, if any, once ``timeout`` seconds have passed. Other exceptions count
    as "not yet", except ``AssertionError``: an ``assert`` in the predicate fails at once.
    """
    import time

    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            value = predicate()
        except AssertionError:
            raise
        except Exception as exc:  # a server not up yet, a file not written yet
            last, value = exc, None
        if value:
            return value
        if time.monotonic() >= deadline:
            name = what or getattr(predicate, "__name__", repr(predicate))
            cause = f" (last error: {type(last).__name__}: {last})" if last else ""
            raise TimeoutError(f"waited {timeout:g} s for {name}; it never became true{cause}")
        time.sleep(interval)


def _merged(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        old = out.get(key)
        fits = isinstance(value, Mapping) and isinstance(old, dict)
        out[key] = _merged(old, value) if fits else value  # type: ignore[arg-type]
    return out


def make_project(
    folder: Any,
    name: str = "demo",
    *,
    task: str = "classification",
    target: str = "label",
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    scope: Mapping[str, Any] | None = None,
    rows: int = 0,
    data: Any = None,
    data_name: str = "data",
    versions: int = 0,
    train: Sequence[Mapping[str, Any] | None] = (),
    deploy: bool = False,
) -> Any:
    """A real project for tests: ``fullcycle.yaml`` and a store in ``folder``.

    ``scope`` patches ``fullcycle.yaml`` (a mapping updates the mapping it lands on, key by key
    and recursively; anything else replaces the value). With ``rows``, a synthetic dataset
    ``rows@1`` (features ``a``, ``b``; target ``label``) and its contract; with ``data`` (your
    DataFrame), that one as ``data_name`` with its contract inferred. ``versions`` trains and
    registers that many versions ``NAME:1..N`` (seeds 0..N-1); each entry of ``train``
    (parameters, or None for the scope's) trains and registers one more on the dataset. With
    ``deploy``, the last version is promoted to production (forced past the goal if it misses
    it, with a reason). ``database_url`` (e.g. a PostgreSQL test database) replaces the
    embedded SQLite store; ``environ`` is passed to :meth:`Project.init` as is."""
    from fullcycle.project import Project

    env = dict(environ or {})
    if database_url:
        env["FULLCYCLE_DATABASE_URL"] = database_url
    project = Project.init(folder, name, task=task, target=target, environ=env)
    if scope:
        _patch_scope(project, scope)
    dataset = _add_data(project, task, rows, data, data_name)
    version = None
    for seed in range(versions):
        result = project.train(seed=seed, learning_curve=False)
        version = project.register(result.run_id, actor="test")
    for params in train:
        ref = dataset.ref if dataset is not None else None
        project.train(ref, params=dict(params) if params else None, learning_curve=False)
        version = project.register(actor="test")
    if deploy and version is not None:
        project.promote(
            version.ref, force=True, reason="make_project: a test fixture", actor="test"
        )
    return project


def _patch_scope(project: Project, patch: Mapping[str, Any]) -> None:
    import yaml

    path = project.settings.scope_path
    text = _merged(yaml.safe_load(path.read_text("utf-8")), patch)
    path.write_text(yaml.safe_dump(text, sort_keys=False), "utf-8")
    project.reload_scope()


def _add_data(project: Project, task: str, rows: int, data: Any, data_name: str) -> Any:
    if data is not None:
        return project.add_data(data, data_name, infer_contract=True, actor="test")
    if not rows:
        return None
    X, y = _default_data(task == "classification")
    picked = [i % len(X) for i in range(rows)]
    frame = X.iloc[picked].assign(label=y.iloc[picked].to_numpy()).reset_index(drop=True)
    if task == "classification":
        frame["label"] = frame["label"].map({0: "no", 1: "yes"})
    return project.add_data(frame, "rows", infer_contract=True, actor="test")
    return project
