"""docs/reliability.md maps every case of the reliability catalogue to tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
ROW = re.compile(r"^\| (\d+) \| [^|]+ \| (.+) \|$", re.M)
REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def rows() -> dict[int, str]:
    return {int(n): cell for n, cell in ROW.findall(DOC.read_text("utf-8"))}


LAST_CASE = 50  # 1-39: RELIABILITY.md; 40-50: the hardening cases of issue 16


def test_every_case_has_a_row() -> None:
    assert sorted(rows()) == list(range(1, LAST_CASE + 1))


def test_every_named_test_exists() -> None:
    for case, cell in rows().items():
        refs = REF.findall(cell)
        assert refs or cell.startswith("n/a:"), f"case {case} names no test"
        for path, name in refs:
            source = (ROOT / path).read_text("utf-8")
            assert re.search(rf"^(async )?def {name}\(", source, re.M), (
                f"case {case}: {path}::{name}"
            )


def test_how_many_cases_have_a_test() -> None:
    covered = [c for c, cell in rows().items() if REF.search(cell)]
    full = [c for c in covered if not rows()[c].startswith("partial")]
    print(f"\ncatalogue: {len(covered)}/{LAST_CASE} cases have a test, {len(full)} fully")
    assert len(covered) >= LAST_CASE - 2
    assert all(c in full for c in range(40, LAST_CASE + 1))  # the hardening cases, fully
