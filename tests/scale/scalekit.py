"""Helpers for the scale tests; importable by the Dask workers (their PYTHONPATH holds this dir)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
CATEGORIES = ["red", "green", "blue", "amber"]
WORDS = "the quick brown fox jumps over a lazy dog near river bank".split()  # noqa: SIM905


def square(x: int) -> int:
    return x * x


def slow_square(x: int) -> tuple[int, int]:
    time.sleep(0.4)  # the behaviour under test: a slow task, so a worker can die mid-job
    return x * x, os.getpid()


def frame(n: int, seed: int = 0, *, shift: float = 0.0, new_words: bool = False) -> pd.DataFrame:
    """Numeric, integer, categorical and text columns, with some missing values."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    x[rng.random(n) < 0.02] = np.nan
    words = WORDS + (["zebra", "quasar", "tofu"] if new_words else [])
    colours = CATEGORIES + (["violet"] if shift else [])
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 20 + int(5 * shift), n),
            "colour": pd.Series(rng.choice(colours, n), dtype=object),
            "note": [" ".join(rng.choice(words, 4)) for _ in range(n)],
        }
    )


def labelled(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    data["y"] = np.where(data["a"] + 0.5 * data["b"] > 0, "yes", "no")
    return data


def classifier(data: pd.DataFrame):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(data[["a", "b"]], data["y"])


class Exploding:
    """A model whose predict kills the process that runs it (a worker crash, not an error)."""

    classes_ = None

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        os._exit(13)


class Failing:
    """A model that raises on partitions holding row values above ``limit``."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if (frame["a"] > self.limit).any():
            raise ValueError("bad partition")
        return np.zeros(len(frame))


def log_segment(frame: pd.DataFrame, path: Path, start: int) -> Path:
    """A sealed prediction-log segment: inputs as JSON, plus a rejected and a shadow row."""
    records = [
        {
            "request_id": f"r{start + i}",
            "row": 0,
            "route": "production",
            "error": None,
            "inputs": orjson.dumps(
                {k: (None if pd.isna(v) else v) for k, v in rec.items()}
            ).decode(),
            "output": orjson.dumps("yes").decode(),
        }
        for i, rec in enumerate(frame.to_dict(orient="records"))
    ]
    records.append({**records[0], "route": "shadow"})
    records.append({**records[0], "row": -1, "error": "x/y: bad"})
    pq.write_table(pa.Table.from_pylist(records), path)
    return path


def read_bytes(path: str) -> bytes:
    return Path(path).read_bytes()
