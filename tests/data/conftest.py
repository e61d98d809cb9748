"""Small factories for the data tests: a store (SQLite and PostgreSQL) and a contract."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fullcycle.contract import Contract, Feature, Target
from fullcycle.store.artifacts import ArtifactStore
from fullcycle.store.db import Database


@dataclass
class Store:
    db: Database
    artifacts: ArtifactStore
    root: Path

    def artifact_count(self) -> int:
        return len(list(self.artifacts.keys()))


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    db = Database.open(db_url)
    yield Store(db, ArtifactStore(str(tmp_path / "artifacts")), tmp_path)
    db.dispose()


@pytest.fixture
def contract() -> Contract:
    return Contract(
        features=[
            Feature(name="age", kind="integer", min=0, max=120),
            Feature(name="income", kind="numeric", min=0, nullable=True),
            Feature(name="color", kind="categorical", allowed=["red", "green", "blue"]),
            Feature(name="note", kind="text", nullable=True),
        ],
        target=Target(name="label", kind="categorical", classes=["yes", "no"]),
    )


GOOD_CSV = (
    "age,income,color,note,label\n"
    "34,52000.5,red,likes long walks,yes\n"
    "51,,green,,no\n"
    "27,31000,blue,new customer from the north,yes\n"
    "62,88000,red,asked about prices twice,no\n"
)


@pytest.fixture
def good_text() -> str:
    return GOOD_CSV


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    return path
