"""load_scope: safe YAML, every problem with its path and line."""

import pytest
from scope_factories import scope_dict, write

from fullcycle.errors import ConfigError, ScopeError
from fullcycle.scope import load_scope


def problems(path) -> list[str]:
    with pytest.raises(ScopeError) as info:
        load_scope(path)
    return info.value.problems


def test_valid_file_loads_with_contract_and_direction(tmp_path):
    scope = load_scope(write(tmp_path, scope_dict()))
    assert scope.name == "churn"
    assert scope.metric.greater_is_better is True
    assert scope.contract.names == ["age", "plan"]
    assert scope.contract.target.classes == ["stay", "leave"]


def test_incomplete_file_names_every_problem_with_its_line(tmp_path):
    text = """\
schema_version: 1
name: churn
task: classification
target: label
metric:
  name: f1_macro
  goal: 1.7
constraints:
  p95_latency_ms: -5
  max_model_mb: lots
rollout:
  canary_share: 0
"""
    found = problems(write(tmp_path, text))
    assert "metric.goal (line 7): must be between 0 and 1 for f1_macro" in found
    assert "constraints.p95_latency_ms (line 9): must be greater than 0" in found
    assert "constraints.max_model_mb (line 10): must be a number" in found
    assert "rollout.canary_share (line 12): must be greater than 0" in found
    assert len(found) == 4


def test_missing_required_fields_are_each_named(tmp_path):
    found = problems(write(tmp_path, "schema_version: 1\nname: churn\n"))
    for key in ("task", "target", "metric"):
        assert f"{key}: is missing; add it" in found


def test_missing_nested_field_points_at_its_section(tmp_path):
    found = problems(write(tmp_path, scope_dict(metric={"goal": 0.5})))
    assert any(p.startswith("metric.name (line ") and "missing" in p for p in found)


def test_malformed_yaml_reports_the_line(tmp_path):
    text = "schema_version: 1\nname: churn\nmetric:\n  name: [f1_macro\n  goal: 2\n"
    (message,) = problems(write(tmp_path, text))
    assert message.startswith("line 5, column 7:")
    assert "not valid YAML" in message


def test_tab_indentation_is_malformed_yaml_with_a_line(tmp_path):
    (message,) = problems(write(tmp_path, "schema_version: 1\nmetric:\n\tname: x\n"))
    assert message.startswith("line 3")


def test_unknown_key_suggests_the_close_one(tmp_path):
    data = scope_dict(metric={"name": "f1_macro", "gaol": 0.9})
    found = problems(write(tmp_path, data))
    assert any("metric.gaol (line" in p and "did you mean 'goal'?" in p for p in found)


def test_unknown_key_far_from_any_lists_the_allowed_keys(tmp_path):
    found = problems(write(tmp_path, scope_dict(zzz=1)))
    assert any(p.startswith("zzz (line") and "allowed here: schema_version" in p for p in found)


def test_unknown_nested_key_in_a_list_item_suggests(tmp_path):
    data = scope_dict()
    data["features"]["columns"][1]["alowed"] = data["features"]["columns"][1].pop("allowed")
    found = problems(write(tmp_path, data))
    assert any("features.columns[1].alowed" in p and "'allowed'" in p for p in found)


def test_duplicate_keys_are_reported_not_silently_overwritten(tmp_path):
    text = write(tmp_path, scope_dict()).read_text() + "name: other\n"
    found = problems(write(tmp_path, text))
    assert any("name (line" in p and "appears twice (first on line 2)" in p for p in found)


def test_unsafe_yaml_tags_are_refused(tmp_path):
    text = "schema_version: 1\nname: !!python/object/apply:os.system ['echo hi']\n"
    (message,) = problems(write(tmp_path, text))
    assert "line 2" in message


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    found = problems(write(tmp_path, "\n".join(lines) + "\n"))
    assert "YAML aliases" in found[0]


def test_empty_file_and_a_list_are_refused(tmp_path):
    assert "got nothing" in problems(write(tmp_path, ""))[0]
    assert "got list" in problems(write(tmp_path, "- a\n- b\n"))[0]


def test_missing_file_says_how_to_create_one(tmp_path):
    (message,) = problems(tmp_path / "nope.yaml")
    assert "fullcycle init" in message


def test_binary_file_is_refused_with_the_offset(tmp_path):
    path = tmp_path / "fullcycle.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    assert "not UTF-8" in problems(path)[0]


def test_utf8_bom_is_accepted(tmp_path):
    path = write(tmp_path, scope_dict())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_scope(path).name == "churn"


def test_unsupported_schema_version_is_named(tmp_path):
    found = problems(write(tmp_path, scope_dict(schema_version=2)))
    assert any(p.startswith("schema_version (line 1): 2 is not a schema version") for p in found)


def test_scope_error_is_a_config_error_listing_every_problem(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_scope(write(tmp_path, scope_dict(task="clustering", target="")))
    assert "2 problem(s)" in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_control_character_is_reported_with_its_line(tmp_path):
    (message,) = problems(write(tmp_path, "schema_version: 1\nname: \x07\n"))
    assert message.startswith("line 2: character #x0007")


def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path):
    (message,) = problems(write(tmp_path, "metric: " + "[" * 990 + "]" * 990 + "\n"))
    assert "nested deeper than" in message
