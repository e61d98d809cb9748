import pytest

from fullcycle.errors import InvalidName
from fullcycle.names import check_name, split_ref

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


def test_split_ref_reads_versions_and_refuses_junk() -> None:
    assert split_ref("voice@3", "@", "dataset") == ("voice", 3)
    assert split_ref("voice", ":", "model") == ("voice", None)
    for bad in ("voice@0", "voice@-1", "voice@x", "voice@1e3", "../x@1"):
        with pytest.raises(InvalidName):
            split_ref(bad, "@", "dataset")
