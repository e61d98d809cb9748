"""Lineage: each version knows its parents and how it was made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fullcycle.contract import Contract
from fullcycle.data.lineage import describe, lineage_tree
from fullcycle.data.versions import add_data, load
from fullcycle.errors import NotFound


def test_tree_follows_the_parents_back_to_the_file(
    store: Any, contract: Contract, good_csv: Path
) -> None:
    root = add_data(store.db, store.artifacts, good_csv, "customers", contract=contract)
    frame = load(store.db, store.artifacts, root.ref)
    young = add_data(
        store.db,
        store.artifacts,
        frame[frame["age"] < 60].reset_index(drop=True),
        "young",
        contract=contract,
        parents=[root.ref],
        origin={"kind": "frame", "type": "DataFrame", "kept": 3},
    )
    picked = add_data(
        store.db,
        store.artifacts,
        load(store.db, store.artifacts, young.ref).iloc[:2],
        "picked",
        contract=contract,
        parents=[young.ref],
    )
    tree = lineage_tree(store.db, picked.ref)
    assert tree["ref"] == "picked@1" and tree["origin"] == {"kind": "frame", "type": "DataFrame"}
    (middle,) = tree["parents"]
    assert middle["ref"] == "young@1" and middle["origin"]["kept"] == 3
    (bottom,) = middle["parents"]
    assert bottom["ref"] == "customers@1" and bottom["parents"] == []
    assert bottom["origin"]["file"] == "customers.csv"
    assert describe(bottom["origin"]).startswith("file customers.csv (csv, sha256 ")
    assert len(load(store.db, store.artifacts, picked.ref)) == 2


def test_unknown_version_is_not_found(store: Any) -> None:
    with pytest.raises(NotFound, match="ghost@2"):
        lineage_tree(store.db, "ghost@2")


def test_frame_origin(store: Any) -> None:
    v = add_data(store.db, store.artifacts, pd.DataFrame({"a": [1, 2]}), "f")
    assert lineage_tree(store.db, "f")["origin"] == {"kind": "frame", "type": "DataFrame"}
    assert v.parents == []
