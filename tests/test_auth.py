import pytest

from fullcycle import auth
from fullcycle.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    StoreUnavailable,
    Unauthorized,
)
from fullcycle.store import tokens as token_store
from fullcycle.store.db import Database


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    database = Database.open(db_url)
    yield database
    database.dispose()


def test_a_token_is_shown_once_and_only_its_hash_is_stored(db: Database) -> None:
    token = auth.create_token(db, name="ci", role="write")
    stored = token_store.listing(db)
    assert len(stored) == 1 and stored[0].hash == auth.digest(token)
    assert token not in repr(stored)
    assert auth.authenticate(db, token) == auth.Principal(name="ci", role="write")


@pytest.mark.parametrize(
    "bad", [None, "", "Bearer x", "fc_short", "fc_" + "A" * 43, "x" * 10_000, "fc_" + "é" * 43]
)
def test_missing_malformed_or_unknown_tokens_are_unauthorized(
    db: Database, bad: str | None
) -> None:
    auth.create_token(db, name="real", role="admin")
    with pytest.raises(Unauthorized):
        auth.authenticate(db, bad)


def test_expired_and_revoked_tokens_are_unauthorized(db: Database) -> None:
    short = auth.create_token(db, name="short", role="read", expires_in_s=60)
    assert auth.authenticate(db, short).role == "read"
    with pytest.raises(Unauthorized, match="expired or revoked"):
        auth.authenticate(db, short, now=10**11)
    revoked = auth.create_token(db, name="gone", role="admin")
    token_store.revoke(db, "gone")
    with pytest.raises(Unauthorized):
        auth.authenticate(db, revoked)
    with pytest.raises(NotFound):
        token_store.revoke(db, "gone")


def test_roles_include_the_ones_before_them() -> None:
    writer = auth.Principal("w", "write")
    auth.require(writer, "read")
    auth.require(writer, "predict")
    auth.require(writer, "write")
    with pytest.raises(Forbidden, match="has role write; this needs admin"):
        auth.require(writer, "admin")


def test_bootstrap_admin_is_created_once(db: Database) -> None:
    first = auth.bootstrap_admin(db)
    assert first is not None and auth.authenticate(db, first).role == "admin"
    assert auth.bootstrap_admin(db) is None


def test_bad_roles_durations_and_duplicate_names_are_refused(db: Database) -> None:
    with pytest.raises(InvalidInput, match="role 'root'"):
        auth.create_token(db, name="x", role="root")
    assert auth.parse_duration("30d") == 30 * 86400
    with pytest.raises(InvalidInput, match="not a duration"):
        auth.parse_duration("soon")
    auth.create_token(db, name="dup", role="read")
    with pytest.raises(AlreadyExists):
        auth.create_token(db, name="dup", role="read")


def test_the_authenticator_remembers_briefly_and_bridges_a_store_outage(tmp_path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    db = Database.open(f"sqlite:///{folder / 'fc.db'}")
    token = auth.create_token(db, name="svc", role="predict")
    other = auth.create_token(db, name="other", role="read")
    cached = auth.Authenticator(db, ttl_s=60)
    assert cached.authenticate(token).name == "svc"
    token_store.revoke(db, "svc")
    assert cached.authenticate(token).name == "svc"  # within ttl_s
    assert auth.Authenticator(db, ttl_s=0).authenticate(other).name == "other"
    fresh = auth.Authenticator(db, ttl_s=0)
    with pytest.raises(Unauthorized):
        fresh.authenticate(token)  # revoked, looked up again
    bridge = auth.Authenticator(db, ttl_s=0, stale_s=600)
    assert bridge.authenticate(other).name == "other"
    db.dispose()
    folder.rename(tmp_path / "gone")  # the store disappears
    assert bridge.authenticate(other).name == "other"  # known before the outage
    with pytest.raises(StoreUnavailable):
        bridge.authenticate("fc_" + "B" * 43)
    db.dispose()
