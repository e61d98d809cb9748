"""One training run, start to finish: load, check, split, fit, evaluate, save - all recorded.

The run is created first, so a dataset that breaks the contract, a target with one class or
an estimator that does not import ends as a *failed* run with the reason, never a running one.
The same data, params and seed give the same model, predictions and metrics.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fullcycle.errors import ContractViolation, InvalidInput, NotFound, TrainingTimeout
from fullcycle.store import evaluations as evaluation_store
from fullcycle.store import runs as run_store
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database
from fullcycle.train import recipe as R
from fullcycle.train.limits import TimeLimit, fit_within, warm_up
from fullcycle.train.spec import TrainSpec
from fullcycle.train.tracking import Run

MODEL_FILE = "model.skops"
META_FILE = "model.json"
EVALUATION_FILE = "evaluation.json"
REFERENCE_FILE = "reference.json"
REFERENCE_ROWS = 20
VALIDATION_SHARE = 0.2  # of the training rows, to choose a decision threshold on
CURVE_SHARE = 0.05  # "auto" learning curve: subsample fits get 5% of the main fit's time


@dataclass(frozen=True)
class TrainDeps:
    """What a run needs from the project: stores, its folder, and how to read data."""

    db: Database
    artifacts: ArtifactStore
    project_dir: Path
    load_data: Callable[[str], pd.DataFrame]
    splitter: Callable[[pd.DataFrame, dict[str, Any], int], Any] | None = None  # -> Split
    #: builds the monitoring reference (JSON-able) from the kinds, the training features and
    #: the model's held-out predictions; monitoring supplies it, so training need not import it
    reference: Callable[..., dict[str, Any]] | None = None


@dataclass(frozen=True)
class TrainResult:
    run_id: str
    metric: str
    value: float | None
    metrics: dict[str, float]
    evaluation: dict[str, Any] = field(repr=False)
    model: Any = field(repr=False)
    timings: dict[str, float] = field(default_factory=dict)


def _default_split(
    frame: pd.DataFrame, spec: dict[str, Any], seed: int, stratify: Any
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    size = float(spec.get("test_size", 0.2))
    strategy = spec.get("strategy", "random")
    idx = np.arange(len(frame))
    if strategy == "time" and spec.get("time_column") in frame.columns:
        order = np.argsort(frame[spec["time_column"]].to_numpy(), kind="stable")
        cut = int(round(len(frame) * (1 - size)))
        return order[:cut], order[cut:]
    strat = stratify if strategy in ("stratified", "random") and stratify is not None else None
    try:
        return tuple(train_test_split(idx, test_size=size, random_state=seed, stratify=strat))
    except ValueError:  # a class too rare to stratify
        return tuple(train_test_split(idx, test_size=size, random_state=seed))


def split_rows(
    deps: TrainDeps, spec: TrainSpec, frame: pd.DataFrame, seed: int
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    split_spec = dict(spec.split)
    split_seed = int(split_spec.get("seed", seed) if split_spec.get("seed") is not None else seed)
    if deps.splitter is not None:
        result: Any = deps.splitter(frame, split_spec, split_seed)
        train_idx, test_idx = (
            (result.train_idx, result.test_idx) if hasattr(result, "train_idx") else result
        )
    else:
        y = frame[spec.target] if spec.is_classifier else None
        train_idx, test_idx = _default_split(frame, split_spec, split_seed, y)
    train_idx, test_idx = np.asarray(train_idx), np.asarray(test_idx)
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise InvalidInput(
            f"the split {split_spec} leaves {len(train_idx)} training and "
            f"{len(test_idx)} test rows",
            hint="add rows or change test_size",
        )
    return train_idx, test_idx, {**split_spec, "seed": split_seed}


def check_frame(spec: TrainSpec, frame: pd.DataFrame, ref: str) -> None:
    """The dataset fits the contract, and the target can be learned."""
    if spec.target not in frame.columns:
        raise ContractViolation(
            f"dataset {ref} has no target column {spec.target!r}",
            hint="set target in fullcycle.yaml or add the column",
        )
    if spec.contract is not None:
        spec.contract.training_report(frame).raise_if_failed(f"dataset {ref}")
    missing = [f.name for f in spec.features if f.name not in frame.columns]
    if missing:
        raise ContractViolation(f"dataset {ref} lacks feature column(s) {', '.join(missing)}")
    y = frame[spec.target]
    if y.isna().any():
        raise InvalidInput(
            f"dataset {ref}: target {spec.target!r} is missing in {int(y.isna().sum())} rows",
            hint="drop or label those rows",
        )
    if spec.is_classifier:
        classes = y.unique()
        if len(classes) < 2:
            raise InvalidInput(
                f"dataset {ref}: target {spec.target!r} has one class ({classes[0]!r}); a "
                "classifier needs at least two",
                hint="add rows of the other classes",
            )
    elif not pd.api.types.is_numeric_dtype(y):
        raise InvalidInput(
            f"dataset {ref}: target {spec.target!r} is not numeric, but the task is regression",
            hint="set task: classification, or fix the column",
        )


def _features(spec: TrainSpec, frame: pd.DataFrame) -> pd.DataFrame:
    names = [f.name for f in spec.features] or [c for c in frame.columns if c != spec.target]
    return frame[names]


def _carve_validation(
    spec: TrainSpec, y: np.ndarray, train_idx: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keep a fifth of the training rows aside to choose the decision threshold on."""
    from fullcycle.train.decisions import parse

    policy = parse(spec.decisions, spec.task)
    if policy is None or policy.policy == "fixed" or len(train_idx) < 50:
        return train_idx, train_idx[:0]
    from sklearn.model_selection import train_test_split

    strat = y[train_idx] if spec.is_classifier else None
    try:
        fit, val = train_test_split(
            train_idx, test_size=VALIDATION_SHARE, random_state=seed, stratify=strat
        )
    except ValueError:
        fit, val = train_test_split(train_idx, test_size=VALIDATION_SHARE, random_state=seed)
    return np.asarray(fit), np.asarray(val)


