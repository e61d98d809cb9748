"""Saving and loading models without running anyone's code.

Models are saved with skops. Loading asks skops which types and functions the file would create
and accepts only skops' defaults plus fullcycle's exact allow-list (``flavours/_skops_allow.py``);
anything else is refused with the names named. Pickle and joblib files are refused unless the
caller says an admin marked that version trusted - and in that case only are they opened.
The artifact store verifies sha256 before these bytes reach here. Other libraries' models
(XGBoost, LightGBM, CatBoost, ONNX) go through their flavour in ``train/flavours/``.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from fullcycle.errors import InvalidInput, UnsafeArtifact

PICKLES = ("pickle", "joblib")
VERSIONED = ("scikit-learn", "numpy", "scipy", "skops")


class VersionMismatchWarning(UserWarning):
    """A model was saved with other library versions than the ones loading it."""


def formats() -> tuple[str, ...]:
    """Every format a version can have: the flavours', then the pickles (trusted only)."""
    from fullcycle.train import flavours

    return (*flavours.names(), *PICKLES)


def library_versions(model: Any = None) -> dict[str, str]:
    """The versions of the libraries ``model``'s flavour saves with (scikit-learn's if None)."""
    from fullcycle.train import flavours

    flavour = flavours.by_format("skops") if model is None else flavours.for_model(model)
    return dict(flavour.versions())


def format_for(model: Any) -> str:
    """The format (flavour name) ``model`` is saved in."""
    from fullcycle.train import flavours

    return str(flavours.for_model(model).name)


def is_trusted_type(name: str) -> bool:
    """Whether a name skops reports as untrusted is on fullcycle's exact allow-list."""
    from fullcycle.train.flavours._skops_allow import ALLOWED

    return name in ALLOWED


def dumps(model: Any) -> bytes:
    """The model as safe bytes in its flavour's format (see :func:`format_for`)."""
    from fullcycle.train import flavours

    return bytes(flavours.for_model(model).dumps(model))


def untrusted_types(data: bytes) -> list[str]:
    """Names in a skops file outside fullcycle's allow-list (the file is not executed)."""
    from fullcycle.train.flavours import _skops_allow

    return _skops_allow.refused(_skops_allow.untrusted_types(data))


def check(data: bytes, *, fmt: str = "skops", what: str = "model") -> None:
    """Refuse a file that would not load (off the allow-list, corrupt), without running it."""
    from fullcycle.train import flavours
    from fullcycle.train.flavours import _skops_allow

    if fmt == "skops":
        _skops_allow.check_file(data, what)
    elif fmt not in PICKLES:
        flavours.by_format(fmt).loads(data, what=what)


def loads(data: bytes, *, fmt: str = "skops", trusted: bool = False, what: str = "model") -> Any:
    """The model in ``data``; each flavour verifies what it opens; pickles only if ``trusted``."""
    from fullcycle.train import flavours

    if fmt in PICKLES:
        if not trusted:
            raise UnsafeArtifact(
                f"{what} is a {fmt} file, which can run code when opened; it was not opened",
                hint="an admin can mark the version trusted (fullcycle models trust NAME:N) "
                "after checking where it came from, or re-save it with skops",
            )
        return _load_pickle(data, fmt)
    if fmt not in formats():
        raise InvalidInput(f"{what}: format {fmt!r} is not one of {', '.join(formats())}")
    return flavours.by_format(fmt).loads(data, what=what)


def _load_pickle(data: bytes, fmt: str) -> Any:
    if fmt == "joblib":
        import joblib

        return joblib.load(io.BytesIO(data))
    import pickle

    return pickle.loads(data)  # noqa: S301 - only for versions an admin marked trusted


def check_versions(recorded: dict[str, str], what: str = "model") -> list[str]:
    """Warn (VersionMismatchWarning) for each library whose version differs; return them."""
    from fullcycle.train.flavours._base import versions_of

    current = versions_of(*recorded)
    diffs = [
        f"{k} {v} (now {current[k]})"
        for k, v in sorted(recorded.items())
        if k in current and current[k] != v
    ]
    if diffs:
        warnings.warn(
            f"{what} was saved with {', '.join(diffs)}; predictions may differ - retrain to be "
            "sure",
            VersionMismatchWarning,
            stacklevel=2,
        )
    return diffs


def format_of(filename: str) -> str:
    """The serialization format a file name implies (a native file's ending is its flavour's)."""
    from fullcycle.train import flavours

    lower = filename.lower()
    if lower.endswith(".skops"):
        return "skops"
    if lower.endswith((".joblib", ".jbl")):
        return "joblib"
    if lower.endswith((".pkl", ".pickle", ".p")):
        return "pickle"
    native = flavours.endings()
    for ending, fmt in native.items():
        if lower.endswith(ending):
            return fmt
    named = ", ".join(f"{e} ({fmt})" for e, fmt in native.items())
    raise InvalidInput(
        f"cannot tell the format of {filename!r}",
        hint=f"name it .skops, {named}, .joblib or .pkl, or pass --format",
    )


def from_file(raw: bytes, fmt: str, classes: list[Any] | None = None) -> bytes:
    """The bytes to store for a file of ``fmt``: native files are wrapped in their archive."""
    from fullcycle.train import flavours

    if fmt in ("skops", *PICKLES) or _is_zip(raw):
        return raw
    return bytes(flavours.by_format(fmt).wrap(raw, classes))


def _is_zip(raw: bytes) -> bool:
    import io
    import zipfile

    return zipfile.is_zipfile(io.BytesIO(raw))
