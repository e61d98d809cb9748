"""One table of metrics: each metric the scope accepts is declared here once.

A row says which tasks the metric fits (``binary``, ``multiclass``, ``regression``), whether
greater is better, whether it needs class probabilities, the range a goal may take, the per-row
loss a paired test compares (``None`` for metrics that do not decompose into rows, such as
macro-F1 or ROC AUC: those are compared with a paired bootstrap on the metric itself), and how
its value is computed. Evaluation, monitoring, the loop's triggers, the gate, the canary, the
post-promotion watch and the scope's validation all read this table; adding a metric is one row.

A leaf: imports nothing of fullcycle but ``errors``; numpy and scikit-learn are imported lazily.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fullcycle.errors import ConfigError

CLASSIFICATION = ("binary", "multiclass")
REGRESSION = ("regression",)
_EPS = 2.220446049250313e-16  # float64 machine epsilon, as scikit-learn's MAPE uses
_P_MIN = 1e-15


@dataclass(frozen=True)
class MetricDef:
    """One metric: what it fits, which way is better, and how a row contributes to it."""

    name: str
    tasks: tuple[str, ...]
    greater_is_better: bool
    needs_proba: bool
    low: float | None
    high: float | None
    loss: str | None  # per-row loss for paired tests; None: paired bootstrap on the metric
    confusion: str | None = None  # computed from a confusion matrix: accuracy, f1, ...
    average: str | None = None  # macro or weighted (confusion metrics)

    @property
    def task(self) -> str:
        """``classification`` or ``regression``: the scope's task this metric belongs to."""
        return "regression" if self.tasks == REGRESSION else "classification"

    @property
    def direction(self) -> str:
        return "maximize" if self.greater_is_better else "minimize"


def _row(name: str, tasks: tuple[str, ...], gib: bool, proba: bool, lo: Any, hi: Any, loss: Any,
         confusion: str | None = None, average: str | None = None) -> MetricDef:  # fmt: skip
    return MetricDef(name, tasks, gib, proba, lo, hi, loss, confusion, average)


TABLE: dict[str, MetricDef] = {
    m.name: m
    for m in (
        _row("accuracy", CLASSIFICATION, True, False, 0.0, 1.0, "zero_one", "accuracy"),
        _row("f1_macro", CLASSIFICATION, True, False, 0.0, 1.0, None, "f1", "macro"),
        _row("f1_weighted", CLASSIFICATION, True, False, 0.0, 1.0, None, "f1", "weighted"),
        _row("precision_macro", CLASSIFICATION, True, False, 0.0, 1.0, None, "precision", "macro"),
        _row(
            "precision_weighted",
            CLASSIFICATION,
            True,
            False,
            0.0,
            1.0,
            None,
            "precision",
            "weighted",
        ),  # fmt: skip
        _row("recall_macro", CLASSIFICATION, True, False, 0.0, 1.0, None, "recall", "macro"),
        _row("recall_weighted", CLASSIFICATION, True, False, 0.0, 1.0, None, "recall", "weighted"),
        _row("roc_auc", CLASSIFICATION, True, True, 0.0, 1.0, None),
        _row("log_loss", CLASSIFICATION, False, True, 0.0, None, "log"),
        _row("brier", CLASSIFICATION, False, True, 0.0, 2.0, "brier"),
        _row("r2", REGRESSION, True, False, None, 1.0, "squared"),
        _row("rmse", REGRESSION, False, False, 0.0, None, "squared"),
        _row("mae", REGRESSION, False, False, 0.0, None, "absolute"),
        _row("mape", REGRESSION, False, False, 0.0, None, "abs_pct"),
    )
}
NAMES: tuple[str, ...] = tuple(TABLE)
#: the metric a scope or spec gets when it names none
DEFAULT = {"classification": "f1_macro", "regression": "rmse"}


def get(name: str) -> MetricDef:
    """The metric's row; ConfigError naming the metrics there are when ``name`` is unknown."""
    try:
        return TABLE[name]
    except KeyError:
        raise ConfigError(f"metric {name!r} is not one of {', '.join(NAMES)}") from None


#: labelled rows a live metric needs before an alarm or a retrain trigger may judge it: a mean of
#: per-row losses is well covered by its bootstrap from a few dozen rows; a ratio of confusion
#: counts (F1, precision, recall, ROC AUC) is not: on 71 rows of a binary task with 22%
#: positives, macro-F1's 99% percentile edge fell short of the true value 4% of the time (0.5%
#: asked), 1.3% at 150 rows (a simulation on the flights control's own answers)
MIN_ROWS_MEAN_LOSS = 30
MIN_ROWS_RATIO = 150


def rows_to_judge(name: str) -> int:
    """Labelled rows the live ``name`` needs before it may raise an alarm or fire a trigger."""
    known = TABLE.get(name)
    return MIN_ROWS_MEAN_LOSS if known is None or known.loss is not None else MIN_ROWS_RATIO


