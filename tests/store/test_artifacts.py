import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fullcycle.errors import IntegrityError, InvalidName, NotFound
from fullcycle.store.artifacts import ArtifactStore


def test_bytes_round_trip_under_their_sha(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "a"))
    sha = store.put_bytes(b"hello")
    assert sha == hashlib.sha256(b"hello").hexdigest()
    assert store.get_bytes(sha) == b"hello"
    assert (tmp_path / "a" / sha[:2] / sha).is_file()


def test_identical_content_is_stored_once(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(3 << 20))
    assert store.put_file(src) == store.put_file(src) == store.put_bytes(src.read_bytes())
    assert len(list(store.keys())) == 1


@pytest.mark.parametrize("damage", ["flip", "truncate", "swap"])
def test_damaged_objects_fail_their_sha_check(tmp_path: Path, damage: str) -> None:
    store = ArtifactStore(str(tmp_path))
    sha = store.put_bytes(b"model weights " * 1000)
    other = store.put_bytes(b"another object")
    path = tmp_path / sha[:2] / sha
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[100] ^= 0x01
    elif damage == "truncate":
        data = data[:-10]
    else:
        data = bytearray((tmp_path / other[:2] / other).read_bytes())
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="corrupt"):
        store.get_bytes(sha)
    with pytest.raises(IntegrityError):
        store.verify(sha)


def test_planted_symlink_is_not_followed(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "root"))
    secret = tmp_path / "secret"
    secret.write_text("do not read")
    sha = hashlib.sha256(b"do not read").hexdigest()
    (tmp_path / "root" / sha[:2]).mkdir(parents=True)
    (tmp_path / "root" / sha[:2] / sha).symlink_to(secret)
    with pytest.raises(IntegrityError, match="symlink"):
        store.get_bytes(sha)


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "/etc/passwd", "%2e%2e%2f", "g" * 64, "AB" * 32, "", "0" * 63]
)
def test_keys_that_are_not_sha256_digests_are_refused(tmp_path: Path, key: str) -> None:
    store = ArtifactStore(str(tmp_path))
    with pytest.raises(InvalidName):
        store.get_bytes(key)


def test_missing_object_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="not in the artifact store"):
        ArtifactStore(str(tmp_path)).get_bytes("0" * 64)


def test_fsspec_url_backend_round_trips(tmp_path: Path) -> None:
    store = ArtifactStore(f"memory://fc-test-{os.getpid()}")
    sha = store.put_bytes(b"remote bytes")
    assert store.exists(sha)
    assert store.get_bytes(sha) == b"remote bytes"
    assert list(store.keys()) == [sha]


_FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
from fullcycle.errors import StoreUnavailable
from fullcycle.store.artifacts import ArtifactStore
store = ArtifactStore(sys.argv[1])
try:
    store.put_bytes(b"x" * (1 << 20))
except StoreUnavailable as exc:
    print("clean:", exc)
"""


def test_a_write_that_runs_out_of_space_leaves_nothing_behind(tmp_path: Path) -> None:
    root = tmp_path / "store"
    out = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, str(root)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("clean: cannot write artifact"), out.stdout
    leftovers = [p for p in root.rglob("*") if p.is_file()]
    assert leftovers == []


def test_temp_files_of_dead_writers_are_collected(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path))
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / ".tmp-123.part").write_bytes(b"half")
    assert store.clean_temp() == 1
    assert not (tmp_path / "ab" / ".tmp-123.part").exists()
