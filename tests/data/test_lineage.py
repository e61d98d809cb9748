"""Lineage: each version knows its parents and how it was made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fullcycle.contract import Contract
from fullcycle.data.lineage import describe, filter_rows, lineage_tree, sample_rows
from fullcycle.data.versions import add_data, load
from fullcycle.errors import InvalidInput, NotFound


def test_tree_follows_filter_and_sample_back_to_the_file(
    store: Any, contract: Contract, good_csv: Path
) -> None:
    root = add_data(store.db, store.artifacts, good_csv, "customers", contract=contract)
    frame = load(store.db, store.artifacts, root.ref)
    young = filter_rows(
        store.db,
        store.artifacts,
        root.ref,
        (frame["age"] < 60).to_numpy(),
        name="young",
        description="age < 60",
        contract=contract,
    )
    picked = sample_rows(store.db, store.artifacts, young.ref, 2, name="picked", seed=1)
    tree = lineage_tree(store.db, picked.ref)
    assert tree["ref"] == "picked@1" and tree["origin"] == {"kind": "sample", "n": 2, "seed": 1}
    (middle,) = tree["parents"]
    assert middle["ref"] == "young@1" and middle["origin"]["kept"] == 3
    (bottom,) = middle["parents"]
    assert bottom["ref"] == "customers@1" and bottom["parents"] == []
    assert bottom["origin"]["file"] == "customers.csv"
    assert describe(bottom["origin"]).startswith("file customers.csv (csv, sha256 ")
    assert len(load(store.db, store.artifacts, picked.ref)) == 2


def test_sample_is_deterministic(store: Any, good_csv: Path) -> None:
    root = add_data(store.db, store.artifacts, good_csv, "c")
    a = sample_rows(store.db, store.artifacts, root.ref, 2, name="s1", seed=9)
    b = sample_rows(store.db, store.artifacts, root.ref, 2, name="s2", seed=9)
    assert a.sha256 == b.sha256


def test_bad_mask_and_sample_size_are_refused(store: Any, good_csv: Path) -> None:
    root = add_data(store.db, store.artifacts, good_csv, "c")
    with pytest.raises(InvalidInput, match="mask has"):
        filter_rows(store.db, store.artifacts, root.ref, [True], name="f", description="x")
    with pytest.raises(InvalidInput, match="n=10"):
        sample_rows(store.db, store.artifacts, root.ref, 10, name="s")


def test_unknown_version_is_not_found(store: Any) -> None:
    with pytest.raises(NotFound, match="ghost@2"):
        lineage_tree(store.db, "ghost@2")


def test_frame_origin(store: Any) -> None:
    v = add_data(store.db, store.artifacts, pd.DataFrame({"a": [1, 2]}), "f")
    assert lineage_tree(store.db, "f")["origin"] == {"kind": "frame", "type": "DataFrame"}
    assert v.parents == []
