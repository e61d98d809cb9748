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


FLAVOUR = SklearnFlavour()
