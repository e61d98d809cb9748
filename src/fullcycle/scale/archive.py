"""Sealed prediction-log segments to object storage, so every replica's log is readable anywhere.

Servers append to local files (object storage cannot append or fsync); once a segment is sealed
into Parquet and registered, :func:`archive_segments` uploads it to an fsspec URL
(``s3://bucket/logs``), checks the uploaded size, re-points the store's index row to the URL,
and only then deletes the local file. Each step can fail or be killed without losing a segment:

- upload fails (bounded retries, then StoreUnavailable): the row and the file are untouched;
  S3 makes an object visible only when its upload completed, so nothing half-written is read;
- killed after the upload: the row still points to the local file; the next run uploads again
  (same key, same bytes) and carries on;
- killed after re-pointing: the local file is left over, never read again (no row points to it).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fullcycle.errors import ConfigError, IntegrityError, StoreUnavailable
from fullcycle.store import segment_moves
from fullcycle.store.artifacts import S3_OPTIONS, S3_RETRIES
from fullcycle.store.db import Database

__all__ = ["ArchiveResult", "archive_segments"]

SEALED = "sealed"


@dataclass(frozen=True)
class ArchiveResult:
    moved: int
    bytes: int
    urls: list[str]


def _filesystem(url: str) -> tuple[Any, str]:
    import fsspec

    if "://" not in url:
        raise ConfigError(
            f"archive URL {url!r} has no scheme", hint="use e.g. s3://bucket/fullcycle/logs"
        )
    s3 = url.startswith(("s3://", "s3a://"))
    try:
        fs, root = fsspec.core.url_to_fs(url, **(dict(S3_OPTIONS) if s3 else {}))
    except (ImportError, ValueError) as exc:
        raise ConfigError(
            f"archive URL {url!r} is not usable: {exc}", hint="install fullcycle[s3]"
        ) from exc
    if s3:
        fs.retries = S3_RETRIES
    return fs, root.rstrip("/")


def _key(path: str) -> str:
    """The segment's path from its ``sealed/`` folder on (``sealed/day=.../version=.../x``)."""
    parts = Path(path).parts
    if SEALED in parts:
        return "/".join(parts[parts.index(SEALED) :])
    return f"{SEALED}/{Path(path).name}"


def archive_segments(db: Database, url: str, *, limit: int | None = None) -> ArchiveResult:
    """Upload every locally stored sealed segment to ``url`` and re-point the index to it."""
    fs, root = _filesystem(url)
    protocol = url.split("://", 1)[0]
    moved, total, urls = 0, 0, []
    for path in segment_moves.local_paths(db)[:limit]:
        if not os.path.exists(path):
            continue  # another host's disk, or already gone: leave the row for its owner
        key = f"{root}/{_key(path)}"
        size = os.path.getsize(path)
        try:
            fs.put_file(path, key)
            uploaded = int(fs.size(key))
        except Exception as exc:
            raise StoreUnavailable(
                f"cannot upload log segment {Path(path).name} to {url}: {exc}",
                hint="check the object store; the segment stays on local disk, run again later",
            ) from exc
        if uploaded != size:
            raise IntegrityError(
                f"log segment {Path(path).name}: {uploaded} bytes arrived at {url}, not {size}",
                hint="run again; the local file is kept",
            )
        target = f"{protocol}://{key}"
        segment_moves.relocate(db, path, target)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        moved, total = moved + 1, total + size
        urls.append(target)
    return ArchiveResult(moved, total, urls)