def train(
    deps: TrainDeps,
    spec: TrainSpec,
    data_ref: str | None = None,
    *,
    model: str | None = None,
    params: dict[str, Any] | None = None,
    seed: int | None = None,
    learning_curve: Any = "auto",
    progress: Callable[[str], None] | None = None,
    parent_id: str | None = None,
    name: str = "train",
    refit: bool = False,
) -> TrainResult:
    """Fit, evaluate and save one model as a run; see the module docstring.

    ``refit``: once evaluated, fit the recipe again on the training and test rows together and
    save that model (the validation rows stay out: the decision threshold was chosen on them).
    For a caller that evaluates the saved model on rows of its own, as the loop's gate does;
    the stored evaluation is then of the same recipe on fewer rows, and says so
    (``final_fit``)."""
    from fullcycle.train import evaluation, serialization

    ref = data_ref or spec.data
    if not ref:
        raise NotFound("no dataset given", hint="pass --data NAME@N, or set training.data")
    say = progress or (lambda _: None)
    timings: dict[str, float] = {}
    with Run(
        deps.db,
        deps.artifacts,
        name=name,
        project_dir=deps.project_dir,
        seed=seed,
        dataset=ref,
        parent_id=parent_id,
        tags={"task": spec.task},
    ) as run:
        deadline = time.monotonic() + (spec.time_limit.seconds if spec.time_limit else 0.0)
        warm_up(spec.time_limit)
        tick = time.perf_counter()
        say("loading data")
        frame = deps.load_data(ref)
        check_frame(spec, frame, ref)
        train_idx, test_idx, split_spec = split_rows(deps, spec, frame, run.seed)
        y_all = frame[spec.target].to_numpy()
        fit_idx, val_idx = _carve_validation(spec, y_all, train_idx, run.seed)
        X_all = _features(spec, frame)
        timings["load_s"] = time.perf_counter() - tick
        say("building the model")
        built = R.build(spec, deps.project_dir, model=model, params=params, seed=run.seed)
        evaluation.check_metric(spec, built.model, y_all)
        run.log_params(
            {
                "data": ref,
                "estimator": built.estimator_path,
                "split": json.dumps(split_spec),
                "rows.train": len(fit_idx),
                "rows.validation": len(val_idx),
                "rows.test": len(test_idx),
                "seed": run.seed,
                "preprocessing": built.wrapped,
                **{f"param.{k}": v for k, v in built.params.items()},
                **R.recorded_params(built.model),
            }
        )
        X_fit, y_fit = X_all.iloc[fit_idx], y_all[fit_idx]
        say(f"fitting on {len(fit_idx):,} rows")
        tick = time.perf_counter()
        try:
            fitted = _fit(built, X_fit, y_fit, spec.time_limit, deadline)
        except TrainingTimeout:
            raise _stopped(run, spec.time_limit) from None
        timings["fit_s"] = time.perf_counter() - tick
        say("evaluating")
        tick = time.perf_counter()
        from sklearn.base import clone

        ev = evaluation.evaluate(
            spec,
            fitted,
            X_fit,
            y_fit,
            X_all.iloc[test_idx],
            y_all[test_idx],
            seed=run.seed,
            make_model=lambda: clone(built.model),
            learning_curve=learning_curve,
            curve_budget_s=CURVE_SHARE * timings["fit_s"] + 0.3
            if learning_curve == "auto"
            else None,
            validation=(X_all.iloc[val_idx], y_all[val_idx]) if len(val_idx) else None,
        )
        ev["data"] = {
            "ref": ref,
            "split": split_spec,
            "test_rows_sha256": _rows_sha(frame, test_idx),
        }
        timings["evaluate_s"] = time.perf_counter() - tick
        final, refitted = fitted, 0
        if refit and len(test_idx):
            every = np.sort(np.concatenate([fit_idx, test_idx]))
            say(f"fitting again on {len(every):,} rows")
            again = R.build(spec, deps.project_dir, model=model, params=params, seed=run.seed)
            try:
                final = _fit(again, X_all.iloc[every], y_all[every], spec.time_limit, deadline)
            except TrainingTimeout:
                raise _stopped(run, spec.time_limit) from None
            if _same_classes(fitted, final):
                refitted = len(every)
            else:  # a class only the test rows hold: keep the evaluated model, whose classes
                final = fitted  # the evaluation and the model card name
        if refitted:
            ev["data"]["refit_rows"] = refitted  # in the version's lineage: see Project._rescore
            run.log_params({"rows.final": refitted})
            ev["final_fit"] = {
                "rows": refitted,
                "evaluated_rows": len(fit_idx),
                "note": "the saved model is the same recipe fitted again on the training and "
                "test rows; this evaluation is of the one fitted on the training rows",
            }
        if spec.time_limit is not None and time.monotonic() > deadline:
            raise _stopped(run, spec.time_limit)
        say("saving")
        tick = time.perf_counter()
        run.log_bytes(serialization.dumps(final), MODEL_FILE)
        meta = _meta(spec, built, final, ev, serialization.library_versions(final))
        meta["format"] = serialization.format_for(final)
        run.log_bytes(json.dumps(meta, default=str, sort_keys=True).encode(), META_FILE)
        if deps.reference is not None:
            run.log_bytes(
                _reference(deps, spec, fitted, X_all.iloc[fit_idx], X_all.iloc[test_idx]),
                REFERENCE_FILE,
            )
        ev_sha = run.log_bytes(
            json.dumps(ev, default=str, sort_keys=True).encode(), EVALUATION_FILE
        )
        flat = evaluation.headline(ev)
        evaluation_store.add(deps.db, run.id, "test", _summary(ev, flat), ev_sha)
        timings["save_s"] = time.perf_counter() - tick
        run.log_metrics({**flat, **{f"time.{k}": v for k, v in timings.items()}})
        run.set_summary(
            metric=ev["metric"]["name"],
            value=ev["metric"]["value"],
            ci=ev["metric"]["ci"],
            verdict=ev["diagnosis"]["verdict"],
        )
    return TrainResult(
        run_id=run.id,
        metric=ev["metric"]["name"],
        value=ev["metric"]["value"],
        metrics=flat,
        evaluation=ev,
        model=final,
        timings=timings,
    )


