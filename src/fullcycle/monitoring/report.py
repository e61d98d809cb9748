"""The drift report: per-feature statistics and verdicts, ranked, as JSON or self-contained HTML."""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from fullcycle.records import DriftVerdict

#: Statistics shown as columns, in order, when present.
STAT_ORDER = (
    "psi",
    "ks",
    "wasserstein",
    "jensenshannon",
    "unseen_share",
    "oov_increase",
    "missing_change",
)


@dataclass
class FeatureDrift:
    """One column's verdict. ``score`` is the largest effect size / its floor (above 1: large
    enough to matter); ``pvalue`` is the column's two-sample test, ``pvalue_adjusted`` the same
    corrected for testing every column (below ``alpha``: not noise); drift needs both.
    ``weight`` is the column's share of the model's importance times the number of columns."""

    name: str
    kind: str
    role: str
    verdict: str
    drifted: bool
    decided: bool
    score: float
    n_current: int
    stats: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    rows: list[Any] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)
    pvalue: float | None = None
    pvalue_adjusted: float | None = None
    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return _clean(self.__dict__)


@dataclass
class DriftReport:
    """A window compared with a reference: a dataset verdict and features ranked by drift."""

    verdict: str
    drifted: bool
    n_reference: int
    n_current: int
    features: list[FeatureDrift]
    policy: dict[str, Any]
    #: importance-weighted share of drifted features among the decided ones, in [0, 1]
    drift_score: float = 0.0
    #: the verdict as a value (``verdict`` is the sentence); not part of ``to_dict()``
    outcome: DriftVerdict = DriftVerdict.INSUFFICIENT_DATA

    @property
    def drifted_features(self) -> list[str]:
        """Names of the features with a drift verdict, most drifted first."""
        return [f.name for f in self.features if f.drifted]

    def feature(self, name: str) -> FeatureDrift:
        """The entry for one column (KeyError if it was not compared)."""
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; non-finite numbers become None."""
        return {
            "verdict": self.verdict,
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "drifted_features": self.drifted_features,
            "drift_score": self.drift_score,
            "features": [f.to_dict() for f in self.features],
            "policy": _clean(self.policy),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def to_html(self, title: str = "Drift report") -> str:
        """A self-contained page: plotly.js inlined (no network), every user string escaped."""
        import jinja2
        from markupsafe import Markup
        from plotly.offline import get_plotlyjs

        env = jinja2.Environment(
            loader=jinja2.PackageLoader("fullcycle.monitoring", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        charts = [_chart(i, f) for i, f in enumerate(self.features) if f.chart]
        return env.get_template("drift_report.html.j2").render(
            title=title,
            report=self,
            stat_names=[s for s in STAT_ORDER if any(s in f.stats for f in self.features)],
            fmt=_fmt,
            plotly_js=Markup(_inline_js(get_plotlyjs())),
            charts_json=Markup(_json_in_script(json.dumps(charts, allow_nan=False))),
        )


def _chart(index: int, f: FeatureDrift) -> dict[str, Any]:
    """Plotly traces for one feature; labels are HTML-escaped (plotly renders entities)."""
    c = f.chart
    x = c["x"] if c["type"] == "numeric" else [html.escape(str(v)) for v in c["x"]]
    kind = "bar"
    data = [
        {"type": kind, "name": "reference", "x": x, "y": c["reference"], "opacity": 0.6},
        {"type": kind, "name": "current", "x": x, "y": c["current"], "opacity": 0.6},
    ]
    over = c.get("overflow")
    if over and len(x) > 1:  # window values outside the reference's range, one bar each side
        step = float(x[1]) - float(x[0])
        data.append(
            {
                "type": kind,
                "name": "outside the reference's range",
                "x": [float(x[0]) - 2 * step, float(x[-1]) + 2 * step],
                "y": [over["below_share"], over["above_share"]],
                "text": [f"below min: {over['below']}", f"above max: {over['above']}"],
                "opacity": 0.8,
            }
        )
    return {
        "div": f"chart-{index}",
        "data": data,
        "layout": {
            "barmode": "overlay",
            "title": {"text": html.escape(f.name)},
            "height": 300,
            "margin": {"t": 40, "b": 60, "l": 50, "r": 10},
            "yaxis": {"title": {"text": "share"}},
        },
    }


def _json_in_script(text: str) -> str:
    """JSON safe inside <script>: '<', '>' and '&' occur only in strings, so escape them."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline_js(code: str) -> str:
    """Library code safe inside <script>: break any '</script' (only possible in a string)."""
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _clean(value: Any) -> Any:
    """Recursively make a value JSON-safe (numpy scalars, tuples, non-finite floats)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
