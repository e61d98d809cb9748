"""Which types and functions a skops file may create: an exact allow-list, never a prefix.

skops already refuses everything outside its own default list (every public scikit-learn
estimator, scikit-learn's loss/link/binning internals, numpy and scipy ufuncs, numpy dtypes and
bit generators, plain containers). ``get_untrusted_types`` names what a file holds beyond that;
fullcycle accepts a name from it only if the name is in :data:`EXTRA_TYPES` or
:data:`EXTRA_FUNCTIONS` below, letter for letter. A name is a string in the file, so
``sklearn.utils._testing.check_output`` (which is ``subprocess.check_output``) is refused
like any other: a package prefix says nothing about what a name resolves to.

Two of the extra types hold raw node indices that scikit-learn follows without bounds
checks; :func:`check_structure` checks them after loading, before anything predicts.
"""

from __future__ import annotations

from typing import Any

from fullcycle.errors import UnsafeArtifact

#: classes beyond skops' defaults that fullcycle's recipes produce (each checked by a test).
EXTRA_TYPES = frozenset(
    {
        "fullcycle.train.features.CategoryColumns",
        "fullcycle.train.features.DatetimeParts",
        "fullcycle.train.features.TextColumn",
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "builtins.slice",
        "collections.OrderedDict",
        "collections.defaultdict",
    }
)
#: functions beyond skops' defaults (numpy/scipy ufuncs); pure, argument-only numeric code.
EXTRA_FUNCTIONS: frozenset[str] = frozenset()
ALLOWED = EXTRA_TYPES | EXTRA_FUNCTIONS


def refused(untrusted: list[str]) -> list[str]:
    """The names in skops' untrusted list that fullcycle does not allow either."""
    return sorted(name for name in untrusted if name not in ALLOWED)


def untrusted_types(data: bytes) -> list[str]:
    """Every name in a skops file beyond skops' defaults (the file is not executed)."""
    import skops.io as sio

    try:
        return list(sio.get_untrusted_types(data=data))
    except Exception as exc:
        raise UnsafeArtifact(f"the model file is not a readable skops archive: {exc}") from None


def check_file(data: bytes, what: str) -> list[str]:
    """Refuse a skops file holding any name outside the allow-list; return its extra names."""
    names = untrusted_types(data)
    bad = refused(names)
    if bad:
        raise UnsafeArtifact(
            f"{what} holds types or functions outside fullcycle's allow-list: {', '.join(bad)}",
            hint="only scikit-learn estimators, numpy/scipy ufuncs and the types fullcycle's "
            "recipes produce are loaded from skops files; re-save the model without them",
        )
    return names


def check_structure(model: Any, what: str) -> None:
    """Refuse tree nodes whose indices point outside their arrays (they would crash predict)."""
    for obj in walk(model):
        kind = type(obj).__name__
        if kind == "TreePredictor" and not _predictor_ok(obj):
            raise UnsafeArtifact(f"{what}: a HistGradientBoosting tree has out-of-range nodes")
        if hasattr(obj, "_predictors") and not _features_ok(obj):
            raise UnsafeArtifact(f"{what}: a HistGradientBoosting tree reads a missing feature")
        if kind == "Tree" and type(obj).__module__ == "sklearn.tree._tree" and not _tree_ok(obj):
            raise UnsafeArtifact(f"{what}: a decision tree has out-of-range nodes")


def walk(root: Any, limit: int = 200_000) -> Any:
    """The objects a fitted model is made of (scikit-learn's and fullcycle's, their containers)."""
    seen: set[int] = set()
    stack = [root]
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | float | bool | type(None)):
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set):
            stack.extend(obj)
        elif hasattr(obj, "__dict__") and type(obj).__module__.startswith(("sklearn", "fullcycle")):
            stack.extend(vars(obj).values())


def _predictor_ok(pred: Any) -> bool:
    import numpy as np

    nodes = pred.nodes
    n = len(nodes)
    inner = ~nodes["is_leaf"].astype(bool)
    if not inner.any():
        return True
    kids = np.concatenate([nodes["left"][inner], nodes["right"][inner]])
    if kids.min() < 1 or kids.max() >= n:
        return False
    bitsets = len(getattr(pred, "raw_left_cat_bitsets", []))
    cat = inner & nodes["is_categorical"].astype(bool)
    return not cat.any() or int(nodes["bitset_idx"][cat].max()) < bitsets


def _features_ok(model: Any) -> bool:
    n = getattr(model, "n_features_in_", None)
    for row in model._predictors or []:
        for pred in row:
            nodes = pred.nodes
            inner = ~nodes["is_leaf"].astype(bool)
            if n is not None and inner.any() and int(nodes["feature_idx"][inner].max()) >= n:
                return False
    return True


def _tree_ok(tree: Any) -> bool:
    import numpy as np

    left, right = np.asarray(tree.children_left), np.asarray(tree.children_right)
    n = len(left)
    inner = left != -1
    if not inner.any():
        return True
    kids = np.concatenate([left[inner], right[inner]])
    feats = np.asarray(tree.feature)[inner]
    return bool(
        kids.min() >= 1 and kids.max() < n and feats.min() >= 0 and feats.max() < tree.n_features
    )