def _fit(
    built: R.Recipe, X: pd.DataFrame, y: np.ndarray, limit: TimeLimit | None, deadline: float
) -> Any:
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        return fit_within(built.model, X, y, limit, deadline)
    except InvalidParameterError as exc:
        raise InvalidInput(
            f"{built.estimator_path} rejected its params: {exc}",
            hint="fix training.params or --param",
        ) from None


def _same_classes(a: Any, b: Any) -> bool:
    """Both models know the same classes in the same order (regressors: none, alike)."""
    ca, cb = getattr(a, "classes_", None), getattr(b, "classes_", None)
    if ca is None or cb is None:
        return ca is None and cb is None
    return len(ca) == len(cb) and bool(np.all(np.asarray(ca) == np.asarray(cb)))


def _stopped(run: Run, limit: TimeLimit) -> TrainingTimeout:
    """Mark the run failed with the reason (not a traceback); the error to raise."""
    exc = limit.exceeded(run.id)
    run.end("failed", error=exc.message)
    return exc


def _rows_sha(frame: pd.DataFrame, idx: np.ndarray) -> str:
    import hashlib

    digest = hashlib.sha256(np.sort(np.asarray(idx, dtype=np.int64)).tobytes())
    digest.update(str(len(frame)).encode())
    return digest.hexdigest()


