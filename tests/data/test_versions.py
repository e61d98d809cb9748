"""Dataset versions: canonical bytes, dedupe, numbering, profiles, contract enforcement."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from fullcycle.contract import Contract
from fullcycle.data.versions import add_data, load, resolve
from fullcycle.errors import ContractViolation, NotFound
from fullcycle.store import datasets as dataset_store


def test_add_csv_creates_version_one_with_counts_schema_and_origin(
    store: Any, contract: Contract, good_csv: Path
) -> None:
    v = add_data(store.db, store.artifacts, good_csv, "customers", contract=contract)
    assert v.ref == "customers@1"
    assert (v.n_rows, v.n_cols) == (4, 5)
    assert [c["name"] for c in v.schema] == ["age", "income", "color", "note", "label"]
    assert v.origin["kind"] == "file" and v.origin["file"] == "customers.csv"
    assert len(v.origin["sha256"]) == 64
    assert store.artifacts.exists(v.sha256)


def test_identical_data_returns_the_existing_version(
    store: Any, contract: Contract, good_csv: Path, tmp_path: Path
) -> None:
    first = add_data(store.db, store.artifacts, good_csv, "customers", contract=contract)
    again = add_data(store.db, store.artifacts, good_csv, "customers", contract=contract)
    as_frame = add_data(
        store.db, store.artifacts, pd.read_csv(good_csv), "customers", contract=contract
    )
    copy = tmp_path / "copy.jsonl"
    pd.read_csv(good_csv).to_json(copy, orient="records", lines=True)
    assert again.id == first.id and again.ref == "customers@1"
    assert as_frame.sha256 == first.sha256
    assert len(dataset_store.listing(store.db, name="customers")) == 1
    changed = add_data(
        store.db, store.artifacts, pd.read_csv(good_csv).head(3), "customers", contract=contract
    )
    assert changed.ref == "customers@2"


def test_load_returns_the_rows_by_version_or_latest(
    store: Any, contract: Contract, good_csv: Path
) -> None:
    add_data(store.db, store.artifacts, good_csv, "customers", contract=contract)
    add_data(
        store.db, store.artifacts, pd.read_csv(good_csv).head(2), "customers", contract=contract
    )
    assert len(load(store.db, store.artifacts, "customers@1")) == 4
    latest = load(store.db, store.artifacts, "customers")
    assert len(latest) == 2
    assert latest["color"].tolist() == ["red", "green"]
    with pytest.raises(NotFound, match="customers@9"):
        load(store.db, store.artifacts, "customers@9")


def test_profile_numbers_categories_and_text(
    store: Any, contract: Contract, good_csv: Path
) -> None:
    p = add_data(store.db, store.artifacts, good_csv, "customers", contract=contract).profile
    assert p["age"]["kind"] == "integer"
    assert (p["age"]["min"], p["age"]["max"]) == (27, 62)
    assert p["age"]["mean"] == pytest.approx(43.5)
    assert p["age"]["quantiles"]["0.5"] == pytest.approx(42.5)
    assert p["income"]["missing"] == pytest.approx(0.25)
    assert p["color"]["top"][0] == ["red", 2]
    assert p["color"]["distinct"] == 3
    assert p["note"]["kind"] == "text"
    assert p["note"]["length"]["max"] == len("new customer from the north")
    assert p["note"]["vocabulary"] == 12
    assert p["label"]["top"] == [["no", 2], ["yes", 2]]
    json.dumps(p)  # JSON-able


def test_contract_violation_stores_nothing(
    store: Any, contract: Contract, tmp_path: Path, good_text: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(good_text.replace("34,", "-3,").replace("blue", "purple"), encoding="utf-8")
    with pytest.raises(ContractViolation) as info:
        add_data(store.db, store.artifacts, path, "customers", contract=contract)
    message = str(info.value)
    assert "age" in message and "below min 0" in message
    assert "color" in message and "unknown category" in message
    assert dataset_store.listing(store.db) == []
    assert store.artifact_count() == 0


def test_allow_violations_records_them_with_the_version(
    store: Any, contract: Contract, tmp_path: Path, good_text: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(good_text.replace("yes\n51", "maybe\n51"), encoding="utf-8")
    v = add_data(
        store.db, store.artifacts, path, "customers", contract=contract, allow_violations=True
    )
    assert [x["column"] for x in v.violations] == ["label"]
    assert v.violations[0]["count"] == 1 and v.violations[0]["examples"] == [0]
    assert resolve(store.db, v.ref).violations == v.violations


def test_columns_follow_the_contract_order_and_codes_stay_text(
    store: Any, contract: Contract, tmp_path: Path
) -> None:
    frame = pd.DataFrame(
        {
            "label": ["yes", "no"],
            "extra": ["007", "008"],
            "age": [1, 2],
            "income": [1.0, None],
            "color": ["red", "red"],
            "note": [None, "x"],
        }
    )
    path = tmp_path / "codes.csv"
    frame.to_csv(path, index=False)
    v = add_data(store.db, store.artifacts, path, "codes", contract=contract)
    assert [c["name"] for c in v.schema] == ["age", "income", "color", "note", "label", "extra"]
    assert load(store.db, store.artifacts, v.ref)["note"].tolist()[1] == "x"


def test_parquet_and_pyarrow_inputs(
    store: Any, contract: Contract, good_csv: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(pd.read_csv(good_csv), preserve_index=False)
    pq.write_table(table, tmp_path / "c.parquet")
    from_file = add_data(store.db, store.artifacts, tmp_path / "c.parquet", "c", contract=contract)
    from_table = add_data(store.db, store.artifacts, table, "c", contract=contract)
    assert from_file.origin["format"] == "parquet"
    assert from_table.id == from_file.id


def test_concurrent_adds_number_versions_without_gaps(store: Any, good_csv: Path) -> None:
    base = pd.read_csv(good_csv)
    results: list[str] = []
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            frame = base.assign(age=base["age"] + i)
            results.append(add_data(store.db, store.artifacts, frame, "race").ref)
        except BaseException as exc:  # noqa: BLE001 - collected for the assert below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results, key=lambda r: int(r.split("@")[1])) == [f"race@{i}" for i in range(1, 9)]


def test_parents_must_exist(store: Any, good_csv: Path) -> None:
    with pytest.raises(NotFound, match="ghost@1"):
        add_data(store.db, store.artifacts, good_csv, "child", parents=["ghost@1"])
    assert dataset_store.listing(store.db) == []


def test_a_value_that_does_not_fit_its_type_is_a_contract_violation(
    store: Any, contract: Contract, tmp_path: Path, good_text: str
) -> None:
    path = tmp_path / "typo.csv"
    path.write_text(good_text.replace("51,,green", "fifty,,green"), encoding="utf-8")
    with pytest.raises(ContractViolation, match="age: wrong type: expected a number: 1 of 4"):
        add_data(store.db, store.artifacts, path, "customers", contract=contract)
    assert store.artifact_count() == 0


def test_codes_with_leading_zeros_stay_text(store: Any, tmp_path: Path) -> None:
    from fullcycle.contract import Feature

    codes = Contract(features=[Feature(name="zip", kind="categorical", allowed=["007", "010"])])
    path = tmp_path / "zips.csv"
    path.write_text("zip,n\n007,1\n010,2\n", encoding="utf-8")
    v = add_data(store.db, store.artifacts, path, "zips", contract=codes)
    assert load(store.db, store.artifacts, v.ref)["zip"].tolist() == ["007", "010"]
    assert v.profile["zip"]["top"] == [["007", 1], ["010", 1]]


def test_many_chunks_and_one_chunk_give_the_same_bytes(store: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = 300_000
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n).round(6),
            "k": rng.integers(0, 9, size=n),
            "c": rng.choice(["a", "b", "c"], size=n),
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    from_csv = add_data(store.db, store.artifacts, path, "big")
    from_frame = add_data(store.db, store.artifacts, pd.read_csv(path), "big")
    assert from_frame.id == from_csv.id
    q = from_csv.profile["x"]
    assert q["quantiles_from"] == 150_000
    exact = np.quantile(frame["x"], 0.5)
    assert q["quantiles"]["0.5"] == pytest.approx(exact, abs=0.02)
    assert q["mean"] == pytest.approx(frame["x"].mean())


def test_mixed_iso_times_become_timestamps(store: Any, tmp_path: Path) -> None:
    from fullcycle.contract import Feature

    times = Contract(features=[Feature(name="when", kind="datetime")])
    path = tmp_path / "times.csv"
    path.write_text("when\n2025-01-01T10:00:00\n2025-01-02\n2025-01-03T01:00:00+01:00\n")
    v = add_data(store.db, store.artifacts, path, "times", contract=times)
    assert v.schema[0]["type"] == "timestamp[us]"
    assert (v.profile["when"]["min"], v.profile["when"]["max"]) == (
        "2025-01-01T10:00:00",
        "2025-01-03T00:00:00",
    )


def test_nested_json_lines_are_stored_and_profiled(store: Any, tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    path.write_text('{"a": 1, "tags": ["x"]}\n{"a": 2, "tags": []}\n')
    v = add_data(store.db, store.artifacts, path, "nested")
    assert v.profile["tags"] == {
        "kind": "other",
        "type": "list<item: string>",
        "count": 2,
        "missing": 0.0,
    }
    assert v.profile["a"]["max"] == 2
    assert load(store.db, store.artifacts, v.ref)["tags"].map(len).tolist() == [1, 0]
