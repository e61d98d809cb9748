"""The training recipe: which estimator, with which params, behind which preprocessing.

An estimator is named by import path (``sklearn.ensemble:HistGradientBoostingClassifier``) or by
a function in the project folder (``train.py:build``) that returns an estimator or a pipeline.
A bare estimator gets preprocessing built from the contract; a pipeline is used as it is.
The user's object is never fitted: :func:`build` returns a ``clone``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fullcycle.errors import ConfigError, InvalidInput
from fullcycle.train.spec import TrainSpec


@dataclass(frozen=True)
class Recipe:
    """An unfitted model ready for ``fit``, and what it is made of."""

    model: Any
    estimator_path: str
    params: dict[str, Any]
    wrapped: bool  # preprocessing was built from the contract


def parse_param(text: str) -> tuple[str, Any]:
    """``k=v`` from the command line; ``v`` is read as a YAML scalar (safe): 3, 0.1, true, null."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InvalidInput(f"--param {text!r} is not KEY=VALUE", hint="e.g. --param max_iter=200")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, dict | list):
        value = raw
    return key, value


def _import_attr(path: str) -> Any:
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(
            f"estimator {path!r} is not 'module:Class' or 'file.py:function'",
            hint="e.g. sklearn.ensemble:HistGradientBoostingClassifier",
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"estimator {path!r}: module {module_name!r} cannot be imported ({exc})",
            hint="check the spelling in training.estimator, or pip install the package",
        ) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(
            f"estimator {path!r}: module {module_name!r} has no attribute {attr!r}",
            hint="check the name after ':' in training.estimator",
        ) from None


def _load_user_function(path: str, project_dir: Path) -> Any:
    file_part, _, func = path.partition(":")
    root = project_dir.resolve()
    source = (root / file_part).resolve()
    if not source.is_relative_to(root):
        raise InvalidInput(f"estimator {path!r}: {file_part!r} is outside the project folder")
    if not source.is_file():
        raise ConfigError(f"estimator {path!r}: file {file_part!r} not found in {root}")
    module_name = f"fullcycle_user_{source.stem}"
    spec = importlib.util.spec_from_file_location(module_name, source)
    if spec is None or spec.loader is None:
        raise ConfigError(f"estimator {path!r}: {file_part!r} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # so the built objects can be cloned and pickled
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ConfigError(f"estimator {path!r}: {file_part!r} failed to import: {exc}") from exc
    if not callable(getattr(module, func, None)):
        raise ConfigError(f"estimator {path!r}: {file_part!r} has no function {func!r}")
    return getattr(module, func)


def resolve(path: str, project_dir: Path) -> Any:
    """A fresh, unfitted estimator (or pipeline) from an import path or a project function."""
    if path.partition(":")[0].endswith(".py"):
        built = _load_user_function(path, project_dir)()
    else:
        target = _import_attr(path)
        if not isinstance(target, type):
            if not callable(target):
                raise ConfigError(f"estimator {path!r} is neither a class nor a function")
            built = target()
        else:
            try:
                built = target()
            except TypeError as exc:
                raise ConfigError(
                    f"estimator {path!r} cannot be created without arguments: {exc}"
                ) from None
    if not (hasattr(built, "fit") and hasattr(built, "get_params")):
        raise ConfigError(
            f"estimator {path!r} gave a {type(built).__name__}, which has no fit/get_params",
            hint="return a scikit-learn-style estimator or pipeline",
        )
    return built


def set_params(estimator: Any, params: dict[str, Any], where: str) -> Any:
    """Apply params one by one so an unknown one is named."""
    valid = estimator.get_params(deep=True)
    for key, value in params.items():
        if not _known(estimator, key):
            close = sorted(k for k in {*valid, *_constructor_params(estimator)} if "__" not in k)
            close = close[:30]
            raise InvalidInput(
                f"param {key!r} is not a parameter of {where}",
                hint=f"known parameters: {', '.join(close)}",
            )
        try:
            estimator.set_params(**{key: value})
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"param {key!r}={value!r} was rejected by {where}: {exc}") from None
    return estimator


def _known(estimator: Any, key: str) -> bool:
    """Whether ``key`` (``step__param`` for a step) is a parameter of ``estimator``."""
    params = estimator.get_params(deep=True)
    if key in params:
        return True
    head, sep, rest = key.partition("__")
    if sep:
        inner = params.get(head)
        return hasattr(inner, "get_params") and _known(inner, rest)
    return key in _constructor_params(estimator)


def _constructor_params(estimator: Any) -> set[str]:
    """What the constructor takes (CatBoost's ``get_params`` lists only what was set)."""
    import inspect

    try:
        signature = inspect.signature(type(estimator).__init__)
    except (TypeError, ValueError):
        return set()
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {n for n, p in signature.parameters.items() if n != "self" and p.kind in named}


def _is_pipeline(obj: Any) -> bool:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    return isinstance(obj, Pipeline | ColumnTransformer)


def seed_everything(model: Any, seed: int) -> None:
    """Give every unset ``random_state`` in the model the run's seed (reproducible fits)."""
    unset = {
        k: seed
        for k, v in model.get_params(deep=True).items()
        if (k == "random_state" or k.endswith("__random_state")) and v is None
    }
    if unset:
        model.set_params(**unset)


def build(
    spec: TrainSpec,
    project_dir: Path,
    *,
    model: str | None = None,
    params: dict[str, Any] | None = None,
    seed: int = 0,
) -> Recipe:
    """The unfitted model for a run: estimator + params (+ preprocessing), seeded, cloned."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from fullcycle.train import flavours
    from fullcycle.train.features import accepts_sparse, preprocessor

    path = model or spec.estimator_path
    merged = {**(spec.params if model is None or model == spec.estimator else {}), **(params or {})}
    estimator = clone(resolve(path, project_dir))
    set_params(estimator, merged, path)
    estimator = flavours.for_training(estimator)  # e.g. CatBoost: no catboost_info/, no output
    estimator = encode_targets(estimator, spec.task)
    wrapped = not _is_pipeline(estimator)
    if wrapped:
        prep = preprocessor(spec.features, dense=not accepts_sparse(estimator))
        estimator = Pipeline([("prep", prep), ("model", estimator)])
    seed_everything(estimator, seed)
    return Recipe(model=clone(estimator), estimator_path=path, params=merged, wrapped=wrapped)


def encode_targets(estimator: Any, task: str) -> Any:
    """Wrap a classifier that needs classes 0..k-1 so it trains on the scope's classes."""
    from fullcycle.train.flavours.encoding import LabelEncoded, needs_encoding

    return LabelEncoded(estimator) if needs_encoding(estimator, task) else estimator


def recorded_params(model: Any) -> dict[str, str]:
    """``get_params()`` of the model (the final step of a wrapped pipeline) as strings."""
    from sklearn.pipeline import Pipeline

    target = model.steps[-1][1] if isinstance(model, Pipeline) else model
    target = (
        getattr(target, "estimator", target) if type(target).__name__ == "LabelEncoded" else target
    )
    out = {}
    for key, value in target.get_params(deep=False).items():
        if hasattr(value, "get_params"):
            value = type(value).__name__
        text = value if isinstance(value, str) else repr(value)
        out[f"model.{key}"] = text[:1000]
    return out
