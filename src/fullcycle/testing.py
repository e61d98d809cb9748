"""Helpers for tests, users' and fullcycle's own.

``check_model`` (does my estimator keep fullcycle's model contract?), ``wait_until`` (wait on
a condition, not a sleep) and ``make_project`` (a project with data and models in one call).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
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
    """Clone, fit, save with skops, load with the trusted list, and compare predictions.

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
    loaded = serialization.loads(serialization.dumps(model), what=type(estimator).__name__)
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
    folder: str | os.PathLike[str],
    *,
    name: str = "model",
    task: str = "classification",
    target: str = "label",
    scope: Mapping[str, Any] | None = None,
    data: Any = None,
    data_name: str = "data",
    train: Sequence[Mapping[str, Any] | None] = (),
    production: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """A project for tests: ``init``, then optionally scope edits, data, models, production.

    ``scope`` patches ``fullcycle.yaml`` (a mapping updates the mapping it lands on, key by
    key and recursively; anything else replaces the value). ``data`` (a DataFrame) is added as
    ``data_name`` with its contract inferred; each entry of ``train`` (parameters, or None for
    the scope's) trains and registers one version on it; ``production`` promotes version 1
    (``force``: the set-up is not what the test checks). Returns the open :class:`fullcycle.project.Project`.
    """
    import yaml

    from fullcycle.project import Project

    project = Project.init(folder, name, task=task, target=target, environ=environ)
    if scope:
        path = project.settings.scope_path
        text = _merged(yaml.safe_load(path.read_text("utf-8")), scope)
        path.write_text(yaml.safe_dump(text, sort_keys=False), "utf-8")
        project.reload_scope()
    if data is None:
        if train or production:
            raise ValueError("make_project: train and production need data")
        return project
    version = project.add_data(data, data_name, infer_contract=True)
    for params in train:
        project.train(version.ref, params=dict(params) if params else None)
        project.register()
    if production:
        project.promote(f"{name}:1", "production", force=True, reason="test set-up")
    return project
