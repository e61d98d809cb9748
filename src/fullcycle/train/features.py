"""Preprocessing built from the feature contract, for a bare estimator.

numbers: impute the median, scale; categories: one-hot that ignores unseen values; text: TF-IDF
on words and on character n-grams; datetimes: numeric parts. The two small transformers here
are fullcycle's own types, trusted by the serializer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from fullcycle.errors import ConfigError
from fullcycle.train.spec import FeatureSpec

MISSING = "__missing__"
DATE_PARTS = ("year", "month", "day", "dayofweek", "hour", "days")


class CategoryColumns(TransformerMixin, BaseEstimator):
    """Cast columns to text, with missing values as one more category."""

    def fit(self, X: Any, y: Any = None) -> CategoryColumns:
        self.n_features_in_ = np.asarray(X).shape[1] if np.ndim(X) == 2 else 1
        return self

    def transform(self, X: Any) -> np.ndarray:
        frame = pd.DataFrame(X)
        return frame.astype(object).where(frame.notna(), MISSING).astype(str).to_numpy()


class TextColumn(TransformerMixin, BaseEstimator):
    """One text column as a 1-D array of strings (missing -> empty), for a vectorizer."""

    def fit(self, X: Any, y: Any = None) -> TextColumn:
        return self

    def transform(self, X: Any) -> np.ndarray:
        values = pd.Series(np.asarray(X, dtype=object).ravel())
        return values.where(values.notna(), "").astype(str).to_numpy()


class DatetimeParts(TransformerMixin, BaseEstimator):
    """Datetime columns -> year, month, day, day of week, hour and days since 1970 (NaN kept)."""

    def fit(self, X: Any, y: Any = None) -> DatetimeParts:
        self.n_features_in_ = pd.DataFrame(X).shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:
        frame = pd.DataFrame(X)
        out: list[np.ndarray] = []
        for col in frame.columns:
            ts = pd.to_datetime(frame[col], errors="coerce", utc=True)
            days = (ts - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta(days=1)
            parts = [ts.dt.year, ts.dt.month, ts.dt.day, ts.dt.day_of_week, ts.dt.hour, days]
            out.extend(np.asarray(p, dtype=float) for p in parts)
        return np.column_stack(out) if out else np.empty((len(frame), 0))


def _numeric() -> Any:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()
    )


def _text(dense: bool) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union

    limit = 100 if dense else 20_000
    return make_pipeline(
        TextColumn(),
        make_union(
            TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, 2),
                max_features=limit,
                sublinear_tf=True,
                dtype=np.float32,
            ),
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 4),
                max_features=limit,
                sublinear_tf=True,
                dtype=np.float32,
            ),
        ),
    )


def accepts_sparse(estimator: Any) -> bool:
    try:
        return bool(estimator.__sklearn_tags__().input_tags.sparse)
    except AttributeError:
        return False


def preprocessor(features: tuple[FeatureSpec, ...], *, dense: bool = True) -> Any:
    """A ColumnTransformer for the contract's features (``dense`` when the model needs it)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    if not features:
        raise ConfigError(
            "the feature contract lists no features, so fullcycle cannot build preprocessing",
            hint="add a features section to fullcycle.yaml (fullcycle data add --infer-contract)",
        )
    by_kind: dict[str, list[str]] = {}
    for f in features:
        by_kind.setdefault(f.kind, []).append(f.name)
    parts: list[tuple[str, Any, Any]] = []
    numbers = by_kind.get("numeric", []) + by_kind.get("integer", [])
    if numbers:
        parts.append(("numbers", _numeric(), numbers))
    if by_kind.get("categorical"):
        onehot = OneHotEncoder(
            handle_unknown="ignore", max_categories=100, sparse_output=not dense, dtype=np.float32
        )
        parts.append(
            ("categories", make_pipeline(CategoryColumns(), onehot), by_kind["categorical"])
        )
    for name in by_kind.get("text", []):
        parts.append((f"text_{len(parts)}", _text(dense), name))
    if by_kind.get("datetime"):
        parts.append(("datetimes", make_pipeline(DatetimeParts(), _numeric()), by_kind["datetime"]))
    unknown = set(by_kind) - {"numeric", "integer", "categorical", "text", "datetime"}
    if unknown:
        raise ConfigError(f"feature kind(s) {sorted(unknown)} are not known to the trainer")
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0 if dense else 0.3)
