"""Helpers for users' own tests: does my estimator keep fullcycle's model contract?"""

from __future__ import annotations

from collections.abc import Callable
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
