"""The one metric table: values match scikit-learn, per-row losses order models as the metric
does, and the scope accepts exactly the table's metrics, each only for its task."""

import typing

import numpy as np
import pytest
from sklearn import metrics as M
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

from fullcycle import metric_table
from fullcycle.errors import ConfigError
from fullcycle.scope._model import MetricName


def _iris(binary: bool):
    X, y = load_iris(return_X_y=True)
    if binary:
        X, y = X[y < 2], y[y < 2]
    model = LogisticRegression(max_iter=2000).fit(X[::2], y[::2])
    return y[1::2], model.predict(X[1::2]), model.predict_proba(X[1::2]), list(model.classes_)


SKLEARN = {
    "accuracy": lambda y, p, pr, c: M.accuracy_score(y, p),
    "f1_macro": lambda y, p, pr, c: M.f1_score(y, p, average="macro"),
    "f1_weighted": lambda y, p, pr, c: M.f1_score(y, p, average="weighted"),
    "precision_macro": lambda y, p, pr, c: M.precision_score(y, p, average="macro"),
    "precision_weighted": lambda y, p, pr, c: M.precision_score(y, p, average="weighted"),
    "recall_macro": lambda y, p, pr, c: M.recall_score(y, p, average="macro"),
    "recall_weighted": lambda y, p, pr, c: M.recall_score(y, p, average="weighted"),
    "log_loss": lambda y, p, pr, c: M.log_loss(y, pr, labels=c),
    "roc_auc": lambda y, p, pr, c: (
        M.roc_auc_score(y, pr[:, 1]) if len(c) == 2 else M.roc_auc_score(y, pr, multi_class="ovr")
    ),
    "brier": lambda y, p, pr, c: (
        M.brier_score_loss(y, pr[:, 1])
        if len(c) == 2
        else float(np.mean(((pr - np.eye(len(c))[y]) ** 2).sum(axis=1)))
    ),
}


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("name", metric_table.names("classification"))
def test_classification_values_match_scikit_learn(name: str, binary: bool) -> None:
    y, pred, proba, classes = _iris(binary)
    # predictions that are not perfect, so the metrics differ
    pred = np.where(np.arange(len(pred)) % 7 == 0, classes[0], pred)
    ours = metric_table.value(name, y, pred, proba, classes)
    assert ours == pytest.approx(SKLEARN[name](y, pred, proba, classes), abs=1e-9)


@pytest.mark.parametrize("name", metric_table.names("regression"))
def test_regression_values_match_scikit_learn(name: str) -> None:
    X, y = load_diabetes(return_X_y=True)
    pred = LinearRegression().fit(X[::2], y[::2]).predict(X[1::2])
    expected = {
        "r2": M.r2_score,
        "rmse": lambda a, b: M.mean_squared_error(a, b) ** 0.5,
        "mae": M.mean_absolute_error,
        "mape": M.mean_absolute_percentage_error,
    }[name](y[1::2], pred)
    assert metric_table.value(name, y[1::2], pred) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", [n for n in metric_table.NAMES if metric_table.get(n).loss])
def test_the_mean_row_loss_ranks_two_models_as_the_metric_does(name: str) -> None:
    m = metric_table.get(name)
    if m.task == "regression":
        X, y = load_diabetes(return_X_y=True)
        good = LinearRegression().fit(X, y).predict(X)
        bad = good + np.random.default_rng(0).normal(0, 40, len(y))
        args_good, args_bad, labels = (good, None), (bad, None), None
    else:
        y, pred, proba, labels = _iris(False)
        noisy = 0.5 * proba + 0.5 * np.random.default_rng(1).dirichlet([1, 1, 1], len(y))
        args_good = (pred, proba)
        args_bad = (np.asarray(labels)[noisy.argmax(axis=1)], noisy)
    vg = metric_table.value(name, y, *args_good, labels)
    vb = metric_table.value(name, y, *args_bad, labels)
    lg = metric_table.row_losses(name, y, *args_good, labels).mean()
    lb = metric_table.row_losses(name, y, *args_bad, labels).mean()
    assert metric_table.is_better(name, vg, vb) and lg < lb


def test_the_scope_accepts_exactly_the_tables_metrics() -> None:
    assert set(typing.get_args(MetricName)) == set(metric_table.NAMES)


def test_a_metric_that_does_not_fit_is_named_with_what_fits() -> None:
    assert metric_table.problems("r2", "classification")[0].startswith(
        "r2 is a regression metric; for classification use one of accuracy"
    )
    assert (
        "needs class probabilities"
        in metric_table.problems("roc_auc", "classification", n_classes=3, has_proba=False)[0]
    )
    assert metric_table.problems("roc_auc", "classification", n_classes=3, has_proba=True) == []
    with pytest.raises(ConfigError, match="'f1_micro' is not one of accuracy"):
        metric_table.get("f1_micro")


def test_class_keys_make_spellings_of_one_class_agree() -> None:
    keys = metric_table.class_keys([1, 1.0, "1", "1.0", np.int64(1), True, "true", "cat"])
    assert list(keys) == ["1", "1", "1", "1", "1", "True", "True", "cat"]


def test_the_metric_names_live_only_in_the_table() -> None:
    """No other module spells out a list of the metric names (grep for two in one line)."""
    from pathlib import Path

    import fullcycle

    root = Path(fullcycle.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "metric_table.py" or path.parts[-2:] == ("scope", "_model.py"):
            continue
        for line in path.read_text().splitlines():
            quoted = [n for n in metric_table.NAMES if f'"{n}"' in line or f"'{n}'" in line]
            if len(quoted) >= 2:
                offenders.append(f"{path.relative_to(root)}: {line.strip()}")
    assert offenders == []
