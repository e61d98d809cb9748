"""Drive fullcycle on a real-data scenario as a user would: the CLI and HTTP only.

init -> data add --infer-contract -> train -> register -> promote -> serve, then every later
period is replayed through ``/predict`` in chunks; after each chunk the feedback for a share of
requests arrives on ``/feedback``, ``fullcycle monitor`` builds a report, ``fullcycle loop --once``
takes one step, and a scripted labeller answers the labelling queue from the data's truth
through ``label export`` / ``label import``. Offline, beside it (never through the server): a
frozen copy of the first model scored on the same rows, and a reference that fits the same
recipe on the previous period's labelled rows.

Nothing here tunes fullcycle to a dataset: the scope keeps the template's thresholds; only the
sizes that depend on traffic volume (labels per retrain, canary sample) and the guards that need
a wall clock (``min_interval``, ``max_per_day``) are scaled to a replay that lasts a minute.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fullcycle import metric_table
from fullcycle.ports import free_port

FC = str(Path(sys.executable).parent / "fullcycle")
CALL_TIMEOUT_S = 1800  # a loaded shared machine (a whole backtest is one command)


@dataclass
class Options:
    chunks_per_period: int = 2
    feedback_share: float = 0.2
    concurrency: int = 8
    seed: int = 0
    labels_per_retrain: int = 200  # retraining.min_new_labels, scaled to the replay's volume
    canary_requests: int = 50  # rollout.min_requests, scaled likewise
    gate_rows: int = 200  # gate.min_samples, scaled likewise
    canary_share: float = 0.5  # rollout.canary_share and steps [share, 1.0] (backtest mode)
    steps_per_period: int = 6  # loop steps per replayed period (backtest mode)
    mode: str = "backtest"  # or "live": a real server on the wall clock


@dataclass
class Failure:
    step: str
    command: str
    rc: int
    line: str


@dataclass
class PeriodRow:
    label: str
    requests: int
    refused: int
    loop: float | None
    frozen: float | None
    reference: float | None
    labels: int  # rows answered by the labeller (queue)
    feedback: int  # delayed feedback sent with /feedback
    retrains: int
    promotions: int
    rollbacks: int
    alarms: int  # monitor reports with at least one alert
    actions: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    scenario: str
    metric: str
    evaluation: float | None
    window: int
    periods: list[PeriodRow]
    onset: int | None  # request at which decay began (frozen metric fell past metric_drop)
    flagged_at: int | None  # request at which decay was first flagged (monitor alert or loop)
    flag_reason: str
    failures: list[Failure]
    seconds: float
    served_versions: dict[int, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def last(self) -> PeriodRow:
        return self.periods[-1]

    def share_of_reference(self) -> float | None:
        """The loop's last period as a share of the retrained reference's, the better the
        higher whatever the metric's direction (``reference / loop`` for an error)."""
        loop, ref = self.last.loop, self.last.reference
        if loop is None or ref is None:
            return None
        if GREATER_IS_BETTER.get(self.metric, True):
            return loop / ref if ref else None
        return ref / loop if loop else None


# -- metrics (offline; the same definitions as scikit-learn's) --------------------------------
def _norm(value: Any) -> str:
    """A class as text, so 1, 1.0 and "1" are the same class (the loop must agree)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)


def score(metric: str, truth: Any, pred: Any, proba: Any = None) -> float | None:
    """``metric`` on the rows; a probability metric (roc_auc, log_loss, brier) from ``proba``,
    each row's class probabilities as ``{class: p}`` (None without them)."""
    from sklearn import metrics as m

    if len(truth) == 0:
        return None
    if metric in ("roc_auc", "log_loss", "brier"):
        return _proba_score(metric, truth, proba)
    if metric in ("r2", "rmse", "mae", "mape"):
        y, p = np.asarray(truth, dtype=float), np.asarray(pred, dtype=float)
        if metric == "r2":
            return float(m.r2_score(y, p))
        if metric == "rmse":
            return float(np.sqrt(m.mean_squared_error(y, p)))
        if metric == "mape":
            return float(m.mean_absolute_percentage_error(y, p))
        return float(m.mean_absolute_error(y, p))
    y = [_norm(v) for v in truth]
    p = [_norm(v) for v in pred]
    if metric == "accuracy":
        return float(m.accuracy_score(y, p))
    name, average = metric.split("_", 1)  # f1_macro, precision_weighted, recall_macro, ...
    scorer = {"f1": m.f1_score, "precision": m.precision_score, "recall": m.recall_score}[name]
    return float(scorer(y, p, average=average, zero_division=0))


