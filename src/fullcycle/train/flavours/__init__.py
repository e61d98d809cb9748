"""Model flavours: how each kind of model is saved to safe bytes and loaded back.

    flavour    format     library (extra)            file inside the version's archive
    skops      skops      scikit-learn, skops        the skops file (exact allow-list)
    xgboost    xgboost    xgboost (fullcycle[xgboost])   model.ubj + prep.skops
    lightgbm   lightgbm   lightgbm (fullcycle[lightgbm]) model.txt + prep.skops
    onnx       onnx       onnxruntime (fullcycle[onnx])  model.onnx

A flavour is chosen by the model's type (the last step of a pipeline), recorded as the
version's ``format`` with its library versions, and shown on the model card. No flavour
opens a pickle: pickle/joblib files are opened only for a version an admin marked trusted.

Adding a flavour: write one module here with a ``FLAVOUR`` object that follows
:class:`fullcycle.train.flavours._base.Flavour`, and add its module name to :data:`MODULES`
(before ``sklearn``, the fallback).
"""

from __future__ import annotations

from typing import Any

from fullcycle.errors import InvalidInput

#: flavour modules, tried in order by :func:`for_model`; the last one takes anything
MODULES = ("xgboost", "lightgbm", "onnx", "sklearn")


def _flavours() -> list[Any]:
    import importlib

    return [importlib.import_module(f"{__name__}.{m}").FLAVOUR for m in MODULES]


def for_model(model: Any) -> Any:
    """The flavour that saves ``model``."""
    return next(f for f in _flavours() if f.handles(model))


def by_format(fmt: str) -> Any:
    """The flavour that reads a version of format ``fmt``."""
    for flavour in _flavours():
        if flavour.name == fmt:
            return flavour
    known = ", ".join(f.name for f in _flavours())
    raise InvalidInput(f"model format {fmt!r} is not known", hint=f"known formats: {known}")


def names() -> list[str]:
    return [f.name for f in _flavours()]
