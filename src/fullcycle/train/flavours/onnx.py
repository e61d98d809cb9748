"""ONNX: a graph run by onnxruntime; fullcycle feeds it one input per contract column.

The archive holds ``model.onnx`` and the manifest (classes, the input names and types). A
model whose inputs do not match the contract is refused when it is registered or loaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from fullcycle.errors import InvalidInput, UnsafeArtifact
from fullcycle.train.flavours import _base

GRAPH = "model.onnx"
NUMERIC = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(int64)": "int64"}


class OnnxModel(BaseEstimator):
    """An onnxruntime session behind ``predict``/``predict_proba`` on a frame."""

    def __init__(
        self,
        graph: bytes,
        classes: list[Any] | None,
        what: str = "model",
        columns: list[str] | None = None,
    ) -> None:
        ort = _base.require("onnxruntime", "onnx", what)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise UnsafeArtifact(
                f"{what}: onnxruntime cannot read the graph ({str(exc)[:200]})",
                hint="the file is corrupt or not an ONNX model",
            ) from None
        self.graph = graph
        self.classes = classes
        self.what = what
        self.columns = columns  # the frame's columns, in the order a one-tensor graph takes them
        self.inputs = [(i.name, i.type, i.shape) for i in self._session.get_inputs()]
        self._outputs = [o.name for o in self._session.get_outputs()]
        named = columns or ([n for n, _, _ in self.inputs] if len(self.inputs) > 1 else None)
        if named is not None:
            self.feature_names_in_ = np.asarray(named, dtype=object)
        if classes is not None:
            self.classes_ = np.asarray(classes)

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def check_columns(self, columns: list[str], what: str) -> None:
        """Refuse a graph whose inputs are not the contract's columns."""
        names = [n for n, _, _ in self.inputs]
        if len(names) == 1 and names[0] not in columns:
            width = self.inputs[0][2][1] if len(self.inputs[0][2]) > 1 else None
            if isinstance(width, int) and width != len(columns):
                raise InvalidInput(
                    f"{what}: the ONNX input {names[0]!r} takes {width} columns, the contract "
                    f"has {len(columns)} ({', '.join(columns)})",
                    hint="export the model on the contract's columns, in the contract's order",
                )
            return
        missing = sorted(set(names) - set(columns))
        if missing:
            raise InvalidInput(
                f"{what}: the ONNX inputs {missing} are not columns of the contract "
                f"({', '.join(columns)})",
                hint="export the model with one input per contract column, named as the columns",
            )

    def _feed(self, X: Any) -> dict[str, Any]:
        if len(self.inputs) == 1 and not (hasattr(X, "columns") and self.inputs[0][0] in X):
            name, kind, _ = self.inputs[0]
            if hasattr(X, "columns") and self.columns and list(X.columns) != self.columns:
                X = X[self.columns]
            values = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
            return {name: values.astype(NUMERIC.get(kind, "float32"), copy=False)}
        feed = {}
        for name, kind, _ in self.inputs:
            col = X[name].to_numpy() if hasattr(X, "columns") else np.asarray(X[name])
            dtype = NUMERIC.get(kind)
            col = col.astype(dtype) if dtype else col.astype(str).astype(object)
            feed[name] = col.reshape(-1, 1)
        return feed

    def _run(self, X: Any) -> list[Any]:
        return list(self._session.run(None, self._feed(X)))

    def predict(self, X: Any) -> Any:
        return np.asarray(self._run(X)[0]).reshape(-1)

    def predict_proba(self, X: Any) -> Any:
        if not hasattr(self, "classes_"):
            raise AttributeError("a regression model has no predict_proba")
        outs = self._run(X)
        proba = outs[1] if len(outs) > 1 else outs[0]
        if isinstance(proba, list):  # skl2onnx's ZipMap: one dict per row
            proba = [[row[c] for c in sorted(row)] for row in proba]
        p = np.asarray(proba, dtype=float)
        return p / p.sum(axis=1, keepdims=True)  # float32 rows may miss 1 by more than eps


class OnnxFlavour:
    name = "onnx"
    extra = "onnx"
    endings = (".onnx",)  # a file in the library's own format (``models import``)

    def handles(self, model: Any) -> bool:
        return isinstance(model, OnnxModel)

    def dumps(self, model: Any) -> bytes:
        classes = None if not hasattr(model, "classes_") else model.classes_.tolist()
        manifest = {
            "flavour": self.name,
            "classes": classes,
            "columns": model.columns,
            "versions": self.versions(),
        }
        return _base.pack(manifest, {GRAPH: model.graph}, None)

    def loads(self, data: bytes, *, what: str) -> Any:
        manifest, z = _base.unpack(data, self.name, what)
        graph = _base.read(z, GRAPH, what, manifest)
        return OnnxModel(graph, manifest.get("classes"), what, manifest.get("columns"))

    def wrap(self, raw: bytes, classes: list[Any] | None) -> bytes:
        """An archive around a file in the library's own format (``models import``)."""
        manifest = {"flavour": self.name, "classes": classes, "versions": self.versions()}
        return _base.pack(manifest, {GRAPH: raw}, None)

    def versions(self) -> dict[str, str]:
        return _base.versions_of("onnxruntime", "onnx", "numpy")


FLAVOUR = OnnxFlavour()
