"""Model flavours: how each kind of model is saved to safe bytes and loaded back.

    flavour    format     library (extra)            file inside the version's archive
    skops      skops      scikit-learn, skops        the skops file (exact allow-list)
    xgboost    xgboost    xgboost (fullcycle[xgboost])   model.ubj + prep.skops
    lightgbm   lightgbm   lightgbm (fullcycle[lightgbm]) model.txt + prep.skops
    catboost   catboost   catboost (fullcycle[catboost]) model.cbm + prep.skops
    onnx       onnx       onnxruntime (fullcycle[onnx])  model.onnx

A flavour is chosen by the model's type (the last step of a pipeline), recorded as the
version's ``format`` with its library versions, and shown on the model card. No flavour
opens a pickle: pickle/joblib files are opened only for a version an admin marked trusted.

Adding a flavour: write one module here with a ``FLAVOUR`` object that follows
:class:`fullcycle.train.flavours._base.Flavour`, and add its module name to :data:`MODULES`
(before ``sklearn``, the fallback). Optional: ``endings`` (file names in the library's own
format) with ``wrap(raw, classes)`` to take such a file (``fullcycle models import``),
``for_training(model)`` to set what keeps the library quiet before fullcycle fits it, and
``encode_classes = True`` when fullcycle should fit its classifiers on classes 0..k-1.
"""

from __future__ import annotations

from typing import Any

from fullcycle.errors import InvalidInput

#: flavour modules, tried in order by :func:`for_model`; the last one takes anything
MODULES = ("xgboost", "lightgbm", "catboost", "onnx", "sklearn")


def _flavours() -> list[Any]:
    import importlib

    return [importlib.import_module(f"{__name__}.{m}").FLAVOUR for m in MODULES]


def for_model(model: Any) -> Any:
    """The flavour that saves ``model``."""
    return next(f for f in _flavours() if f.handles(model))


def for_training(model: Any) -> Any:
    """``model`` (unfitted) as fullcycle fits it: its flavour may quiet its library."""
    hook = getattr(for_model(model), "for_training", None)
    return model if hook is None else hook(model)


def by_format(fmt: str) -> Any:
    """The flavour that reads a version of format ``fmt``."""
    for flavour in _flavours():
        if flavour.name == fmt:
            return flavour
    known = ", ".join(f.name for f in _flavours())
    raise InvalidInput(f"model format {fmt!r} is not known", hint=f"known formats: {known}")


def endings() -> dict[str, str]:
    """File ending -> format, for files in a library's own format (``models import``)."""
    return {e: f.name for f in _flavours() for e in getattr(f, "endings", ())}


def names() -> list[str]:
    return [f.name for f in _flavours()]
