"""Helpers for tests, users' and fullcycle's own.

``check_model`` (does my estimator keep fullcycle's model contract?), ``wait_until`` (wait on
a condition, not a sleep), ``make_project`` (a project from the template scope, with data and
models in one call) and ``make_served_project`` (a project whose scope is written out in full
from a table, with its first model serving), ``free_port`` and ``wait_serving`` (wait for a
server started as a child process, and for that one, not a stranger on its port).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fullcycle.errors import ModelCheckFailed
from fullcycle.ports import free_port, listens

__all__ = [
    "check_model",
    "free_port",
    "make_project",
    "make_served_project",
    "served_scope",
    "wait_serving",
    "wait_until",
]

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
    """Clone, fit as fullcycle fits (its library kept quiet, classes encoded where fullcycle
    encodes them), save in the model's flavour (skops behind the allow-list, or XGBoost's,
    LightGBM's and CatBoost's own formats), load, and compare predictions.

    Returns the loaded model; raises :class:`ModelCheckFailed` naming the step that broke.
    The estimator passed in is never fitted itself.
    """
    import numpy as np
    from sklearn.base import clone, is_classifier

    from fullcycle.train import flavours, serialization
    from fullcycle.train.recipe import encode_targets

    if X is None or y is None:
        X, y = _default_data(is_classifier(estimator))
    try:
        model = clone(estimator)
    except Exception as exc:
        raise ModelCheckFailed(f"{type(estimator).__name__} cannot be cloned: {exc}") from exc
    model = flavours.for_training(model)  # e.g. CatBoost: no catboost_info/ in the cwd
    model = encode_targets(model, "classification" if is_classifier(model) else "regression")
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


def wait_serving(
    proc: Any,
    port: int,
    *,
    path: str = "/v2/health/ready",
    timeout: float = 60.0,
    interval: float = 0.1,
    what: str = "the server",
) -> None:
    """Wait until the child process ``proc`` (a ``subprocess.Popen``) listens on ``port`` itself
    and answers 200 on ``path``; fail at once when it exits.

    A port from :func:`free_port` can be taken by another server before the child binds it; its
    "ready" would end the wait while the child never serves (and a SIGTERM then kills it before
    its start-up, recovery included, has run).
    """
    import httpx

    def ready() -> bool:
        assert proc.poll() is None, f"{what} exited with {proc.returncode}"
        if listens(proc.pid, port) is False:
            return False
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200

    wait_until(ready, timeout=timeout, interval=interval, what=f"{what} to be ready on {port}")


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


def served_scope(
    name: str,
    frame: Any,
    *,
    target: str = "label",
    metric: str = "accuracy",
    goal: float = 0.9,
    estimator: str = "sklearn.linear_model:LogisticRegression",
    params: Mapping[str, Any] | None = None,
    sections: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A whole ``fullcycle.yaml`` for a classification table, written out (no template, no
    inferred contract): every column but ``target`` numeric, the target categorical with the
    table's classes (sorted), a stratified split (a quarter held out, seed 0). ``sections``
    adds or replaces top-level sections (``monitoring``, ``retraining``, ``gate``, ...)."""
    features = [str(c) for c in frame.columns if c != target]
    training: dict[str, Any] = {"estimator": estimator}
    if params:
        training["params"] = dict(params)
    training["split"] = {"strategy": "stratified", "test_size": 0.25, "seed": 0}
    scope: dict[str, Any] = {
        "schema_version": 1,
        "name": name,
        "task": "classification",
        "target": target,
        "metric": {"name": metric, "goal": goal},
        "features": {
            "columns": [{"name": f, "kind": "numeric"} for f in features],
            "target": {
                "name": target,
                "kind": "categorical",
                "classes": sorted(str(c) for c in frame[target].unique()),
            },
        },
        "training": training,
    }
    return scope | dict(sections or {})


def make_served_project(
    folder: Any,
    frame: Any,
    name: str = "demo",
    *,
    database_url: str | None = None,
    data_name: str = "rows",
    actor: str = "test",
    **scope_options: Any,
) -> Any:
    """A project in ``folder`` whose scope is :func:`served_scope` of ``frame`` (``target``,
    ``metric``, ``goal``, ``estimator``, ``params`` and ``sections`` are passed to it), with
    ``frame`` added as ``data_name@1``, one model trained on it, registered as ``NAME:1`` and
    promoted to production through the gate (so the deployment serves it). ``database_url``
    (e.g. a PostgreSQL test database) replaces the embedded SQLite store; ``actor`` signs the
    events."""
    from pathlib import Path

    import yaml

    from fullcycle.project import Project
    from fullcycle.settings import Settings

    scope = served_scope(name, frame, **scope_options)
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    (root / "fullcycle.yaml").write_text(yaml.safe_dump(scope, sort_keys=False), "utf-8")
    env = {"FULLCYCLE_DATABASE_URL": database_url} if database_url else {}
    project = Project(Settings.from_env(env, project_dir=root))
    data = project.add_data(frame, data_name, actor=actor)
    run = project.train(data=data.ref, learning_curve=False)
    project.promote(project.register(run.run_id, actor=actor).ref, actor=actor)
    return project
