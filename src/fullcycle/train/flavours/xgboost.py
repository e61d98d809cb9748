"""XGBoost: the booster in XGBoost's own UBJSON format, never a pickle."""

from __future__ import annotations

from typing import Any

from fullcycle.train.flavours import _base

BOOSTER = "model.ubj"
PROBE = "import sys, xgboost; xgboost.Booster().load_model(bytearray(sys.stdin.buffer.read()))"


class XGBoostFlavour:
    name = "xgboost"
    extra = "xgboost"
    endings = (".ubj", ".xgb")  # a file in the library's own format (``models import``)
    encode_classes = True  # its classifiers take classes 0..k-1 only

    def handles(self, model: Any) -> bool:
        est, _ = _base.unwrap(_base.final_step(model)[1])
        return type(est).__module__.split(".")[0] == "xgboost" or bool(
            _base.native_of(est, self.name)
        )

    def dumps(self, model: Any) -> bytes:
        prep, last = _base.final_step(model)
        est, classes = _base.unwrap(last)
        raw = _base.native_of(est, self.name)
        if raw is None:
            booster = est.get_booster() if hasattr(est, "get_booster") else est
            raw = bytes(booster.save_raw("ubj"))
        manifest = {"flavour": self.name, "classes": classes, "versions": self.versions()}
        return _base.pack(manifest, {BOOSTER: raw}, prep)

    def loads(self, data: bytes, *, what: str) -> Any:
        xgb = _base.require("xgboost", self.extra, what)
        manifest, z = _base.unpack(data, self.name, what)
        raw = _base.read(z, BOOSTER, what, manifest)
        booster = xgb.Booster()
        try:
            booster.load_model(bytearray(raw))
        except xgb.core.XGBoostError as exc:
            raise _corrupt(what, exc) from None
        final = _base.NativeModel(
            lambda X: booster.inplace_predict(_dense(X)),
            manifest.get("classes"),
            "XGBoost",
            self.name,
            raw,
        )
        return _base.with_prep(z, final, what)

    def wrap(self, raw: bytes, classes: list[Any] | None) -> bytes:
        """An archive around a file in the library's own format (``models import``)."""
        _base.require("xgboost", self.extra, "an XGBoost model file")
        _base.probe(PROBE, raw, "the XGBoost model file", "XGBoost")
        manifest = {"flavour": self.name, "classes": classes, "versions": self.versions()}
        return _base.pack(manifest, {BOOSTER: raw}, None)

    def versions(self) -> dict[str, str]:
        return _base.versions_of("xgboost", "xgboost-cpu", "numpy")


def _dense(X: Any) -> Any:
    import numpy as np

    if hasattr(X, "toarray"):
        X = X.toarray()
    return X if hasattr(X, "columns") else np.asarray(X, dtype=np.float32)


def _corrupt(what: str, exc: Exception) -> Exception:
    from fullcycle.errors import UnsafeArtifact

    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return UnsafeArtifact(
        f"{what}: the XGBoost booster cannot be read ({first})",
        hint="the file is corrupt or truncated; re-save or re-register the model",
    )


FLAVOUR = XGBoostFlavour()
