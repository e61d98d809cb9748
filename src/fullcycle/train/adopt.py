"""A model fitted outside fullcycle, adopted as a run: evaluated, described, registrable.

``adopt(deps, spec, run, model, "name@N")`` does what a training run does after ``fit``: it
checks the dataset against the model's inputs, splits it as the scope says (so the test rows
are the ones a trained version is scored on), evaluates, and saves the model in its flavour
with model.json (contract, signature, recipe), the evaluation and the monitoring reference.
``registry.register`` then makes a version of the run like any other.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from fullcycle.errors import ContractViolation, InvalidInput
from fullcycle.train.spec import FeatureSpec, TrainSpec


def model_inputs(model: Any) -> list[str] | None:
    """The column names the model was fitted on, when it recorded them."""
    names = getattr(model, "feature_names_in_", None)
    if names is None and hasattr(model, "steps"):
        names = getattr(model.steps[0][1], "feature_names_in_", None)
    if names is None and hasattr(model, "feature_name_"):  # LightGBM's own estimators
        names = model.feature_name_
    return None if names is None else [str(n) for n in names]


def _with_contract(spec: TrainSpec, frame: pd.DataFrame, inputs: list[str] | None) -> TrainSpec:
    """The scope's contract, or one inferred from the data (the model's inputs only)."""
    if spec.features:
        return spec
    from fullcycle.contract import Contract

    columns = inputs or [c for c in frame.columns if c != spec.target]
    contract = Contract.infer(frame[[*columns, spec.target]], spec.target)
    features = tuple(FeatureSpec(f.name, f.kind) for f in contract.features)
    return replace(spec, features=features, contract=contract)


def _check_columns(
    spec: TrainSpec, frame: pd.DataFrame, inputs: list[str] | None, ref: str
) -> None:
    wanted = inputs or [f.name for f in spec.features]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ContractViolation(
            f"dataset {ref} lacks column(s) {', '.join(missing)} that the model was fitted on",
            hint="evaluate it on a dataset with the model's input columns",
        )
    if inputs is not None:
        extra = sorted({f.name for f in spec.features} - set(inputs))
        if extra:
            raise ContractViolation(
                f"the contract's feature(s) {', '.join(extra)} are not inputs of the model "
                f"(it was fitted on {', '.join(inputs)})",
                hint="import a model fitted on the contract's features",
            )


def _try_predict(model: Any, X: pd.DataFrame, ref: str, what: str) -> None:
    try:
        model.predict(X.head(5))
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise InvalidInput(
            f"{what} cannot predict the rows of dataset {ref}: {first}",
            hint="check that the dataset has the columns and types the model was fitted on",
        ) from None


def adopt(
    deps: Any,
    spec: TrainSpec,
    run: Any,
    model: Any,
    data_ref: str,
    *,
    recipe: str | None = None,
    what: str = "the model",
) -> dict[str, Any]:
    """Evaluate ``model`` on ``data_ref``'s test split and save it in ``run``; the evaluation."""
    from fullcycle.store import evaluations as evaluation_store
    from fullcycle.train import evaluation, serialization
    from fullcycle.train import trainer as T

    frame = deps.load_data(data_ref)
    inputs = model_inputs(model)
    spec = _with_contract(spec, frame, inputs)
    T.check_frame(spec, frame, data_ref)
    _check_columns(spec, frame, inputs, data_ref)
    if hasattr(model, "check_columns"):  # an ONNX graph states its inputs
        model.check_columns([f.name for f in spec.features], what)
    train_idx, test_idx, split_spec = T.split_rows(deps, spec, frame, run.seed)
    X_all = frame[inputs] if inputs else T._features(spec, frame)
    _try_predict(model, X_all.iloc[test_idx], data_ref, what)
    y_all = frame[spec.target].to_numpy()
    ev = evaluation.evaluate(
        spec,
        model,
        X_all.iloc[train_idx],
        y_all[train_idx],
        X_all.iloc[test_idx],
        y_all[test_idx],
        seed=run.seed,
        learning_curve=False,
    )
    ev["data"] = {
        "ref": data_ref,
        "split": split_spec,
        "test_rows_sha256": T._rows_sha(frame, test_idx),
    }
    data = serialization.dumps(model)
    run.log_bytes(data, T.MODEL_FILE)
    meta = _meta(spec, model, ev, recipe)
    run.log_bytes(json.dumps(meta, default=str, sort_keys=True).encode(), T.META_FILE)
    if deps.reference is not None:
        ref_bytes = T._reference(deps, spec, model, X_all.iloc[train_idx], X_all.iloc[test_idx])
        run.log_bytes(ref_bytes, T.REFERENCE_FILE)
    ev_sha = run.log_bytes(json.dumps(ev, default=str, sort_keys=True).encode(), T.EVALUATION_FILE)
    flat = evaluation.headline(ev)
    evaluation_store.add(deps.db, run.id, "test", T._summary(ev, flat), ev_sha)
    run.log_metrics(flat)
    run.set_summary(
        metric=ev["metric"]["name"],
        value=ev["metric"]["value"],
        ci=ev["metric"]["ci"],
        verdict=ev["diagnosis"]["verdict"],
        adopted=True,
    )
    return ev


