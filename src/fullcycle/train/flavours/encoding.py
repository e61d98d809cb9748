"""String (or any) class labels for estimators that only accept 0..k-1 (XGBoost, skorch),
or that answer in a shape of their own (CatBoost: a multiclass ``predict`` is one column).

fullcycle wraps such a classifier in :class:`LabelEncoded` when it builds a recipe, so any
estimator with the scikit-learn API trains on the scope's classes unchanged and predicts them.
A flavour asks for it with ``encode_classes = True``; other libraries are named below.
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator, ClassifierMixin, clone

#: modules without a flavour of their own whose classifiers need classes 0..k-1
NEEDS_INTEGER_CLASSES = ("skorch",)


def needs_encoding(estimator: Any, task: str) -> bool:
    """Whether fullcycle should encode the target for ``estimator`` (a classifier only)."""
    from sklearn.base import is_classifier

    from fullcycle.train import flavours

    if task != "classification" or not is_classifier(estimator):
        return False
    if type(estimator).__module__.split(".")[0] in NEEDS_INTEGER_CLASSES:
        return True
    return bool(getattr(flavours.for_model(estimator), "encode_classes", False))


class LabelEncoded(ClassifierMixin, BaseEstimator):
    """Fits ``estimator`` on 0..k-1 and answers in the original classes."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any, **fit_params: Any) -> LabelEncoded:
        import numpy as np

        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        self.estimator_ = clone(self.estimator).fit(X, codes, **fit_params)
        return self

    def predict(self, X: Any) -> Any:
        import numpy as np

        codes = np.asarray(self.estimator_.predict(X)).astype(int).reshape(-1)
        return self.classes_[codes]

    def predict_proba(self, X: Any) -> Any:
        import numpy as np

        p = np.asarray(self.estimator_.predict_proba(X), dtype=float)
        return p / p.sum(axis=1, keepdims=True)  # float32 rows may miss 1 by more than eps

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.input_tags = inner.input_tags
        return tags
