"""What every flavour shares: the protocol, the archive layout and the native-model adapter.

A flavour archive is a zip holding ``flavour.json`` (flavour, task, classes, library versions),
the model in its library's own format, and, when the model is a pipeline whose last step is
the native model, ``prep.skops``: the steps before it, loaded through the skops allow-list.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any, Protocol

from sklearn.base import BaseEstimator

from fullcycle.errors import InvalidInput, UnsafeArtifact

MANIFEST = "flavour.json"
PREP = "prep.skops"
MAX_MEMBER_BYTES = 4 << 30


class Flavour(Protocol):
    """One kind of model: how to recognise it, save it to safe bytes and load it back."""

    name: str  # also the version's ``format``
    extra: str | None  # ``pip install fullcycle[extra]`` brings its library

    def handles(self, model: Any) -> bool:
        """Whether ``model`` (or a pipeline ending in it) is this flavour's."""
        ...

    def dumps(self, model: Any) -> bytes:
        """The fitted model as bytes that open without running code."""
        ...

    def loads(self, data: bytes, *, what: str) -> Any:
        """A model with ``predict`` (and ``predict_proba`` for classifiers) on a frame."""
        ...

    def versions(self) -> dict[str, str]:
        """The versions of the libraries this flavour saves and loads with."""
        ...


def versions_of(*dists: str) -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in dists:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def require(module: str, extra: str, what: str = "this model") -> Any:
    """Import a flavour's library, or say which extra brings it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise InvalidInput(
            f"{what} needs the {module!r} library, which is not installed",
            hint=f"pip install 'fullcycle[{extra}]'",
        ) from None


def final_step(model: Any) -> tuple[Any, Any]:
    """(the steps before the last as a Pipeline or None, the last step) of a model."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and len(model.steps) > 1:
        return Pipeline(model.steps[:-1]), model.steps[-1][1]
    if isinstance(model, Pipeline):
        return None, model.steps[-1][1]
    return None, model


def native_of(model: Any, flavour: str) -> bytes | None:
    """The library's own bytes of a model this flavour loaded (None for a fitted one)."""
    return model.native if getattr(model, "flavour", None) == flavour else None


def unwrap(step: Any) -> tuple[Any, list[Any] | None]:
    """(the estimator, its classes), looking through fullcycle's label encoding."""
    from fullcycle.train.flavours.encoding import LabelEncoded

    if isinstance(step, LabelEncoded):
        if not hasattr(step, "estimator_"):  # not fitted yet
            return step.estimator, None
        return step.estimator_, plain(step.classes_)
    classes = getattr(step, "classes_", None)  # CatBoost: None unfitted, [] for a regressor
    return step, None if classes is None or len(classes) == 0 else plain(classes)


def plain(values: Any) -> list[Any]:
    """numpy scalars -> Python values, so classes survive JSON with their types."""
    return [v.item() if hasattr(v, "item") else v for v in values]


def pack(manifest: dict[str, Any], files: dict[str, bytes], prep: Any) -> bytes:
    import hashlib

    import skops.io as sio

    manifest = {**manifest, "sha256": {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(MANIFEST, json.dumps(manifest, sort_keys=True, default=str))
        for name, body in files.items():
            z.writestr(name, body)
        if prep is not None:
            z.writestr(PREP, bytes(sio.dumps(prep)))
    return out.getvalue()


def unpack(data: bytes, flavour: str, what: str) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """The manifest and the open archive; refuses anything that is not this flavour's."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(z.read(MANIFEST))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        raise UnsafeArtifact(
            f"{what} is not a readable {flavour} model archive ({exc})",
            hint="the file is corrupt or truncated; re-save or re-register the model",
        ) from None
    if manifest.get("flavour") != flavour:
        raise UnsafeArtifact(f"{what} is a {manifest.get('flavour')!r} archive, not {flavour!r}")
    return manifest, z


def read(z: zipfile.ZipFile, name: str, what: str, manifest: dict[str, Any] | None = None) -> bytes:
    """A member's bytes; with ``manifest``, checked against the sha256 written beside it
    (native libraries may abort the process on bytes they do not expect)."""
    import hashlib

    try:
        if z.getinfo(name).file_size > MAX_MEMBER_BYTES:
            raise UnsafeArtifact(f"{what}: {name} is larger than {MAX_MEMBER_BYTES} bytes")
        body = z.read(name)
    except (KeyError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise UnsafeArtifact(
            f"{what}: {name} cannot be read ({exc}); the file is corrupt"
        ) from None
    if manifest is not None:
        expected = (manifest.get("sha256") or {}).get(name)
        if expected != hashlib.sha256(body).hexdigest():
            raise UnsafeArtifact(
                f"{what}: {name} does not match the sha256 in its manifest; the file is corrupt",
                hint="re-save or re-register the model",
            )
    return body


def probe(code: str, raw: bytes, what: str, library: str) -> None:
    """Open ``raw`` with ``code`` in a child process first: a native library may abort on a
    damaged file, and that must not take the caller (a server, the CLI) down with it."""
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-c", code], input=raw, capture_output=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        raise UnsafeArtifact(f"{what}: {library} did not finish reading the file") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["it crashed"]
        raise UnsafeArtifact(
            f"{what}: {library} cannot read the file ({lines[-1][:200]})",
            hint="the file is corrupt or truncated; re-save it from the training code",
        )


def with_prep(z: zipfile.ZipFile, final: Any, what: str) -> Any:
    """The final model behind the archive's preprocessing steps, if it has any."""
    from fullcycle.train import serialization

    if PREP not in z.namelist():
        return final
    from sklearn.pipeline import Pipeline

    prep = serialization.loads(read(z, PREP, what), what=f"{what} (preprocessing)")
    return Pipeline([*prep.steps, ("model", final)])


class NativeModel(BaseEstimator):
    """A library's own model behind ``predict``/``predict_proba`` on a frame or an array.

    ``raw(X)`` returns class probabilities (one column: the positive class) for classifiers
    and values for regressors; ``classes`` decodes column indices back to the scope's classes.
    """

    def __init__(
        self,
        raw: Callable[[Any], Any],
        classes: list[Any] | None,
        library: str,
        flavour: str = "",
        native: bytes = b"",
    ) -> None:
        self.raw = raw
        self.classes = classes
        self.library = library
        self.flavour = flavour  # so a loaded model is saved again by the flavour that read it
        self.native = native
        if classes is not None:
            import numpy as np

            self.classes_ = np.asarray(classes)

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def predict_proba(self, X: Any) -> Any:
        import numpy as np

        if not hasattr(self, "classes_"):
            raise AttributeError("a regression model has no predict_proba")
        p = np.asarray(self.raw(X), dtype=float)
        if p.ndim == 1:
            p = np.column_stack([1.0 - p, p])
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> Any:
        import numpy as np

        if hasattr(self, "classes_"):
            return self.classes_[np.asarray(self.predict_proba(X)).argmax(axis=1)]
        return np.asarray(self.raw(X), dtype=float).reshape(-1)

    def fit(self, X: Any, y: Any = None) -> NativeModel:
        raise NotImplementedError(
            f"a loaded {self.library} model cannot be refitted; retrain it from its recipe"
        )
