"""The story the demo tells holds: a period-0 model decays on new names, and labels bring it back.

A TF-IDF (word and character n-grams) + logistic regression router, trained on 4,000 period-0
rows, is scored by macro-F1 on fresh rows of each period, frozen and after retraining on period
0 plus 1,000 labelled rows (200 from each later period, labelled by a simulated labeller).
Every seed is fixed, so the figures are the same on every run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from fullcycle.examples import voice

LAST = voice.periods()[-1]


def _router() -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    text = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2)),
        ]
    )
    columns = ColumnTransformer(
        [
            ("query", text, "query"),
            ("meta", OneHotEncoder(handle_unknown="ignore"), ["locale", "device"]),
        ]
    )
    return make_pipeline(columns, LogisticRegression(C=10.0, max_iter=3000))


def _fit(frame: pd.DataFrame) -> Any:
    served = voice.without_truth(frame)
    return _router().fit(served.drop(columns=[voice.TARGET]), served[voice.TARGET])


@pytest.fixture(scope="module")
def story() -> dict[str, Any]:
    from sklearn.metrics import f1_score

    train = voice.generate(0, 4000, seed=1)
    later = pd.concat([voice.generate(p, 200, seed=20 + p) for p in voice.periods()[1:]])
    later = later.assign(domain=voice.Labeller(seed=3).label(later))
    frozen, retrained = _fit(train), _fit(pd.concat([train, later], ignore_index=True))
    result: dict[str, Any] = {"frozen": {}, "retrained": {}, "errors": {}}
    for period in voice.periods():
        test = voice.generate(period, 3000, seed=100 + period)
        features = voice.without_truth(test).drop(columns=[voice.TARGET])
        for name, model in (("frozen", frozen), ("retrained", retrained)):
            predicted = model.predict(features)
            result[name][period] = f1_score(test[voice.TARGET], predicted, average="macro")
            if name == "frozen":
                result["errors"][period] = (predicted != test[voice.TARGET].to_numpy(), test)
    return result


def test_the_period_0_model_meets_the_goal_on_period_0(story: dict[str, Any]) -> None:
    assert story["frozen"][0] >= 0.93


def test_the_frozen_model_decays_period_by_period(story: dict[str, Any]) -> None:
    f1 = story["frozen"]
    assert f1[0] - f1[LAST] >= 0.15, f1
    assert f1[0] > f1[1] > f1[3] > f1[LAST]
    assert f1[LAST] < 0.80


def test_the_errors_sit_on_names_the_model_never_saw(story: dict[str, Any]) -> None:
    wrong, test = story["errors"][LAST]
    new = test["_name_is_new"].to_numpy()
    assert wrong[new].mean() > 5 * wrong[~new].mean()
    assert wrong[new].sum() > 0.75 * wrong.sum()
    assert not np.any(story["errors"][0][1]["_name_is_new"])


def test_retraining_with_a_thousand_labels_brings_the_last_period_back(
    story: dict[str, Any],
) -> None:
    assert story["retrained"][LAST] >= 0.88, story["retrained"]
    assert story["retrained"][LAST] - story["frozen"][LAST] >= 0.10
    assert story["retrained"][0] >= story["frozen"][0] - 0.01