def _proba_score(metric: str, truth: Any, proba: Any) -> float | None:
    from sklearn import metrics as m

    if proba is None or any(row is None for row in proba):
        return None
    y = [_norm(v) for v in truth]
    labels = sorted(set(y) | {_norm(c) for row in proba for c in row})
    p = np.array([[{_norm(c): v for c, v in row.items()}.get(c, 0.0) for c in labels]
                  for row in proba])  # fmt: skip
    if metric == "log_loss":
        return float(m.log_loss(y, np.clip(p, 1e-15, 1.0), labels=labels))
    onehot = (np.array(y)[:, None] == np.array(labels)[None, :]).astype(float)
    if len(labels) == 2:
        if metric == "brier":
            return float(m.brier_score_loss(onehot[:, 1], p[:, 1]))
        return float(m.roc_auc_score(onehot[:, 1], p[:, 1]))
    if metric == "brier":  # the multiclass Brier score: the squared distance summed over classes
        return float(((p - onehot) ** 2).sum(axis=1).mean())
    return float(m.roc_auc_score(onehot, p, multi_class="ovr", average="macro"))


def proba_rows(model: Any, X: Any) -> list[dict[str, float]] | None:
    """A fitted classifier's class probabilities for ``X``, a ``{class: p}`` per row."""
    if not hasattr(model, "predict_proba"):
        return None
    return [
        dict(zip(model.classes_, map(float, row), strict=True)) for row in model.predict_proba(X)
    ]


#: the metrics a replay scores from the served answers (labels, numbers or class
#: probabilities), and which way each is better: fullcycle's metric table says, scikit-learn
#: scores
METRICS_BY_TASK = {
    task: tuple(m.name for m in metric_table.TABLE.values() if m.task == task)
    for task in ("classification", "regression")
}
GREATER_IS_BETTER = {m.name: m.greater_is_better for m in metric_table.TABLE.values()}


# -- processes -------------------------------------------------------------------------------
class Driver:
    """Runs ``fullcycle`` commands in the project folder and keeps every failure."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.failures: list[Failure] = []
        self.seconds: dict[str, float] = {}
        self.env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"}
        self.env.pop("FULLCYCLE_PROJECT_DIR", None)

    def run(self, *args: str, step: str = "", cwd: Path | None = None) -> tuple[int, str]:
        cmd = [FC, *args]
        began = time.monotonic()
        try:
            proc = subprocess.run(
                cmd,
                cwd=cwd or self.folder,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=CALL_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            line = f"did not finish in {CALL_TIMEOUT_S} s"
            self.failures.append(Failure(step or args[0], "fullcycle " + " ".join(args), -1, line))
            return -1, ""
        out = proc.stdout + proc.stderr
        key = step or args[0]
        self.seconds[key] = self.seconds.get(key, 0.0) + time.monotonic() - began
        lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
        bad = [i for i, ln in enumerate(lines) if ln.lower().startswith(("error", "traceback"))]
        if proc.returncode != 0 or bad:
            # the error line and the few lines that explain it (e.g. the columns it names)
            first = bad[-1] if bad else max(len(lines) - 1, 0)
            line = " / ".join(lines[first : first + 4]) or "(no output)"
            self.failures.append(
                Failure(step or args[0], "fullcycle " + " ".join(args), proc.returncode, line[:600])
            )
        return proc.returncode, out


class Server:
    """A real ``fullcycle serve`` on a free 127.0.0.1 port, for a ``with`` block."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        from fullcycle.testing import wait_serving

        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - closed in __exit__
        self.log = log
        self.proc = subprocess.Popen(
            [FC, "serve", "--port", str(self.port)],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_serving(self.proc, self.port, timeout=90, interval=0.2, what="fullcycle serve")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# -- HTTP ------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


async def _replay(
    url: str, token: str, records: list[dict[str, Any]], ids: list[str], concurrency: int
) -> list[tuple[int, Any, Any]]:
    import httpx

    out: list[tuple[int, Any, Any]] = [(0, None, None)] * len(records)
    next_i = iter(range(len(records)))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as client:

        async def worker() -> None:
            for i in next_i:
                resp = await client.post(
                    "/predict", json={"records": [records[i]]}, headers={"X-Request-ID": ids[i]}
                )
                body = resp.json() if resp.status_code == 200 else {}
                out[i] = (
                    resp.status_code,
                    (body.get("predictions") or [None])[0],
                    body.get("version"),
                )

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out


def feedback(url: str, token: str, items: list[dict[str, Any]]) -> int:
    import httpx

    if not items:
        return 0
    resp = httpx.post(
        f"{url}/feedback", json=items, timeout=60, headers={"Authorization": f"Bearer {token}"}
    )
    resp.raise_for_status()
    return int(resp.json().get("stored", len(items)))
