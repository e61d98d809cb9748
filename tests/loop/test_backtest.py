"""``fullcycle loop backtest``: past rows replayed through the server app and the loop on a
simulated clock, with the scope's production guards read in replayed time.

The data is scikit-learn's diabetes table with a drifting later part (the disease progresses
faster for the same measurements), spread over 60 replayed days."""

from __future__ import annotations

import json
import os
from itertools import pairwise

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import loopkit  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402

from fullcycle import clock  # noqa: E402
from fullcycle.cli import main  # noqa: E402

DAY = 86400.0
FAST = loopkit.FAST_LOOP
SCOPE = {
    **FAST,
    "metric": {"name": "r2", "goal": 0.3, "baseline": {"value": 0.2, "label": "mean"}},
    "training": {"estimator": "sklearn.linear_model:Ridge", "params": {"alpha": 0.01}},
    # production guards, in replayed time: one retrain a day at most, 6 h apart
    "retraining": {**FAST["retraining"], "min_new_labels": 100,
                   "guards": {"min_interval": "6h", "max_per_day": 1, "lease_seconds": 600}},
    "rollout": {**FAST["rollout"], "min_requests": 30, "analysis_interval": "1h"},
}  # fmt: skip


ROWS = 600


def history(frame: pd.DataFrame) -> pd.DataFrame:
    """600 draws from the rows after the first 250, drifted from the first quarter on, stamped
    over 60 days of 2021."""
    later = frame.iloc[250:].sample(n=ROWS, replace=True, random_state=1).reset_index(drop=True)
    onset = ROWS // 4
    later.loc[onset:, "target"] = later.loc[onset:, "target"] * 1.6 + 40
    start = pd.Timestamp("2021-03-01")
    later["when"] = [start + pd.Timedelta(days=60 * i / len(later)) for i in range(len(later))]
    return later


@pytest.fixture
def project_and_file(tmp_path: Path) -> tuple[object, Path]:
    frame = load_diabetes(as_frame=True).frame.sample(frac=1.0, random_state=0)
    frame = frame.reset_index(drop=True)
    project = loopkit.make_project(tmp_path / "p", "diabetes", "regression", "target", SCOPE)
    loopkit.start(project, frame.iloc[:250])
    file = tmp_path / "history.csv"
    history(frame).to_csv(file, index=False)
    return project, file