def names(task: str | None = None) -> tuple[str, ...]:
    """Metric names, optionally only those fitting ``task`` (classification, regression,
    binary or multiclass)."""
    if task is None:
        return NAMES
    return tuple(n for n, m in TABLE.items() if task in (m.task, *m.tasks))


def problems(
    name: str, task: str, *, n_classes: int | None = None, has_proba: bool | None = None
) -> list[str]:
    """Why ``name`` does not fit ``task`` (empty when it fits). ``n_classes`` and ``has_proba``
    are checked when known."""
    m = TABLE.get(name)
    if m is None:
        return [f"{name!r} is not one of {', '.join(NAMES)}"]
    if m.task != task:
        return [f"{name} is a {m.task} metric; for {task} use one of {', '.join(names(task))}"]
    out = []
    if n_classes is not None and task == "classification":
        kind = "binary" if n_classes <= 2 else "multiclass"
        if kind not in m.tasks:
            out.append(f"{name} does not fit a {kind} target; use one of {', '.join(names(kind))}")
    if m.needs_proba and has_proba is False:
        why = " (one-vs-rest over every class)" if n_classes and n_classes > 2 else ""
        out.append(
            f"{name} needs class probabilities{why}, and the model has no predict_proba: "
            "choose an estimator with predict_proba or a metric on labels (e.g. accuracy)"
        )
    return out


def worse_by(name: str, value: float, reference: float) -> float:
    """How much worse ``value`` is than ``reference`` in the metric's direction (>0: worse)."""
    return reference - value if get(name).greater_is_better else value - reference


def is_better(name: str, value: float, reference: float, margin: float = 0.0) -> bool:
    """True when ``value`` beats ``reference`` by more than ``margin``."""
    return -worse_by(name, value, reference) > margin


def meets(name: str, value: float, goal: float) -> bool:
    """Whether ``value`` reaches ``goal`` in the metric's direction."""
    return worse_by(name, value, goal) <= 0


