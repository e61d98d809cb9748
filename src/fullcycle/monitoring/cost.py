"""Live expected cost (issue 12): the served version's decision policy applied to the logged
probabilities, costed on the requests whose feedback arrived, and the share of abstentions.

Feedback is one label per request, so as with the live metric only a request's first row is
costed. Decisions are recomputed from the logged probabilities with the version's stored
record, which is exactly what the server applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fullcycle.monitoring.window import decode_json_column

MIN_ROWS = 30  # fewer labelled requests than this: the cost is shown, but raises no alert


def live_cost(
    ok: Any,
    feedback: Mapping[str, Any],
    decision: Mapping[str, Any] | None,
    *,
    limit: float | None,
) -> dict[str, Any] | None:
    """Cost per 1,000 decisions on labelled requests (with a CI) and the abstention share;
    None when the version stores no decision policy."""
    if not decision:
        return None
    from fullcycle.train import decide  # scipy.stats: paid only by versions with a policy

    classifier = decide.classifies(decision)
    if decision is None or not (classifier or decide.costs_regression(decision)):
        return None
    out: dict[str, Any] = {"limit": limit, "min_rows": MIN_ROWS, "abstain_share": None}
    decided: list[Any] = []
    if classifier and len(ok):
        probs = decode_json_column(ok["proba"].tolist())
        have = np.asarray([p is not None for p in probs], dtype=bool)
        if have.any():
            made = decide.decide(decision, [p for p in probs if p is not None])
            out["abstain_share"] = float(np.mean([d == decide.ABSTAIN for d in made]))
            full: list[Any] = [None] * len(ok)
            for i, d in zip(np.flatnonzero(have), made, strict=True):
                full[i] = d
            decided = full
    elif len(ok):
        decided = decode_json_column(ok["output"].tolist())
    first = (ok["row"] == 0).to_numpy() if len(ok) else np.zeros(0, bool)
    ids = ok["request_id"].to_numpy() if len(ok) else np.zeros(0, object)
    pick = [
        i
        for i in np.flatnonzero(first)
        if ids[i] in feedback and i < len(decided) and decided[i] is not None
    ]
    truth = [feedback[ids[i]] for i in pick]
    costs = decide.row_costs(decision, truth, [decided[i] for i in pick]) if pick else []
    out.update(decide.cost_summary(costs))
    out["above_limit"] = bool(
        limit is not None
        and out["cost_per_1000"] is not None
        and out["rows"] >= MIN_ROWS
        and out["cost_per_1000"] > limit
    )
    return out


def cost_alert(model: str, cost: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The alert a live cost above the scope's ``max_cost_per_1000`` raises."""
    if not cost or not cost.get("above_limit"):
        return None
    return {
        "key": f"{model}:cost",
        "message": f"live expected cost {cost['cost_per_1000']:.1f} per 1,000 decisions on "
        f"{cost['rows']} labelled requests is above the limit {cost['limit']:g} "
        f"(95% CI {cost['low']:.1f} to {cost['high']:.1f})",
    }
