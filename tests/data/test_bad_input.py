"""Every bad input gets a clear error naming the file, column or row, and stores nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fullcycle.contract import Contract
from fullcycle.data.versions import add_data
from fullcycle.errors import InvalidInput, InvalidName
from fullcycle.store import datasets as dataset_store

PARQUET_MAGIC = b"PAR1\x15\x04\x15\x00"
GOOD_CSV = "age,income,color,note,label\n34,52000.5,red,walks,yes\n51,,green,,no\n"

CASES = [
    ("empty.csv", b"", r"empty\.csv is empty"),
    ("blank.csv", b"\n\n  \n", r"blank\.csv is empty"),
    ("header.csv", b"age,income,color,note,label\n", r"header\.csv has a header but no rows"),
    ("fake.parquet", GOOD_CSV.encode(), r"fake\.parquet is not a Parquet file"),
    ("real.csv", PARQUET_MAGIC + b"\x00" * 64, r"real\.csv is a Parquet file"),
    ("zipped.csv", b"\x1f\x8b\x08\x00" + b"\x00" * 32, r"zipped\.csv is binary"),
    ("wide.csv", "age,note\n1,x\n".encode("utf-16"), r"wide\.csv is UTF-16"),
    (
        "latin.csv",
        GOOD_CSV.replace("red", "r\xe9d", 1).encode("latin-1"),
        r"latin\.csv line 2, column 'color': text is not valid UTF-8",
    ),
    (
        "ragged.csv",
        GOOD_CSV.replace("51,,green,,no", "51,,green,no").encode(),
        r"ragged\.csv line 3: ragged row",
    ),
    ("dupes.csv", b"age,age,label\n1,2,yes\n", r"dupes\.csv: duplicate column name 'age'"),
    (
        "notarget.csv",
        b"age,income,color,note\n1,2,red,x\n",
        r"notarget\.csv: target column 'label' is missing",
    ),
    ("lines.jsonl", b'{"age": 1}\n{"age": 2,\n', r"lines\.jsonl is not valid JSON Lines: line 2"),
    ("array.jsonl", b'[{"age": 1}]\n', r"array\.jsonl is not JSON Lines"),
    ("data.xlsx", b"PK\x03\x04", r"data\.xlsx: unknown file type '\.xlsx'"),
]


@pytest.mark.parametrize(("filename", "content", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_refused_and_nothing_is_stored(
    store: Any, contract: Contract, tmp_path: Path, filename: str, content: bytes, message: str
) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        add_data(store.db, store.artifacts, path, "customers", contract=contract)
    assert dataset_store.listing(store.db) == []
    assert store.artifact_count() == 0


@pytest.mark.parametrize("name", ["../escape", "a/../b", "bad\x00name", "", ".."])
def test_unsafe_names_are_refused(store: Any, good_csv: Path, name: str) -> None:
    with pytest.raises(InvalidName, match="dataset name"):
        add_data(store.db, store.artifacts, good_csv, name)
    assert dataset_store.listing(store.db) == []


def test_missing_file_names_the_path(store: Any, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="nope.csv: no such file"):
        add_data(store.db, store.artifacts, tmp_path / "nope.csv", "x")


def test_frame_with_duplicate_columns_is_refused(store: Any) -> None:
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InvalidInput, match="duplicate column name 'a'"):
        add_data(store.db, store.artifacts, frame, "x")


def test_frame_with_mixed_types_names_the_column(store: Any) -> None:
    frame = pd.DataFrame({"ok": [1, 2], "mixed": [1, "two"]})
    with pytest.raises(InvalidInput, match="column 'mixed'"):
        add_data(store.db, store.artifacts, frame, "x")
    assert store.artifact_count() == 0


def test_not_a_table_is_refused(store: Any) -> None:
    with pytest.raises(InvalidInput, match="cannot add list"):
        add_data(store.db, store.artifacts, [1, 2], "x")


def test_a_quoted_field_may_hold_newlines_and_quotes(store: Any, tmp_path: Path) -> None:
    """RFC 4180, as pandas and spreadsheets write it: real text (a tweet, a review) has line
    breaks and quotes inside a field. The file is read whole, not refused as ragged, also when
    it is larger than the reader's block (where a block may begin inside a quoted field)."""
    from fullcycle.data.versions import read_any

    notes = ["line one\nline two", 'he said "yes"', "\u27a1\ufe0fhttps://t.co/x\n\n#tag", "plain"]
    n = 40_000  # about 2 MiB: several of pyarrow's 1 MiB blocks
    frame = pd.DataFrame(
        {
            "note": [notes[i % 4] + f" {i}" for i in range(n)],
            "age": range(n),
            "label": ["yes", "no"] * (n // 2),
        }
    )
    path = tmp_path / "text.csv"
    frame.to_csv(path, index=False)
    assert path.stat().st_size > 2**20
    back = read_any(path)
    assert len(back) == n and back["note"].tolist() == frame["note"].tolist()
    version = add_data(store.db, store.artifacts, path, "notes")
    assert version.n_rows == n
