"""Whatever the file holds, loading it gives a Scope or a ScopeError, never anything else."""

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scope_factories import BASE

from fullcycle.errors import ScopeError
from fullcycle.scope import Scope, parse_scope, template

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(data, at=()):
    yield at
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, at + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, at + (i,))


FULL = yaml.safe_load(template("demo")) | {"decisions": {"costs": {"default": 1}}}
PATHS = [p for p in _paths(FULL) if p] + [p for p in _paths(BASE) if p]


def _outcome(text: str) -> None:
    try:
        assert isinstance(parse_scope(text), Scope)
    except ScopeError as exc:
        assert exc.problems
        assert all(isinstance(p, str) and p for p in exc.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), values, st.booleans())
def test_any_value_anywhere_gives_a_scope_or_a_scope_error(path, value, full):
    data = copy.deepcopy(FULL if full else BASE)
    node = data
    try:
        for seg in path[:-1]:
            node = node[seg]
        node[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return
    _outcome(yaml.safe_dump(data))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_scope_or_a_scope_error(text):
    _outcome(text)


@settings(max_examples=200, deadline=None)
@given(values)
def test_any_document_gives_a_scope_or_a_scope_error(document):
    _outcome(yaml.safe_dump(document))
