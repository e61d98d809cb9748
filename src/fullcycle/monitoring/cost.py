"""Live expected cost: the served version's decision policy applied to the logged
probabilities, costed on the requests whose feedback arrived, and the share of abstentions.

Feedback addresses every row of a batch (``request_id#N``), joined as the loop joins it, so
every labelled row is costed. Decisions are recomputed from the logged probabilities with the
version's stored record, which is exactly what the server applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fullcycle.monitoring.window import decode_json_column

MIN_ROWS = 30  # fewer labelled requests than this: the cost is shown, but raises no alert


def live_cost(
    labelled: Any,
    probs: Any,
    decision: Mapping[str, Any] | None,
    *,
    limit: float | None,
) -> dict[str, Any] | None:
    """Cost per 1,000 decisions on the labelled rows (``labelled``: output, proba, label per
    row, see ``monitor.labelled_outputs``), with a CI, and the abstention share over the window's
    logged probabilities ``probs``; None when the version stores no decision policy."""
    if not decision:
        return None
    from fullcycle.train import decide  # scipy.stats: paid only by versions with a policy

    classifier = decide.classifies(decision)
    if not (classifier or decide.costs_regression(decision)):
        return None
    out: dict[str, Any] = {"limit": limit, "min_rows": MIN_ROWS, "abstain_share": None}
    decided: list[Any] = []
    if classifier:
        if len(probs):
            made = decide.decide(decision, probs)
            out["abstain_share"] = float(np.mean([d == decide.ABSTAIN for d in made]))
        got = decode_json_column(labelled["proba"].tolist()) if len(labelled) else []
        have = [i for i, p in enumerate(got) if p is not None]
        decided = [None] * len(got)
        if have:
            for i, d in zip(have, decide.decide(decision, [got[i] for i in have]), strict=True):
                decided[i] = d
    elif len(labelled):
        decided = decode_json_column(labelled["output"].tolist())
    truth = labelled["label"].tolist() if len(labelled) else []
    pick = [i for i, d in enumerate(decided) if d is not None]
    costs = (
        decide.row_costs(decision, [truth[i] for i in pick], [decided[i] for i in pick])
        if pick
        else []
    )
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