def _reference(
    deps: TrainDeps, spec: TrainSpec, fitted: Any, X_train: pd.DataFrame, X_test: pd.DataFrame
) -> bytes:
    """The monitoring reference, frozen now, and a few held-out rows for the swap check."""
    kinds = {f.name: f.kind for f in spec.features}
    predictions = confidence = None
    if spec.task == "classification" and hasattr(fitted, "predict_proba") and len(X_test):
        proba = np.asarray(fitted.predict_proba(X_test))
        predictions = np.asarray(fitted.classes_)[proba.argmax(axis=1)].astype(str)
        confidence = proba.max(axis=1)
    assert deps.reference is not None
    payload = {
        "reference": deps.reference(
            kinds,
            X_train[list(kinds)].reset_index(drop=True),
            predictions,
            confidence,
            model=fitted,
            held_out=X_test,
        ),
        "rows": json.loads(
            X_test.head(REFERENCE_ROWS).to_json(orient="records", date_format="iso")
        ),
    }
    return json.dumps(payload, default=str, sort_keys=True).encode()


def _meta(
    spec: TrainSpec, built: R.Recipe, fitted: Any, ev: dict[str, Any], versions: dict[str, str]
) -> dict[str, Any]:
    return {
        "format": "skops",
        "task": spec.task,
        "target": spec.target,
        "classes": ev.get("classes"),
        "signature": {
            **spec.signature(),
            "contract": spec.contract.to_dict() if spec.contract is not None else None,
        },
        "features": [{"name": f.name, "kind": f.kind} for f in spec.features],
        "estimator": built.estimator_path,
        "params": built.params,
        "decision": (ev.get("decisions") or {}).get("decision") or {},
        "library_versions": versions,
        "data": ev.get("data"),
        "users": list(spec.users),
    }


def _summary(ev: dict[str, Any], flat: dict[str, float]) -> dict[str, Any]:
    dec = ev.get("decisions") or {}
    return {
        "metric": ev["metric"],
        "scalars": flat,
        "verdict": ev["diagnosis"]["verdict"],
        "baselines": ev["baselines"],
        "rows": ev["rows"],
        "data": ev.get("data"),
        "slices_below_goal": [s for s in ev.get("slices", []) if s["below_goal"]],
        "decisions": {k: v for k, v in dec.items() if k not in ("curve",)} or None,
    }


def stored_evaluation(db: Database, artifacts: ArtifactStore, run_id: str) -> dict[str, Any]:
    """The full evaluation a run stored (sha256 verified)."""
    rid = run_store.get(db, run_id).id
    row = evaluation_store.latest(db, rid)
    if not row.get("report_sha256"):
        return dict(row["metrics"])
    return dict(json.loads(artifacts.get_bytes(row["report_sha256"])))


def run_meta(db: Database, artifacts: ArtifactStore, run_id: str) -> tuple[Any, dict[str, Any]]:
    """A run's info and its model metadata (model.json)."""
    info = run_store.get(db, run_id)
    if META_FILE not in info.artifacts or MODEL_FILE not in info.artifacts:
        raise NotFound(
            f"run {info.id} saved no model (status {info.status})",
            hint="train one: fullcycle train",
        )
    return info, json.loads(artifacts.get_bytes(info.artifacts[META_FILE]))


def score_on_test(
    deps: TrainDeps, spec: TrainSpec, data_ref: str, split_spec: dict[str, Any], models: list[Any]
) -> list[float | None]:
    """The scope metric of each model on the test rows of ``data_ref`` split as ``split_spec``
    says (the same rows a run evaluated on), so two versions are compared on the same data."""
    from fullcycle.train.metrics import metric_value, predictions

    frame = deps.load_data(data_ref)
    seed = int(split_spec.get("seed") or 0)
    _, test_idx, _ = split_rows(deps, replace(spec, split=dict(split_spec)), frame, seed)
    X, y = _features(spec, frame).iloc[test_idx], frame[spec.target].to_numpy()[test_idx]
    out = []
    for model in models:
        pred, proba = predictions(model, X)
        labels = list(getattr(model, "classes_", [])) or None
        out.append(metric_value(spec.metric.name, y, pred, proba, labels))
    return out
