"""CatBoost: the model in CatBoost's own binary format (``.cbm``), never a pickle.

CatBoost writes a ``catboost_info/`` folder into the working directory and prints every
iteration unless told otherwise; :meth:`CatBoostFlavour.for_training` tells it otherwise
before fullcycle fits (unless the user chose those parameters themselves).
"""

from __future__ import annotations

from typing import Any

from fullcycle.errors import UnsafeArtifact
from fullcycle.train.flavours import _base

MODEL = "model.cbm"
MAGIC = b"CBM1"
PROBE = (
    "import sys, catboost; m = catboost.CatBoost().load_model(blob=sys.stdin.buffer.read()); "
    "sys.exit(0 if m.tree_count_ else 'the model holds no trees')"
)
#: parameters that each silence CatBoost's console output (it refuses two of them at once)
QUIET = ("verbose", "logging_level", "silent", "verbose_eval")
#: rows from which a prediction uses every core
BIG_BATCH = 2048


class CatBoostFlavour:
    name = "catboost"
    extra = "catboost"
    endings = (".cbm",)  # a file in the library's own format (``models import``)
    encode_classes = True  # a multiclass predict is a column; fitted on codes, decoded exactly

    def handles(self, model: Any) -> bool:
        est, _ = _base.unwrap(_base.final_step(model)[1])
        return _is_catboost(est) or bool(_base.native_of(est, self.name))

    def for_training(self, model: Any) -> Any:
        """``model`` with CatBoost kept quiet: no files in the working directory, no output."""
        est, _ = _base.unwrap(_base.final_step(model)[1])
        if not _is_catboost(est):
            return model
        chosen = est.get_params()  # CatBoost lists only the parameters that were set
        if "allow_writing_files" not in chosen and "train_dir" not in chosen:
            est.set_params(allow_writing_files=False)
        if not any(k in chosen for k in QUIET):
            est.set_params(verbose=False)
        return model

    def dumps(self, model: Any) -> bytes:
        prep, last = _base.final_step(model)
        est, classes = _base.unwrap(last)
        raw = _base.native_of(est, self.name)
        if raw is None:
            raw = _cbm(est)
            if classes is not None and est is not last:  # fitted on codes 0..k-1 (LabelEncoded)
                classes = [classes[int(code)] for code in _base.plain(est.classes_)]
        manifest = {"flavour": self.name, "classes": classes, "versions": self.versions()}
        return _base.pack(manifest, {MODEL: raw}, prep)

    def loads(self, data: bytes, *, what: str) -> Any:
        cb = _base.require("catboost", self.extra, what)
        manifest, z = _base.unpack(data, self.name, what)
        raw = _base.read(z, MODEL, what, manifest)
        _check_header(raw, what)
        classes = manifest.get("classes")
        model = (cb.CatBoostClassifier if classes is not None else cb.CatBoostRegressor)()
        try:
            model.load_model(blob=raw)
        except cb.CatBoostError as exc:
            raise _corrupt(what, exc) from None
        if not model.tree_count_:
            raise _corrupt(what, "the model holds no trees")
        raw_predict = _probabilities(model) if classes is not None else _values(model)
        final = _base.NativeModel(raw_predict, classes, "CatBoost", self.name, raw)
        return _base.with_prep(z, final, what)

    def wrap(self, raw: bytes, classes: list[Any] | None) -> bytes:
        """An archive around a file in the library's own format (``models import``)."""
        cb = _base.require("catboost", self.extra, "a CatBoost model file")
        _check_header(raw, "the CatBoost model file")
        _base.probe(PROBE, raw, "the CatBoost model file", "CatBoost")
        if classes is not None:
            classes = _in_model_order(_own_classes(cb, raw), classes)
        manifest = {"flavour": self.name, "classes": classes, "versions": self.versions()}
        return _base.pack(manifest, {MODEL: raw}, None)

    def versions(self) -> dict[str, str]:
        return _base.versions_of("catboost", "numpy")


def _is_catboost(est: Any) -> bool:
    return type(est).__module__.split(".")[0] == "catboost"


def _cbm(est: Any) -> bytes:
    """The fitted model's ``.cbm`` bytes (CatBoost saves to a path; a private temp folder)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="fullcycle-catboost-") as tmp:
        path = Path(tmp) / MODEL
        est.save_model(str(path), format="cbm")
        return path.read_bytes()


def _own_classes(cb: Any, raw: bytes) -> list[Any]:
    """The class labels stored in a .cbm file (read after the probe opened it safely)."""
    model = cb.CatBoostClassifier().load_model(blob=raw)
    try:
        return _base.plain(model.classes_)
    except (AttributeError, cb.CatBoostError):
        return []


def _in_model_order(own: list[Any], classes: list[Any]) -> list[Any]:
    """The dataset's classes in the order of the model's probability columns."""
    from fullcycle.errors import InvalidInput

    by_text = {str(c): c for c in classes}
    if sorted(str(c) for c in own) == sorted(by_text):
        return [by_text[str(c)] for c in own]  # the model was fitted on these very labels
    if own and len(own) != len(classes):
        raise InvalidInput(
            f"the CatBoost model answers {len(own)} classes, the dataset has {len(classes)} "
            f"({', '.join(map(str, classes))})",
            hint="import it with the dataset it was trained on",
        )
    return classes  # fitted on codes 0..k-1 of the sorted classes


def _check_header(raw: bytes, what: str) -> None:
    """CatBoost reads a file cut short inside its model block without a word, past its end."""
    size = int.from_bytes(raw[4:8], "little") if len(raw) >= 8 else -1
    if not raw.startswith(MAGIC) or len(raw) < 8 + size:
        raise _corrupt(what, "the file is not a whole .cbm model")


def _threads(X: Any) -> int:
    """One thread for the server's small batches (no start-up cost), all cores for big ones."""
    return 1 if X.shape[0] < BIG_BATCH else -1


def _probabilities(model: Any) -> Any:
    return lambda X: model.predict_proba(X, thread_count=_threads(X))


def _values(model: Any) -> Any:
    """Values on the target's scale: CatBoost's regressor knows its loss only while fitted."""
    import numpy as np

    loss = str(model.get_all_params().get("loss_function", ""))
    kind = "Exponent" if loss.startswith(("Poisson", "Tweedie")) else "RawFormulaVal"

    def predict(X: Any) -> Any:
        out = np.asarray(model.predict(X, prediction_type=kind, thread_count=_threads(X)))
        return out[:, 0] if out.ndim == 2 else out  # RMSEWithUncertainty: (mean, variance)

    return predict


def _corrupt(what: str, why: object) -> UnsafeArtifact:
    text = str(why).strip().splitlines()[0][:200] if str(why).strip() else type(why).__name__
    return UnsafeArtifact(
        f"{what}: the CatBoost model cannot be read ({text})",
        hint="the file is corrupt or truncated; re-save or re-register the model",
    )


FLAVOUR = CatBoostFlavour()
