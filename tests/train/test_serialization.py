import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import trainkit as kit
from fullcycle.errors import ModelCheckFailed, UnsafeArtifact
from fullcycle.testing import check_model
from fullcycle.train import serialization
from fullcycle.train.recipe import build


class Bomb:
    """Unpickling this would create a file (it must never happen)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.path}",))


class Unserializable(LogisticRegression):
    """Forgets its coefficients when saved: check_model must notice."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Unserializable, ())


@pytest.mark.parametrize(
    "estimator",
    [
        LogisticRegression(max_iter=200),
        make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=10)),
        Ridge(alpha=0.5),
        RandomForestRegressor(n_estimators=5, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_check_model_round_trips_common_estimators(estimator) -> None:  # type: ignore[no-untyped-def]
    loaded = check_model(estimator)
    assert loaded is not estimator
    assert not hasattr(estimator, "n_features_in_")  # the caller's object was not fitted


def test_check_model_round_trips_contract_preprocessing(tmp_path: Path) -> None:
    frame = kit.frame(n=200)
    model = build(kit.spec(), tmp_path, seed=0).model
    loaded = check_model(model, frame.drop(columns="label"), frame["label"])
    assert list(loaded.classes_) == ["no", "yes"]


def test_check_model_fails_when_a_model_does_not_survive_saving() -> None:
    with pytest.raises((ModelCheckFailed, UnsafeArtifact)):
        check_model(Unserializable())


def test_a_pickle_is_refused_and_never_opened(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = pickle.dumps(Bomb(str(marker)))
    for fmt in ("pickle", "joblib"):
        with pytest.raises(UnsafeArtifact, match="was not opened"):
            serialization.loads(data, fmt=fmt)
    assert not marker.exists()


def test_a_trusted_pickle_is_opened() -> None:
    model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])
    loaded = serialization.loads(pickle.dumps(model), fmt="pickle", trusted=True)
    assert list(loaded.predict(np.eye(4))) == [0, 1, 0, 1]


def test_skops_with_an_untrusted_type_is_refused_with_the_types(tmp_path: Path) -> None:
    import skops.io as sio

    data = sio.dumps({"model": LogisticRegression(), "extra": Path("/etc/passwd")})
    with pytest.raises(UnsafeArtifact, match="pathlib"):
        serialization.loads(data)
    with pytest.raises(UnsafeArtifact, match="not a readable skops"):
        serialization.loads(b"definitely not a zip")


def test_a_library_version_mismatch_is_warned_about() -> None:
    recorded = {**serialization.library_versions(), "scikit-learn": "0.1.0"}
    with pytest.warns(serialization.VersionMismatchWarning, match="scikit-learn 0.1.0"):
        diffs = serialization.check_versions(recorded)
    assert len(diffs) == 1


def test_a_text_vectorizer_is_saved_with_plain_int_vocabulary_and_predicts_the_same() -> None:
    import io
    import zipfile

    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [f"play song {i} by artist {i % 7}" for i in range(60)] + ["weather today"] * 10
    labels = ["music"] * 60 + ["weather"] * 10
    model = make_pipeline(TfidfVectorizer(max_features=50), LogisticRegression()).fit(texts, labels)
    assert any(isinstance(v, np.integer) for v in model[0].vocabulary_.values())  # sklearn's
    data = serialization.dumps(model)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # not one file per vocabulary entry
        assert len(archive.namelist()) < len(model[0].vocabulary_)
    loaded = serialization.loads(data)
    assert all(type(v) is int for v in loaded[0].vocabulary_.values())
    assert loaded[0].vocabulary_ == model[0].vocabulary_
    assert list(loaded.predict(texts)) == list(model.predict(texts))
