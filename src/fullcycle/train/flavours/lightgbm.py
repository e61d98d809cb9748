"""LightGBM: the booster in LightGBM's own text format, never a pickle."""

from __future__ import annotations

from typing import Any

from fullcycle.errors import UnsafeArtifact
from fullcycle.train.flavours import _base

BOOSTER = "model.txt"
PROBE = "import sys, lightgbm; lightgbm.Booster(model_str=sys.stdin.buffer.read().decode())"


class LightGBMFlavour:
    name = "lightgbm"
    extra = "lightgbm"
    endings = (".lgb.txt",)  # a file in the library's own format (``models import``)

    def handles(self, model: Any) -> bool:
        est, _ = _base.unwrap(_base.final_step(model)[1])
        return type(est).__module__.split(".")[0] == "lightgbm" or bool(
            _base.native_of(est, self.name)
        )

    def dumps(self, model: Any) -> bytes:
        prep, last = _base.final_step(model)
        est, classes = _base.unwrap(last)
        text = _base.native_of(est, self.name)
        if text is None:
            booster = est.booster_ if hasattr(est, "booster_") else est
            text = booster.model_to_string().encode()
        manifest = {"flavour": self.name, "classes": classes, "versions": self.versions()}
        return _base.pack(manifest, {BOOSTER: text}, prep)

    def loads(self, data: bytes, *, what: str) -> Any:
        lgb = _base.require("lightgbm", self.extra, what)
        manifest, z = _base.unpack(data, self.name, what)
        text = _base.read(z, BOOSTER, what, manifest).decode("utf-8", errors="replace")
        if not _complete(text):
            # LightGBM reads some truncated files without complaint and predicts garbage
            raise _corrupt(what, "the text stops before its last section")
        try:
            booster = lgb.Booster(model_str=text)
        except lgb.basic.LightGBMError as exc:
            raise _corrupt(what, str(exc).splitlines()[0][:200]) from None
        final = _base.NativeModel(
            lambda X: booster.predict(_plain(X)),
            manifest.get("classes"),
            "LightGBM",
            self.name,
            text.encode(),
        )
        return _base.with_prep(z, final, what)

    def wrap(self, raw: bytes, classes: list[Any] | None) -> bytes:
        """An archive around a file in the library's own format (``models import``)."""
        _base.require("lightgbm", self.extra, "a LightGBM model file")
        if not _complete(raw.decode("utf-8", errors="replace")):
            raise _corrupt("the LightGBM model file", "the text stops before its last section")
        _base.probe(PROBE, raw, "the LightGBM model file", "LightGBM")
        manifest = {"flavour": self.name, "classes": classes, "versions": self.versions()}
        return _base.pack(manifest, {BOOSTER: raw}, None)

    def versions(self) -> dict[str, str]:
        return _base.versions_of("lightgbm", "numpy")


def _complete(text: str) -> bool:
    tail = text.rstrip().rsplit("\n", 1)[-1]
    return "\nend of parameters\n" in text and tail.startswith("pandas_categorical:")


def _plain(X: Any) -> Any:
    return X.toarray() if hasattr(X, "toarray") else X


def _corrupt(what: str, why: str) -> UnsafeArtifact:
    return UnsafeArtifact(
        f"{what}: the LightGBM model cannot be read ({why})",
        hint="the file is corrupt or truncated; re-save or re-register the model",
    )


FLAVOUR = LightGBMFlavour()
