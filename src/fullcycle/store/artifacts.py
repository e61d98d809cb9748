"""Content-addressed artifact storage: ``ab/abcdef...`` under a root, local or any fsspec URL.

Writes go to a temporary file in the same folder, are fsynced, then renamed into place, so a
reader sees either nothing or the whole object. Every read checks the sha256 again. Keys are
sha256 hex digests, so no user-given text ever becomes a path here.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from fullcycle.errors import ConfigError, IntegrityError, InvalidName, NotFound, StoreUnavailable

_SHA_RE = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


def check_sha(sha: str) -> str:
    if not isinstance(sha, str) or not _SHA_RE.fullmatch(sha):
        raise InvalidName(f"artifact key {sha!r} is not a sha256 hex digest")
    return sha


def _key(sha: str) -> str:
    check_sha(sha)
    return f"{sha[:2]}/{sha}"


#: Object storage calls retry a bounded number of times, then fail with StoreUnavailable:
#: s3fs retries each call up to ``retries`` times, botocore each request ``max_attempts``.
S3_RETRIES = 2
S3_OPTIONS = {"config_kwargs": {"retries": {"max_attempts": 3, "mode": "standard"}}}


def _bounded(url: str) -> dict[str, Any]:
    return dict(S3_OPTIONS) if url.startswith(("s3://", "s3a://")) else {}


def _disk_error(exc: OSError, what: str) -> StoreUnavailable:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreUnavailable(f"disk full while writing {what}", hint="free space and retry")
    return StoreUnavailable(f"cannot write {what}: {exc}")


class ArtifactStore:
    """Immutable blobs addressed by their sha256."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local: Path | None = None
        self._fs: Any = None
        if "://" not in url or url.startswith("file://"):
            root = url.removeprefix("file://")
            self._local = Path(root).resolve()
            self._local.mkdir(parents=True, exist_ok=True)
        else:
            try:
                import fsspec
            except ImportError as exc:  # pragma: no cover - fsspec is a dependency
                raise ConfigError("fsspec is needed for artifact URLs") from exc
            try:
                self._fs, self._root = fsspec.core.url_to_fs(url, **_bounded(url))
                if _bounded(url):
                    self._fs.retries = S3_RETRIES
            except (ImportError, ValueError) as exc:
                raise ConfigError(
                    f"artifact URL {url!r} is not usable: {exc}",
                    hint="install fullcycle[s3] for s3:// URLs",
                ) from exc

    # -- writing -------------------------------------------------------------------------------
    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self._write(sha, [data])
        return sha

    def put_file(self, path: str | Path) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        if not self.exists(sha):
            with open(path, "rb") as fh:
                self._write(sha, iter(lambda: fh.read(_CHUNK), b""))
        return sha

    def _write(self, sha: str, chunks: Any) -> None:
        if self._local is None:
            self._write_remote(sha, chunks)
            return
        target = self._local / _key(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            if digest.hexdigest() != sha:
                raise IntegrityError(f"artifact {sha[:12]} changed while it was being written")
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise _disk_error(exc, f"artifact {sha[:12]}") from exc
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _write_remote(self, sha: str, chunks: Any) -> None:
        final = f"{self._root}/{_key(sha)}"
        tmp = f"{self._root}/tmp/{sha}.{os.getpid()}.part"
        try:
            with self._fs.open(tmp, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            self._fs.mv(tmp, final)
        except Exception as exc:
            with contextlib.suppress(Exception):
                self._fs.rm(tmp)
            raise StoreUnavailable(
                f"cannot write artifact {sha[:12]} to {self.url}: {exc}"
            ) from exc

    # -- reading -------------------------------------------------------------------------------
    def exists(self, sha: str) -> bool:
        if self._local is not None:
            return (self._local / _key(sha)).is_file()
        return bool(self._fs.exists(f"{self._root}/{_key(sha)}"))

    def get_bytes(self, sha: str) -> bytes:
        """The whole object, after checking its sha256."""
        with self._open_raw(sha) as fh:
            data = fh.read()
        if hashlib.sha256(data).hexdigest() != sha:
            raise IntegrityError(
                f"artifact {sha[:12]} is corrupt: its bytes no longer match their sha256",
                hint="restore it from a backup or retrain; the version is marked corrupt",
            )
        return data

    @contextlib.contextmanager
    def local_copy(self, sha: str) -> Iterator[Path]:
        """A verified local path to the object (the object itself when the store is local)."""
        if self._local is not None:
            path = self._local / _key(sha)
            self.verify(sha)
            yield path
            return
        with tempfile.TemporaryDirectory(prefix="fullcycle-") as tmp:
            path = Path(tmp) / sha
            path.write_bytes(self.get_bytes(sha))
            yield path

    def verify(self, sha: str) -> None:
        digest = hashlib.sha256()
        with self._open_raw(sha) as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
        if digest.hexdigest() != sha:
            raise IntegrityError(
                f"artifact {sha[:12]} is corrupt: its bytes no longer match their sha256",
                hint="restore it from a backup or retrain; the version is marked corrupt",
            )

    def _open_raw(self, sha: str) -> IO[bytes]:
        key = _key(sha)
        try:
            if self._local is not None:
                fd = os.open(self._local / key, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                return os.fdopen(fd, "rb")
            return self._fs.open(f"{self._root}/{key}", "rb")  # type: ignore[no-any-return]
        except FileNotFoundError:
            raise NotFound(f"artifact {sha[:12]} is not in the artifact store {self.url}") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise IntegrityError(
                    f"artifact {sha[:12]} is a symlink; refusing to follow it"
                ) from None
            raise

    def keys(self) -> Iterator[str]:
        if self._local is not None:
            for path in self._local.glob("??/*"):
                if _SHA_RE.fullmatch(path.name):
                    yield path.name
            return
        for path in self._fs.glob(f"{self._root}/??/*"):
            name = path.rsplit("/", 1)[-1]
            if _SHA_RE.fullmatch(name):
                yield name

    def modified_at(self, sha: str) -> float:
        """When the object was written (seconds since the epoch), for garbage collection's grace."""
        key = _key(sha)
        if self._local is not None:
            return (self._local / key).stat().st_mtime
        info = self._fs.info(f"{self._root}/{key}")
        stamp = info.get("mtime") or info.get("LastModified") or info.get("created")
        return stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp or 0.0)

    def delete(self, sha: str) -> None:
        """Remove an object; only garbage collection of unreferenced objects calls this."""
        key = _key(sha)
        if self._local is not None:
            with contextlib.suppress(FileNotFoundError):
                (self._local / key).unlink()
        else:
            self._fs.rm(f"{self._root}/{key}")

    def clean_temp(self) -> int:
        """Remove temporary files left by writers that died; returns how many."""
        if self._local is None:
            return 0
        removed = 0
        for path in self._local.glob("??/.tmp-*.part"):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
