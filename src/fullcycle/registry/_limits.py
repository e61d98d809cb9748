"""Limits a model must live within before it is registered: ``constraints.max_model_mb``.

The size is the saved artifact's, in MB of 1,000,000 bytes. Checked before the version row is
written, so a model over the limit leaves nothing registered (its run is kept).
"""

from __future__ import annotations

from pathlib import Path

from fullcycle.errors import ModelTooLarge
from fullcycle.store.artifacts import ArtifactStore

MB = 1_000_000
SETTING = "constraints.max_model_mb"


def check_size(size_bytes: int, max_model_mb: float | None, what: str) -> None:
    """Refuse ``what`` when ``size_bytes`` is over ``max_model_mb`` (None: no limit)."""
    if max_model_mb is None or size_bytes <= max_model_mb * MB:
        return
    raise ModelTooLarge(
        f"{what} is {size_bytes / MB:.3g} MB, over the limit of {max_model_mb:g} MB "
        f"({SETTING}); nothing was registered",
        hint=f"make the model smaller, or raise {SETTING} in fullcycle.yaml",
    )


def check_artifact(
    artifacts: ArtifactStore, sha: str, max_model_mb: float | None, what: str
) -> None:
    """:func:`check_size` for a stored artifact."""
    if max_model_mb is None:
        return
    with artifacts.local_copy(sha) as path:
        check_size(path.stat().st_size, max_model_mb, what)


def check_file(path: Path, max_model_mb: float | None) -> None:
    """:func:`check_size` for a file about to be imported."""
    check_size(path.stat().st_size, max_model_mb, f"model file {path.name!r}")
