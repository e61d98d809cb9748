"""docs/glossary.md keeps up with the code: every drift statistic has its row under its one
name, every old threshold name is listed beside the new one, and the way in links to it."""

from __future__ import annotations

import re
from pathlib import Path

from fullcycle.monitoring.features import STATISTICS
from fullcycle.scope import Thresholds
from fullcycle.scope._policies import RENAMED_THRESHOLDS

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = (ROOT / "docs" / "glossary.md").read_text("utf-8")


def statistic_rows() -> dict[str, str]:
    """The drift statistics table: name -> its row's last cell (the old names)."""
    rows = re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| [^|]+ \|([^|]*)\|$", GLOSSARY, re.M)
    return {name: old for name, old in rows}


def test_every_drift_statistic_and_floor_has_a_row_under_its_own_name() -> None:
    floors = {"missing_change", "prediction_psi"} & set(Thresholds.model_fields)
    assert set(STATISTICS) | floors <= set(statistic_rows())


def test_every_old_threshold_name_is_shown_beside_the_names_that_replaced_it() -> None:
    rows = statistic_rows()
    for old, new in RENAMED_THRESHOLDS.items():
        for name in new:
            assert f"`{old}`" in rows[name], (old, name)


def test_the_readme_and_the_architecture_map_link_to_the_glossary() -> None:
    assert "(docs/glossary.md)" in (ROOT / "README.md").read_text("utf-8")
    assert "(glossary.md)" in (ROOT / "docs" / "architecture.md").read_text("utf-8")
