"""Agreement between labellers: Cohen's kappa for a pair, majority vote with a confidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's kappa of two labellers over the same items (1 = perfect, 0 = chance)."""
    if len(a) != len(b) or not len(a):
        raise ValueError("cohen_kappa needs two equally long, non-empty label lists")
    keys = sorted({str(x) for x in a} | {str(x) for x in b})
    index = {k: i for i, k in enumerate(keys)}
    ia = np.array([index[str(x)] for x in a])
    ib = np.array([index[str(x)] for x in b])
    observed = float(np.mean(ia == ib))
    pa = np.bincount(ia, minlength=len(keys)) / len(ia)
    pb = np.bincount(ib, minlength=len(keys)) / len(ib)
    expected = float(pa @ pb)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def majority(votes: Sequence[Any], order: Sequence[Any] = ()) -> tuple[Any, float]:
    """The most common label and its share of the votes; ties go to the class listed first."""
    counts = Counter(str(v) for v in votes)
    first = {str(v): v for v in reversed(votes)}
    rank = {str(c): i for i, c in enumerate(order)}
    best = max(counts, key=lambda k: (counts[k], -rank.get(k, len(rank)), k))
    return first[best], counts[best] / len(votes)


def pairwise_kappa(by_task: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Kappa for every pair of labellers who labelled at least two tasks in common."""
    labellers = sorted({who for votes in by_task.values() for who in votes})
    out = []
    for i, first in enumerate(labellers):
        for second in labellers[i + 1 :]:
            common = [t for t, v in by_task.items() if first in v and second in v]
            if len(common) < 2:
                continue
            kappa = cohen_kappa(
                [by_task[t][first] for t in common], [by_task[t][second] for t in common]
            )
            out.append({"labellers": [first, second], "n": len(common), "kappa": round(kappa, 6)})
    return out
