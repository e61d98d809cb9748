"""Domain classifier: can a model tell the window from the reference?

The cross-validated ROC AUC of a classifier trained to separate reference rows (label 0) from
window rows (label 1). About 0.5 means the two look alike; near 1.0 means they are easy to
tell apart. It catches drift that per-feature statistics miss (word order, combinations).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Fewer rows than this on either side and the AUC is too noisy to report.
MIN_SAMPLES = 50


def text_domain_auc(reference: Sequence[str], current: Sequence[str], *, seed: int = 0) -> float:
    """AUC of a hashed bag-of-words naive Bayes separating the two sets of texts."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        HashingVectorizer(n_features=2**18, alternate_sign=False, ngram_range=(1, 2), norm=None),
        MultinomialNB(alpha=0.5),
    )
    texts = [str(t) for t in reference] + [str(t) for t in current]
    return _cv_auc(model, np.asarray(texts, dtype=object), len(reference), len(current), seed)


def domain_auc(reference: np.ndarray, current: np.ndarray, *, seed: int = 0) -> float:
    """AUC of a random forest separating two numeric matrices (rows x features, no NaN).

    One thread: OpenMP-based boosters can stall for minutes on a busy shared machine.
    """
    from sklearn.ensemble import RandomForestClassifier

    model = RandomForestClassifier(
        n_estimators=100, min_samples_leaf=5, n_jobs=1, random_state=seed
    )
    x = np.vstack([np.asarray(reference, dtype=float), np.asarray(current, dtype=float)])
    return _cv_auc(model, x, len(reference), len(current), seed)


def _cv_auc(model: Any, x: Any, n_ref: int, n_cur: int, seed: int) -> float:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if min(n_ref, n_cur) < MIN_SAMPLES:
        raise ValueError(f"domain classifier needs {MIN_SAMPLES} rows on each side")
    y = np.r_[np.zeros(n_ref), np.ones(n_cur)]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))
