"""write_features: replace only the features section, atomically, keeping comments."""

import os

import pytest
from scope_factories import write

from fullcycle.contract import Contract, Feature, Target
from fullcycle.errors import ScopeError
from fullcycle.scope import load_scope, template, write_features


def contract() -> Contract:
    return Contract(
        features=[
            Feature(name="age", kind="integer", min=0, max=120),
            Feature(name="city", kind="categorical", allowed=["Oslo", "yes"], nullable=True),
            Feature(name="note", kind="text", max_length=300),
            Feature(name="seen", kind="datetime"),
        ],
        target=Target(name="label", kind="categorical", classes=["stay", "leave"]),
    )


def test_features_are_written_and_every_other_line_is_kept(tmp_path):
    original = template("demo")
    path = write(tmp_path, original)
    write_features(path, contract())
    text = path.read_text()
    scope = load_scope(path)
    assert scope.contract == contract()
    kept = [line for line in original.splitlines() if line != "  columns: []"]
    assert [line for line in text.splitlines() if line in set(kept)] == kept
    assert "# `fullcycle data add FILE --infer-contract` writes a proposal" in text


def test_writing_twice_replaces_the_section_not_appends(tmp_path):
    path = write(tmp_path, template("demo"))
    write_features(path, contract())
    smaller = Contract(features=[Feature(name="age", kind="integer")])
    write_features(path, smaller)
    text = path.read_text()
    assert text.count("\nfeatures:") == 1
    assert "city" not in text
    assert load_scope(path).features == smaller


def test_block_section_followed_by_comments_keeps_them(tmp_path):
    text = (
        "schema_version: 1\nname: demo\ntask: classification\ntarget: label\n"
        "metric: {name: accuracy}\n"
        "features:\n  columns:\n    - name: old   # old comment\n      kind: numeric\n\n"
        "# the training section\n# says how to train\ntraining:\n  trials: 5\n"
    )
    path = write(tmp_path, text)
    write_features(path, contract())
    new = path.read_text()
    assert "# the training section\n# says how to train\ntraining:\n  trials: 5\n" in new
    assert "old" not in new
    assert load_scope(path).training.trials == 5


def test_file_without_features_gets_the_section_appended(tmp_path):
    text = "schema_version: 1\nname: demo\ntask: classification\ntarget: label\nmetric:\n"
    path = write(tmp_path, text + "  name: accuracy  # no newline at end")
    write_features(path, contract())
    assert load_scope(path).contract == contract()
    assert "# no newline at end\n" in path.read_text()


def test_flow_style_section_is_replaced(tmp_path):
    path = write(tmp_path, template("demo").replace("features:\n  columns: []", "features: {}"))
    write_features(path, contract())
    assert load_scope(path).contract.names == ["age", "city", "note", "seen"]


def test_file_mode_is_kept_and_no_temp_file_is_left(tmp_path):
    path = write(tmp_path, template("demo"))
    os.chmod(path, 0o640)
    write_features(path, contract())
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fullcycle.yaml"]


def test_malformed_file_is_refused_and_left_unchanged(tmp_path):
    path = write(tmp_path, "features: [\n")
    with pytest.raises(ScopeError, match="not valid YAML"):
        write_features(path, contract())
    assert path.read_text() == "features: [\n"


def test_missing_file_is_a_scope_error(tmp_path):
    with pytest.raises(ScopeError):
        write_features(tmp_path / "nope.yaml", contract())


HEAD = "schema_version: 1\nname: d\ntask: regression\ntarget: y\nmetric: {name: mae}\n"


@pytest.mark.parametrize(
    "body",
    [
        "features:\ntraining:\n  trials: 3\n",
        "features:   # empty\n\n# c\ntraining:\n  trials: 3\n",
        "features: ~\ntraining: {trials: 3}\n",
        "training: {trials: 3}\nfeatures:",
    ],
)
def test_empty_features_section_is_filled_without_eating_the_next_key(tmp_path, body):
    path = write(tmp_path, HEAD + body)
    write_features(path, Contract(features=[Feature(name="a", kind="numeric")]))
    scope = load_scope(path)
    assert scope.training.trials == 3
    assert scope.features.names == ["a"]
    assert ("# c\n" in path.read_text()) == ("# c\n" in body)
