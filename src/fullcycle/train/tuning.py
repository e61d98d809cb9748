"""Hyper-parameter search with Optuna: the search space from the scope, each trial a child run.

Trials are scored on validation rows carved from the training split (the test split stays
untouched for the final evaluation) and run through an :class:`~fullcycle.executor.Executor`,
a batch of ``executor.workers`` trials at a time (Optuna's ask/tell).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from fullcycle.errors import ConfigError, InvalidInput, TrainingTimeout
from fullcycle.executor import Executor, SerialExecutor
from fullcycle.train.spec import TrainSpec
from fullcycle.train.tracking import Run
from fullcycle.train.trainer import TrainDeps, _features, check_frame, split_rows

TYPES = ("int", "float", "categorical")


@dataclass(frozen=True)
class TuneResult:
    parent_id: str
    best_params: dict[str, Any]
    best_value: float | None
    trials: list[dict[str, Any]]


def check_space(space: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if not space:
        raise ConfigError(
            "training.search_space is empty, so there is nothing to tune",
            hint="add e.g. learning_rate: {type: float, low: 0.01, high: 0.3, log: true}",
        )
    out = {}
    for name, rule in space.items():
        where = f"training.search_space.{name}"
        if not isinstance(rule, dict) or rule.get("type") not in TYPES:
            raise ConfigError(f"{where}.type must be one of {', '.join(TYPES)}")
        if rule["type"] == "categorical":
            if not rule.get("choices"):
                raise ConfigError(f"{where}.choices must list at least one value")
        elif rule.get("low") is None or rule.get("high") is None or rule["low"] > rule["high"]:
            raise ConfigError(f"{where} needs low <= high")
        out[name] = rule
    return out


def suggest(trial: Any, space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    params = {}
    for name, rule in space.items():
        if rule["type"] == "int":
            params[name] = trial.suggest_int(
                name, int(rule["low"]), int(rule["high"]), log=bool(rule.get("log", False))
            )
        elif rule["type"] == "float":
            params[name] = trial.suggest_float(
                name, float(rule["low"]), float(rule["high"]), log=bool(rule.get("log", False))
            )
        else:
            params[name] = trial.suggest_categorical(name, list(rule["choices"]))
    return params


def run_trial(job: dict[str, Any]) -> dict[str, Any]:
    """Fit and score one set of params (module-level so a process pool can run it)."""
    from fullcycle.train import recipe
    from fullcycle.train.limits import fit_within
    from fullcycle.train.metrics import metric_value, predictions

    spec: TrainSpec = job["spec"]
    tick = time.perf_counter()
    limit = spec.time_limit  # each trial is one training run, with the run's limit
    deadline = time.monotonic() + (limit.seconds if limit is not None else 0.0)
    try:
        built = recipe.build(
            spec, job["project_dir"], model=job["model"], params=job["params"], seed=job["seed"]
        )
        model = fit_within(built.model, job["X_fit"], job["y_fit"], limit, deadline)
        pred, proba = predictions(model, job["X_val"])
        labels = list(getattr(model, "classes_", [])) or None
        value = metric_value(spec.metric.name, job["y_val"], pred, proba, labels)
        return {"value": value, "fit_s": time.perf_counter() - tick, "error": None}
    except TrainingTimeout as exc:
        return {"value": None, "fit_s": time.perf_counter() - tick, "error": exc.message,
                "timed_out": True}  # fmt: skip
    except Exception as exc:  # one bad trial must not end the search
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return {"value": None, "fit_s": time.perf_counter() - tick, "error": text[-2000:]}


def tune(
    deps: TrainDeps,
    spec: TrainSpec,
    data_ref: str | None = None,
    *,
    trials: int = 20,
    executor: Executor | None = None,
    model: str | None = None,
    seed: int | None = None,
    progress: Any = None,
) -> TuneResult:
    """Search ``spec.search_space``; returns the best params (train with them afterwards)."""
    import optuna
    from sklearn.model_selection import train_test_split

    if trials < 1:
        raise InvalidInput(f"--trials {trials} must be at least 1")
    space = check_space(spec.search_space)
    executor = executor or SerialExecutor()
    ref = data_ref or spec.data
    if not ref:
        raise InvalidInput("no dataset given", hint="pass --data NAME@N, or set training.data")
    say = progress or (lambda _: None)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with Run(
        deps.db,
        deps.artifacts,
        name="tune",
        project_dir=deps.project_dir,
        seed=seed,
        dataset=ref,
        tags={"kind": "tune"},
    ) as parent:
        frame = deps.load_data(ref)
        check_frame(spec, frame, ref)
        train_idx, _test_idx, split_spec = split_rows(deps, spec, frame, parent.seed)
        y = frame[spec.target].to_numpy()
        strat = y[train_idx] if spec.is_classifier else None
        try:
            fit_idx, val_idx = train_test_split(
                train_idx, test_size=0.2, random_state=parent.seed, stratify=strat
            )
        except ValueError:
            fit_idx, val_idx = train_test_split(train_idx, test_size=0.2, random_state=parent.seed)
        X = _features(spec, frame)
        parent.log_params(
            {
                "data": ref,
                "trials": trials,
                "search_space": repr(space),
                "rows.fit": len(fit_idx),
                "rows.validation": len(val_idx),
            }
        )
        base = {
            "spec": spec,
            "project_dir": deps.project_dir,
            "model": model,
            "seed": parent.seed,
            "X_fit": X.iloc[fit_idx],
            "y_fit": y[fit_idx],
            "X_val": X.iloc[val_idx],
            "y_val": y[val_idx],
        }
        direction: Literal["maximize", "minimize"] = (
            "maximize" if spec.metric.greater_is_better else "minimize"
        )
        study = optuna.create_study(
            direction=direction, sampler=optuna.samplers.TPESampler(seed=parent.seed)
        )
        done: list[dict[str, Any]] = []
        while len(done) < trials:
            batch = [study.ask() for _ in range(min(executor.workers, trials - len(done)))]
            asked = [suggest(t, space) for t in batch]
            results = executor.map(run_trial, [{**base, "params": p} for p in asked])
            for trial, params, result in zip(batch, asked, results, strict=True):
                done.append(_record(deps, parent, spec, ref, trial, params, result, study))
                say(f"trial {len(done)}/{trials}: {spec.metric.name}={result['value']}")
        ok = [t for t in done if t["value"] is not None]
        if not ok and spec.time_limit is not None and all(t.get("timed_out") for t in done):
            exc = spec.time_limit.exceeded(parent.id)
            parent.end("failed", error=f"every trial: {exc.message}")
            raise exc
        if not ok:
            raise InvalidInput(
                f"all {trials} trials failed; the first error: {done[0]['error']}",
                hint="check training.search_space",
            )
        best = study.best_trial
        parent.set_summary(
            metric=spec.metric.name,
            best_value=best.value,
            best_params=best.params,
            trials=len(done),
            failed=len(done) - len(ok),
        )
        parent.log_metric(f"best.{spec.metric.name}", best.value)
    return TuneResult(parent.id, dict(best.params), best.value, done)


def _record(
    deps: TrainDeps,
    parent: Run,
    spec: TrainSpec,
    ref: str,
    trial: Any,
    params: dict[str, Any],
    result: dict[str, Any],
    study: Any,
) -> dict[str, Any]:
    import optuna

    with Run(
        deps.db,
        deps.artifacts,
        name=f"trial-{trial.number}",
        project_dir=deps.project_dir,
        seed=parent.seed,
        dataset=ref,
        parent_id=parent.id,
        params={f"param.{k}": v for k, v in params.items()},
        tags={"kind": "trial"},
    ) as child:
        if result["value"] is None or not np.isfinite(result["value"]):
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            child.end("failed", error=result["error"] or "the metric could not be computed")
        else:
            study.tell(trial, result["value"])
            child.log_metrics(
                {f"validation.{spec.metric.name}": result["value"], "time.fit_s": result["fit_s"]}
            )
    return {"number": trial.number, "run_id": child.id, "params": params, **result}