def backtest(project: object, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``fullcycle loop backtest ARGS -C project`` as the command line runs it (errors as the
    one line a user sees); the exit code and everything printed."""
    folder = str(project.settings.project_dir)  # type: ignore[attr-defined]
    capsys.readouterr()
    code = main(["loop", "backtest", *args, "-C", folder])
    printed = capsys.readouterr()
    return code, printed.out + printed.err


@pytest.mark.slow
def test_a_backtest_replays_history_and_the_loop_recovers_under_its_production_guards(
    project_and_file: tuple[object, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, file = project_and_file
    predictions = tmp_path / "answers.csv"
    code, out = backtest(
        project, capsys, str(file), "--time-column", "when", "--every", "5d",  # window: a step
        "--feedback-share", "1", "--feedback-delay", "1d", "--predictions", str(predictions),
        "--json",
    )  # fmt: skip
    assert code == 0, out
    result = json.JSONDecoder().raw_decode(out[out.index("{") :])[0]  # stderr follows
    steps = result["steps"]
    assert result["totals"]["requests"] == len(pd.read_csv(file)) == ROWS
    assert len(steps) == 12  # 60 days cut every 5 days
    # the drifted rows hurt the first model; the loop noticed, retrained and promoted
    shown = [(s["action"], s["reasons"][-1:], s["live"], s["frozen"]) for s in steps]
    assert result["totals"]["retrains"] >= 1 and result["totals"]["promotions"] >= 1, shown
    last = steps[-1]
    assert last["live"] > last["frozen"], steps
    # replayed time: the guards allowed at most one retrain per replayed day
    retrains = sorted(e.ts for e in project.events(kind="loop.retrain"))  # type: ignore[attr-defined]
    assert all(later - earlier >= 6 * 3600 for earlier, later in pairwise(retrains))
    # every record is stamped in replayed time: the events span the 60 days, not the seconds
    # the test took
    stamps = [e.ts for e in project.events(limit=10_000)]  # type: ignore[attr-defined]
    assert max(stamps) - min(stamps) > 50 * DAY
    # a rollout in flight is analysed inside the steps, as `loop --watch` would every minute,
    # no more often than rollout.analysis_interval (1h) of replayed time
    ticks = [t for s in steps for t in s["ticks"]]
    assert ticks and all(t.startswith("rollout_") or t == "wait" for t in ticks), ticks
    assert any(t in ("rollout_step", "rollout_promote") for t in ticks), steps
    analysed: dict[str, list[float]] = {}  # per rollout (its challenger)
    for kind in ("loop.rollout.extend", "loop.rollout.step", "loop.promote"):
        for e in project.events(kind=kind):  # type: ignore[attr-defined]
            analysed.setdefault(e.subject, []).append(e.ts)
    assert sum(map(len, analysed.values())) > len(steps) // 2, analysed
    for times in analysed.values():
        assert all(later - earlier >= 3600 for earlier, later in pairwise(sorted(times)))
    answers = pd.read_csv(predictions)
    assert len(answers) == ROWS and answers["version"].iloc[0] == 1
    assert answers["version"].nunique() >= 2  # a promoted challenger answered the later rows
    assert np.allclose(answers["truth"], pd.read_csv(file)["target"])


def test_a_backtest_names_a_time_column_that_is_missing_or_not_a_time(
    project_and_file: tuple[object, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, file = project_and_file
    code, out = backtest(project, capsys, str(file), "--time-column", "nope")
    assert code != 0 and "time column 'nope' is not in the file" in out
    bad = pd.read_csv(file)
    bad.loc[3, "when"] = "last tuesday"
    broken = tmp_path / "broken.csv"
    bad.to_csv(broken, index=False)
    code, out = backtest(project, capsys, str(broken), "--time-column", "when")
    assert code != 0 and "time column 'when'" in out and "last tuesday" in out
    code, out = backtest(project, capsys, str(file), "-t", "when", "--steps", "3", "--every", "1d")
    assert code != 0 and "--steps or --every" in out
    # nothing was replayed: no prediction was logged by the refused runs
    assert project.status().counts["log_segments"] == 0


def test_a_backtest_needs_the_truth_column(
    project_and_file: tuple[object, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project, file = project_and_file
    unlabelled = tmp_path / "unlabelled.csv"
    pd.read_csv(file).drop(columns=["target"]).to_csv(unlabelled, index=False)
    code, out = backtest(project, capsys, str(unlabelled), "-t", "when")
    assert code != 0 and "'target'" in out and "truth" in out


def test_the_simulated_clock_stamps_records_and_never_runs_back() -> None:
    real = clock.now()
    with clock.simulated(1_000.0) as sim:
        assert clock.now() == 1_000.0
        sim.set(500.0)  # the past: ignored
        assert clock.now() == 1_000.0
        sim.advance(60)
        assert clock.now() == 1_060.0
    assert clock.now() >= real


@pytest.mark.parametrize(
    ("loader", "metric"), [("load_breast_cancer", "roc_auc"), ("load_wine", "log_loss")]
)
def test_a_backtest_scores_a_probability_metric_from_the_answers_probabilities(
    loader: str, metric: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The answers carry class probabilities: a roc_auc (binary) or log_loss (multiclass)
    scope gets its live and frozen metric per step, as scikit-learn computes it, and the
    answers file keeps each row's probabilities."""
    from sklearn import datasets, metrics

    frame = getattr(datasets, loader)(as_frame=True).frame.sample(frac=1.0, random_state=0)
    frame = frame.reset_index(drop=True)
    scope = {**FAST, "metric": {"name": metric, "goal": None, "baseline": None},
             "training": {"estimator": "sklearn.linear_model:LogisticRegression",
                          "params": {"max_iter": 5000}}}  # fmt: skip
    project = loopkit.make_project(tmp_path / "p", "probs", "classification", "target", scope)
    loopkit.start(project, frame.iloc[:100])
    later = frame.iloc[100:].reset_index(drop=True)
    later["when"] = pd.date_range("2021-03-01", periods=len(later), freq="h")
    file, answers_file = tmp_path / "later.csv", tmp_path / "answers.csv"
    later.to_csv(file, index=False)
    code, out = backtest(
        project, capsys, str(file), "-t", "when", "--steps", "2", "--no-labeller",
        "--feedback-share", "0", "--predictions", str(answers_file), "--json",
    )  # fmt: skip
    assert code == 0, out
    steps = json.JSONDecoder().raw_decode(out[out.index("{") :])[0]["steps"]
    answers = pd.read_csv(answers_file)
    proba = [json.loads(p) for p in answers["probabilities"]]
    classes = sorted(proba[0], key=int)
    assert set(classes) == {str(c) for c in frame["target"].unique()}
    matrix = np.array([[row[c] for c in classes] for row in proba])
    assert [int(classes[k]) for k in matrix.argmax(axis=1)] == answers["prediction"].tolist()
    half = len(answers) - len(answers) // 2  # the first step's rows (array_split)
    for step, rows in zip(steps, (slice(0, half), slice(half, None)), strict=True):
        truth, p = answers["truth"].to_numpy()[rows], matrix[rows]
        if metric == "roc_auc":
            want = metrics.roc_auc_score(truth, p[:, 1])
        else:
            want = metrics.log_loss(truth, p, labels=[int(c) for c in classes])
        assert step["live"] == pytest.approx(want)
        # nothing was promoted: the frozen model answered the same rows the same way
        assert step["frozen"] == pytest.approx(want)
