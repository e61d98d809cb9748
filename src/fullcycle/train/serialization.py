"""Saving and loading models without running anyone's code.

Models are saved with skops. Loading asks skops which types and functions the file would create
and accepts only skops' defaults plus fullcycle's exact allow-list (``flavours/_skops_allow.py``);
anything else is refused with the names named. Pickle and joblib files are refused unless the
caller says an admin marked that version trusted - and in that case only are they opened.
The artifact store verifies sha256 before these bytes reach here.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from fullcycle.errors import InvalidInput, UnsafeArtifact

FORMATS = ("skops", "pickle", "joblib")
VERSIONED = ("scikit-learn", "numpy", "scipy", "skops")


class VersionMismatchWarning(UserWarning):
    """A model was saved with other library versions than the ones loading it."""


def library_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def is_trusted_type(name: str) -> bool:
    """Whether a name skops reports as untrusted is on fullcycle's exact allow-list."""
    from fullcycle.train.flavours._skops_allow import ALLOWED

    return name in ALLOWED


def dumps(model: Any) -> bytes:
    """The model as skops bytes."""
    import skops.io as sio

    return bytes(sio.dumps(model))


def untrusted_types(data: bytes) -> list[str]:
    """Names in a skops file outside fullcycle's allow-list (the file is not executed)."""
    from fullcycle.train.flavours import _skops_allow

    return _skops_allow.refused(_skops_allow.untrusted_types(data))


def check(data: bytes, *, fmt: str = "skops", what: str = "model") -> None:
    """Refuse a skops file with anything outside the allow-list, without loading it."""
    from fullcycle.train.flavours import _skops_allow

    if fmt == "skops":
        _skops_allow.check_file(data, what)


def loads(data: bytes, *, fmt: str = "skops", trusted: bool = False, what: str = "model") -> Any:
    """The model in ``data``; refuses names off the allow-list, and pickles unless ``trusted``."""
    if fmt not in FORMATS:
        raise InvalidInput(f"{what}: format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt != "skops":
        if not trusted:
            raise UnsafeArtifact(
                f"{what} is a {fmt} file, which can run code when opened; it was not opened",
                hint="an admin can mark the version trusted (fullcycle models trust NAME:N) "
                "after checking where it came from, or re-save it with skops",
            )
        return _load_pickle(data, fmt)
    import skops.io as sio

    from fullcycle.train.flavours import _skops_allow

    allowed = _skops_allow.check_file(data, what)
    model = sio.loads(data, trusted=allowed)
    _skops_allow.check_structure(model, what)
    return model


def _load_pickle(data: bytes, fmt: str) -> Any:
    if fmt == "joblib":
        import joblib

        return joblib.load(io.BytesIO(data))
    import pickle

    return pickle.loads(data)  # noqa: S301 - only for versions an admin marked trusted


def check_versions(recorded: dict[str, str], what: str = "model") -> list[str]:
    """Warn (VersionMismatchWarning) for each library whose version differs; return them."""
    current = library_versions()
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
    """The serialization format a file name implies."""
    lower = filename.lower()
    if lower.endswith(".skops"):
        return "skops"
    if lower.endswith((".joblib", ".jbl")):
        return "joblib"
    if lower.endswith((".pkl", ".pickle", ".p")):
        return "pickle"
    raise InvalidInput(
        f"cannot tell the format of {filename!r}",
        hint="name it .skops, .joblib or .pkl",
    )
