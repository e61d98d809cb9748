"""Drift ranked by what it does to the model, and text drift measured by new vocabulary.

Real data: scikit-learn's breast cancer set for importance; for text, the first lines of the
docstrings of numpy's public functions (distinct texts, like tweets or queries) against those
of Python's network modules (a new vocabulary).
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fullcycle.monitoring.compare import compare, drift_frames
from fullcycle.monitoring.reference import Reference, permutation_importance, training_reference

USED = ["worst_radius", "worst_concave_points"]


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.DataFrame, object]:
    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    train = frame.sample(frac=0.6, random_state=0)
    test = frame.drop(train.index)
    x = train.drop(columns="target")
    model = make_pipeline(
        make_column_transformer((StandardScaler(), USED)), LogisticRegression()
    ).fit(x, train["target"])
    return x, test.drop(columns="target"), model


def test_permutation_importance_finds_the_columns_the_model_uses(cancer):
    x, held_out, model = cancer
    importance = permutation_importance(model, held_out)
    assert set(importance) == set(x.columns)
    assert all(importance[c] > 0.02 for c in USED)
    assert all(v == 0.0 for c, v in importance.items() if c not in USED)


def reference_with_importance(cancer) -> Reference:
    x, held_out, model = cancer
    kinds = {c: "numeric" for c in x.columns}
    return Reference.from_dict(
        training_reference(kinds, x, None, None, model=model, held_out=held_out)
    )


def test_drift_the_model_ignores_ranks_low_and_barely_moves_the_score(cancer):
    x, held_out, _ = cancer
    reference = reference_with_importance(cancer)
    assert reference.features["worst_radius"].importance > 0
    shifted = held_out.copy()
    shifted["mean_texture"] = shifted["mean_texture"] * 1.8  # the model never looks at it
    report = compare(reference, shifted)
    assert report.drifted_features == ["mean_texture"]
    assert report.drift_score == 0.0
    both = shifted.copy()
    both["worst_radius"] = both["worst_radius"] * 1.3
    report = compare(reference, both)
    assert report.drifted_features[0] == "worst_radius"  # ranked by what it does to the model
    assert set(report.drifted_features) == {"worst_radius", "mean_texture"}
    assert report.drift_score > 0.4
    assert report.to_dict()["drift_score"] == report.drift_score


def test_without_importance_every_feature_weighs_the_same(cancer):
    x, held_out, _ = cancer
    shifted = held_out.copy()
    shifted["mean_texture"] = shifted["mean_texture"] * 1.8
    report = drift_frames(x, shifted)
    assert {f.weight for f in report.features} == {1.0}
    assert report.drift_score == pytest.approx(1 / len(x.columns))


def docstrings(modules: list[str]) -> list[str]:
    found = []
    for name in modules:
        for attr, obj in sorted(vars(importlib.import_module(name)).items()):
            doc = inspect.getdoc(obj) if callable(obj) and not attr.startswith("_") else None
            if doc:
                line = " ".join(doc.split("\n\n")[0].split())
                if len(line.split()) >= 3:
                    found.append(line[:300])
    return list(dict.fromkeys(found))


@pytest.fixture(scope="module")
def texts() -> tuple[list[str], list[str]]:
    numeric = docstrings(
        ["numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.ma", "numpy.polynomial"]
    )
    network = docstrings(
        ["email.utils", "http.client", "socket", "ssl", "urllib.request", "smtplib", "asyncio"]
    )
    assert len(numeric) > 400 and len(network) > 150
    return numeric, network


@pytest.mark.parametrize("seed", range(5))
def test_distinct_texts_from_one_source_are_not_drift(texts, seed):
    numeric, _ = texts
    order = np.random.default_rng(seed).permutation(len(numeric))
    half = len(order) // 2
    a = pd.DataFrame({"doc": [numeric[i] for i in order[:half]]})
    b = pd.DataFrame({"doc": [numeric[i] for i in order[half:]]})
    for ref, cur in ((a, b), (b, a)):
        f = drift_frames(ref, cur, kinds={"doc": "text"}).feature("doc")
        assert f.decided and not f.drifted, f
        assert "jensenshannon" not in f.stats  # ~1 on distinct texts whatever happens
        assert f.info["oov_rate"] > 0.05  # distinct texts always bring some new tokens


def test_a_new_vocabulary_is_text_drift_with_its_new_tokens(texts):
    numeric, network = texts
    report = drift_frames(
        pd.DataFrame({"doc": numeric}), pd.DataFrame({"doc": network}), kinds={"doc": "text"}
    )
    f = report.feature("doc")
    assert f.drifted and f.info["oov_pvalue"] < 1e-6
    assert f.stats["oov_increase"] > 0.2
    new = [t for t, _ in f.info["top_new_tokens"]]
    assert any(t in new for t in ("socket", "ssl", "http", "connection", "server"))


def test_a_few_texts_are_insufficient_data_never_an_alarm(texts):
    numeric, network = texts
    report = drift_frames(
        pd.DataFrame({"doc": numeric}), pd.DataFrame({"doc": network[:40]}), kinds={"doc": "text"}
    )
    assert not report.drifted and report.verdict.startswith("insufficient data")
    assert report.drift_score == 0.0