# -- values -------------------------------------------------------------------------------------
def class_key(value: Any) -> str:
    """A class as a comparable string: ``1``, ``1.0``, ``"1"`` and ``True``/``"true"`` agree."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float) or type(value).__module__ == "numpy":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        return str(int(number)) if number.is_integer() else repr(number)
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.capitalize()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if math.isfinite(number) and number.is_integer() else text


def class_keys(values: Any) -> Any:
    """:func:`class_key` over a sequence, as a numpy object array."""
    import numpy as np

    return np.asarray([class_key(v) for v in values], dtype=object)


def value(
    name: str, y: Any, pred: Any, proba: Any = None, labels: Sequence[Any] | None = None
) -> float | None:
    """The metric on these rows; None when it cannot be computed (no rows, one class for ROC
    AUC or R², no probabilities for a probability metric)."""
    import numpy as np

    m = get(name)
    if len(y) == 0:
        return None
    if m.confusion is not None:
        return _finite(from_confusions(name, confusion(y, pred)[None])[0])
    if m.needs_proba and (proba is None or labels is None):
        return None
    if name == "roc_auc":
        return _roc_auc(np.asarray(y, dtype=object), np.asarray(proba, float), list(labels or []))
    if name == "r2":
        yy = np.asarray(y, dtype=float)
        ss_tot = float(((yy - yy.mean()) ** 2).sum())
        if len(yy) < 2 or ss_tot == 0:
            return None
        return _finite(1 - float(row_losses(name, y, pred).sum()) / ss_tot)
    mean = float(np.mean(row_losses(name, y, pred, proba, labels)))
    return _finite(math.sqrt(mean) if name == "rmse" else mean)


def _finite(number: Any) -> float | None:
    try:
        out = float(number)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _roc_auc(y: Any, proba: Any, labels: list[Any]) -> float | None:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    present = set(y.tolist())
    if len(present) < 2:
        return None
    if len(labels) == 2:
        return _finite(roc_auc_score(y == labels[1], proba[:, 1]))
    if not all(c in present for c in labels):
        return None
    c = codes(y, labels)  # positions, so object-typed labels never puzzle scikit-learn
    return _finite(roc_auc_score(c, proba, multi_class="ovr", labels=np.arange(len(labels))))


def row_losses(
    name: str, y: Any, pred: Any, proba: Any = None, labels: Sequence[Any] | None = None
) -> Any:
    """Per-row losses (lower is better) whose mean the metric is a monotone function of, on
    fixed rows; None for metrics that do not decompose (compare those by bootstrap)."""
    import numpy as np

    loss = get(name).loss
    if loss is None:
        return None
    if loss == "zero_one":
        return (np.asarray(y, dtype=object) != np.asarray(pred, dtype=object)).astype(float)
    if loss in ("log", "brier"):
        if proba is None or labels is None:
            return None
        return _proba_losses(loss, y, np.asarray(proba, dtype=float), list(labels))
    yy, pp = np.asarray(y, dtype=float), np.asarray(pred, dtype=float)
    r = yy - pp
    if loss == "squared":
        return r**2
    if loss == "absolute":
        return np.abs(r)
    return np.abs(r) / np.maximum(np.abs(yy), _EPS)  # abs_pct


def _proba_losses(loss: str, y: Any, proba: Any, labels: list[Any]) -> Any:
    import numpy as np

    c = codes(y, labels)
    rows = np.arange(len(c))
    if loss == "log":
        p = np.clip(proba[rows, np.maximum(c, 0)], _P_MIN, 1.0)
        return np.where(c >= 0, -np.log(p), -math.log(_P_MIN))
    onehot = np.zeros_like(proba)
    onehot[rows[c >= 0], c[c >= 0]] = 1.0
    if len(labels) == 2:
        return (proba[:, 1] - onehot[:, 1]) ** 2
    return ((proba - onehot) ** 2).sum(axis=1)


def codes(y: Any, labels: Sequence[Any]) -> Any:
    """Positions of ``y`` in ``labels`` (-1 when absent)."""
    import numpy as np
    import pandas as pd

    cats = pd.Index(list(labels), dtype=object)
    return np.asarray(cats.get_indexer(np.asarray(y, dtype=object)))


def confusion(y: Any, pred: Any) -> Any:
    """Confusion matrix over the labels seen in ``y`` or ``pred`` (hash-based, no sort)."""
    import numpy as np
    import pandas as pd

    ya, pa = np.asarray(y, dtype=object), np.asarray(pred, dtype=object)
    index = pd.Index(pd.unique(np.concatenate([ya, pa])), dtype=object)
    k = len(index)
    cells = index.get_indexer(ya) * k + index.get_indexer(pa)
    return np.bincount(cells, minlength=k * k).reshape(k, k)


def from_confusions(name: str, cms: Any) -> Any:
    """The metric for each confusion matrix (``cms``: B x k x k, rows true, columns predicted;
    counts or expected counts). Macro averages run over the classes present in either."""
    import numpy as np

    m = get(name)
    tp = np.diagonal(cms, axis1=1, axis2=2).astype(float)
    true_sum = cms.sum(axis=2).astype(float)
    pred_sum = cms.sum(axis=1).astype(float)
    if m.confusion == "accuracy":
        with np.errstate(divide="ignore", invalid="ignore"):
            return tp.sum(axis=1) / cms.sum(axis=(1, 2))
    per: dict[str, Callable[[], Any]] = {
        "precision": lambda: np.divide(tp, pred_sum, out=np.zeros_like(tp), where=pred_sum > 0),
        "recall": lambda: np.divide(tp, true_sum, out=np.zeros_like(tp), where=true_sum > 0),
        "f1": lambda: np.divide(
            2 * tp, true_sum + pred_sum, out=np.zeros_like(tp), where=(true_sum + pred_sum) > 0
        ),
    }
    scores = per[str(m.confusion)]()
    with np.errstate(divide="ignore", invalid="ignore"):
        if m.average == "weighted":
            return (scores * true_sum).sum(axis=1) / true_sum.sum(axis=1)
        present = (true_sum + pred_sum) > 0
        return (scores * present).sum(axis=1) / present.sum(axis=1)


def resampled(
    name: str, y: Any, pred: Any, proba: Any, labels: Sequence[Any] | None, idx: Any
) -> Any:
    """The metric on each resample of rows (``idx``: B x n row indices), vectorised where the
    metric allows: confusion matrices by bincount, per-row losses by a mean."""
    import numpy as np

    m = get(name)
    if m.confusion is not None:
        ya, pa = np.asarray(y, dtype=object), np.asarray(pred, dtype=object)
        index = pd_index(np.concatenate([ya, pa]))
        k = len(index)
        cell = index.get_indexer(ya) * k + index.get_indexer(pa)
        b = idx.shape[0]
        flat = (cell[idx] + (k * k) * np.arange(b)[:, None]).ravel()
        cms = np.bincount(flat, minlength=b * k * k).reshape(b, k, k)
        return from_confusions(name, cms)
    losses = row_losses(name, y, pred, proba, labels)
    if name == "r2":
        yy = np.asarray(y, dtype=float)[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            ss_tot = ((yy - yy.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
            return np.where(ss_tot > 0, 1 - losses[idx].sum(axis=1) / ss_tot, np.nan)
    if losses is not None:
        means = losses[idx].mean(axis=1)
        return np.sqrt(means) if name == "rmse" else means
    out = []
    for rows in idx:
        sub = None if proba is None else np.asarray(proba)[rows]
        v = value(name, np.asarray(y, dtype=object)[rows], np.asarray(pred)[rows], sub, labels)
        out.append(np.nan if v is None else v)
    return np.asarray(out, dtype=float)


def pd_index(values: Any) -> Any:
    """A hash index over the distinct values (order of first appearance)."""
    import pandas as pd

    return pd.Index(pd.unique(values), dtype=object)
