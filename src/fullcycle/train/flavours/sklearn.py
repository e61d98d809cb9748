"""scikit-learn (and anything skops can write): skops files behind the exact allow-list."""

from __future__ import annotations

from typing import Any


class SklearnFlavour:
    name = "skops"
    extra = None

    def handles(self, model: Any) -> bool:
        return True  # the fallback: anything else is tried with skops and its allow-list

    def dumps(self, model: Any) -> bytes:
        import skops.io as sio

        plain_vocabularies(model)
        return bytes(sio.dumps(model))

    def loads(self, data: bytes, *, what: str) -> Any:
        import skops.io as sio

        from fullcycle.train.flavours import _skops_allow

        allowed = _skops_allow.check_file(data, what)
        model = sio.loads(data, trusted=allowed)
        _skops_allow.check_structure(model, what)
        return model

    def versions(self) -> dict[str, str]:
        from fullcycle.train.flavours._base import versions_of

        return versions_of("scikit-learn", "numpy", "scipy", "skops")


def plain_vocabularies(model: Any) -> None:
    """Text vectorizers' ``vocabulary_`` values as Python ints (in place; the same mapping).
    A vectorizer with ``max_features`` or ``min_df`` keeps numpy integers there, and skops
    writes each numpy scalar as a file of its own: 7,945 of them for the demo's model, which
    made it 3x slower to save and to load."""
    import numpy as np

    from fullcycle.train.flavours._skops_allow import walk

    for obj in walk(model):
        vocabulary = getattr(obj, "vocabulary_", None)
        if isinstance(vocabulary, dict) and any(
            isinstance(v, np.integer) for v in vocabulary.values()
        ):
            obj.vocabulary_ = {k: int(v) for k, v in vocabulary.items()}


FLAVOUR = SklearnFlavour()
