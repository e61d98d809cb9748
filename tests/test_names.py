import pytest

from fullcycle.errors import InvalidName
from fullcycle.names import Ref, check_alias, check_name, parse_ref

HOSTILE = [
    "../etc",
    "..\\windows",
    "/etc/passwd",
    "C:\\x",
    "%2e%2e%2f",
    "%252e%252e",
    "a\x00b",
    "a#b",
    "a?b",
    "a;b",
    "\uff0e\uff0e",
    "a/b",
    "",
    ".",
    "..",
    "x" * 129,
    "a..b",
    " lead",
    "-flag",
    "名前",
    "a\nb",
    "<script>",
    "{{7*7}}",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_names_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidName, match="model name"):
        check_name(value, "model name")


@pytest.mark.parametrize("value", ["voice", "voice-search_v2", "a", "A.b-c_1", "x" * 128])
def test_plain_names_pass_unchanged(value: str) -> None:
    assert check_name(value) == value


def test_non_strings_are_refused() -> None:
    with pytest.raises(InvalidName, match="must be a string"):
        check_name(3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("voice", Ref("voice")),
        ("voice:3", Ref("voice", version=3)),
        ("voice@production", Ref("voice", alias="production")),
        ("voice@candidate-2", Ref("voice", alias="candidate-2")),
    ],
)
def test_a_model_reference_is_a_name_a_version_after_colon_or_an_alias_after_at(
    text: str, expected: Ref
) -> None:
    assert parse_ref(text, "model") == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("queries", Ref("queries")), ("queries@3", Ref("queries", version=3))]
)
def test_a_dataset_reference_is_a_name_or_a_version_after_at(text: str, expected: Ref) -> None:
    assert parse_ref(text, "dataset") == expected


def test_a_model_version_written_with_at_is_refused_with_the_spelling_meant() -> None:
    with pytest.raises(InvalidName) as caught:
        parse_ref("voice@1", "model")
    assert "`voice@1`: a model version is written voice:1; @ names an alias" in str(caught.value)


def test_a_dataset_version_written_with_colon_is_refused_with_the_spelling_meant() -> None:
    with pytest.raises(InvalidName, match="a dataset version is written queries@2"):
        parse_ref("queries:2", "dataset")


def test_a_model_alias_after_colon_is_refused_pointing_at_the_alias_spelling() -> None:
    with pytest.raises(InvalidName, match="an alias is written voice@production"):
        parse_ref("voice:production", "model")


def test_a_reference_with_both_a_version_and_an_alias_is_refused() -> None:
    with pytest.raises(InvalidName, match="not both"):
        parse_ref("voice:1@production", "model")


@pytest.mark.parametrize("bad", ["voice@0", "voice@-1", "voice@x", "voice@1e3", "../x@1", "v@"])
def test_a_dataset_version_that_is_not_a_positive_integer_is_refused_naming_the_field(
    bad: str,
) -> None:
    with pytest.raises(InvalidName, match="retraining.data.base"):
        parse_ref(bad, "dataset", "retraining.data.base")


@pytest.mark.parametrize("bad", ["voice:0", "voice:", "voice:9999999999", "../x:1", "a/b@prod"])
def test_a_malformed_model_reference_is_refused(bad: str) -> None:
    with pytest.raises(InvalidName):
        parse_ref(bad, "model")


def test_a_reference_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidName, match="must be a string"):
        parse_ref(3, "model")


def test_an_all_digit_alias_is_refused_because_it_reads_as_a_version() -> None:
    assert check_alias("production") == "production"
    assert check_alias("v2") == "v2"
    with pytest.raises(InvalidName, match="all digits"):
        check_alias("2")