def _meta(spec: TrainSpec, model: Any, ev: dict[str, Any], recipe: str | None) -> dict[str, Any]:
    from fullcycle.train import serialization
    from fullcycle.train.flavours._base import final_step, unwrap

    last, _ = unwrap(final_step(model)[1])
    kind = type(last)
    params = {}
    if hasattr(last, "get_params"):
        params = {k: v for k, v in last.get_params(deep=False).items() if _plain_value(v)}
    return {
        "format": serialization.format_for(model),
        "task": spec.task,
        "target": spec.target,
        "classes": ev.get("classes"),
        "signature": {
            **spec.signature(),
            "contract": spec.contract.to_dict() if spec.contract is not None else None,
        },
        "features": [{"name": f.name, "kind": f.kind} for f in spec.features],
        # the loop retrains from ``recipe`` (module:function or module:Class); None: it cannot
        "estimator": recipe,
        "recipe": recipe,
        "model_class": f"{kind.__module__}:{kind.__qualname__}",
        "params": params,
        "adopted": True,
        "decision": (ev.get("decisions") or {}).get("decision") or {},
        "library_versions": serialization.library_versions(model),
        "data": ev.get("data"),
    }


def _plain_value(value: Any) -> bool:
    if isinstance(value, str | int | float | bool) or value is None:
        return not (isinstance(value, float) and not np.isfinite(value))
    return False


def read_model(path: Any, fmt: str | None, frame: pd.DataFrame, spec: TrainSpec) -> Any:
    """A model file made elsewhere, opened through its flavour (never a pickle: those are
    registered closed, without --data, until an admin trusts them)."""
    from pathlib import Path

    from fullcycle.errors import NotFound, UnsafeArtifact
    from fullcycle.train import serialization

    source = Path(path)
    if not source.is_file():
        raise NotFound(f"model file {str(path)!r} does not exist")
    fmt = fmt or serialization.format_of(source.name)
    if fmt in serialization.PICKLES:
        raise UnsafeArtifact(
            f"{source.name} is a {fmt} file; it cannot be opened to evaluate it",
            hint="re-save it with skops (skops.io.dump) or in its library's own format, or "
            "import it without --data and have an admin trust it",
        )
    classes = None
    if spec.is_classifier and spec.target in frame.columns:
        classes = [c.item() if hasattr(c, "item") else c for c in np.unique(frame[spec.target])]
    stored = serialization.from_file(source.read_bytes(), fmt, classes)
    return serialization.loads(stored, fmt=fmt, what=f"model file {source.name!r}")
