"""``POST /feedback``: true labels in, checked at the door against the served model's target.

A body is one item, a list of items, or ``{"items": [...]}``; an item is
``{"request_id": ID, "label": VALUE}`` with an optional ``"row": N`` naming one row of a batched
``/predict`` (row 0 when left out, so single-row clients need not change). Each label is
normalised to the target's kind by :func:`fullcycle.contract.normalise_label`: ``"1"``, ``1``
and ``1.0`` are one class; a list, an object, NaN, Infinity, a number too large, or text for a
numeric target is refused with 422 naming ``items[i].label``. A class the model never saw is
stored and flagged in the answer (``new_classes``); the loop leaves such rows out of retraining
and raises an alert naming the class and its share.

Writes are upserts: the last label sent for a request id (and row) wins, on SQLite and
PostgreSQL alike. Labels for request ids no log holds (orphans) are bounded: at most
``max_orphans`` are kept, orphans older than ``orphan_max_age_s`` are dropped first, and a write
beyond the quota answers 429.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fullcycle.contract import TargetSpec, normalise_label, target_spec
from fullcycle.errors import InvalidInput
from fullcycle.serving.payload import MAX_ROWS, NonFinite
from fullcycle.serving.segments import logged_ids
from fullcycle.store import logs

if TYPE_CHECKING:
    from fullcycle.serving.runtime import Runtime
    from fullcycle.settings import Settings

MAX_ITEMS = 10_000
_RID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass(frozen=True)
class FeedbackLimits:
    """Bounds on labels for unknown request ids (``FULLCYCLE_FEEDBACK_ORPHANS``,
    ``FULLCYCLE_FEEDBACK_ORPHAN_DAYS``)."""

    max_orphans: int = 100_000
    orphan_max_age_s: float = 30 * 86400.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackLimits:
        return cls(settings.feedback_orphans, settings.feedback_orphan_days * 86400.0)


@dataclass(frozen=True)
class Item:
    """One checked label: the key it is stored under, the normalised value, known class or not."""

    request_id: str
    row: int
    label: Any
    known: bool

    @property
    def key(self) -> str:
        return logs.row_key(self.request_id, self.row)


def spec_of(runtime: Runtime) -> TargetSpec | None:
    """What a label must fit, from the production model (None before a model is loaded)."""
    active = runtime.active
    if active is None:
        return None
    model = active.production.model
    target = (model.signature or {}).get("target") or {}
    classes = target.get("classes") or model.classes
    kind = target.get("kind") or ("categorical" if classes else None)
    return None if kind is None else target_spec(None, classes, kind=kind)


def _items(data: Any) -> list[Any]:
    if isinstance(data, dict) and "request_id" not in data and "items" in data:
        data = data["items"]
    batch = data if isinstance(data, list) else [data]
    if not batch:
        raise InvalidInput("feedback is empty", hint="send {request_id, label} or a list of them")
    if len(batch) > MAX_ITEMS:
        raise InvalidInput(f"{len(batch)} feedback items is more than {MAX_ITEMS} per request")
    return batch


def _row(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_ROWS:
        raise InvalidInput(f"{where}.row must be a row index from 0 to {MAX_ROWS - 1}")
    return value


def check(data: Any, spec: TargetSpec | None) -> list[Item]:
    """The body's items checked and normalised; InvalidInput names the first bad field."""
    out = []
    for i, item in enumerate(_items(data)):
        where = f"items[{i}]"
        if not isinstance(item, dict) or "request_id" not in item or "label" not in item:
            raise InvalidInput(f"{where} must be an object with request_id and label")
        rid = item["request_id"]
        if not isinstance(rid, str) or not _RID.fullmatch(rid):
            raise InvalidInput(
                f"{where}.request_id must be 1-128 characters of A-Z a-z 0-9 . _ : -",
                hint="send the request_id the prediction answered with",
            )
        row = _row(item.get("row"), where)
        raw = item["label"]
        if isinstance(raw, NonFinite):
            raise InvalidInput(f"{where}.label: must be a finite number, got {raw!r}")
        label = normalise_label(raw, spec or target_spec(None), field=f"{where}.label")
        out.append(Item(rid, row, label.value, label.known))
    return out


async def receive(runtime: Runtime, data: Any, limits: FeedbackLimits) -> dict[str, Any]:
    """Check, normalise and store the labels in ``data``; the answer's body (without the id)."""
    items = check(data, spec_of(runtime))
    recent = getattr(runtime, "_recent", {})  # ids this process answered lately

    def work() -> tuple[int, list[str]]:
        ids = list(dict.fromkeys(i.request_id for i in items))
        unseen = [rid for rid in ids if rid not in recent]
        known = (set(ids) - set(unseen)) | logged_ids(runtime.logbook.db, unseen)
        marked = [(i.key, i.label, i.request_id in known) for i in items]
        limit = (limits.max_orphans, limits.orphan_max_age_s)
        stored = logs.add_feedback(runtime.logbook.db, marked, orphan_limit=limit)
        return stored, [rid for rid in ids if rid not in known]

    stored, orphans = await asyncio.get_running_loop().run_in_executor(None, work)
    new = [
        {"request_id": i.request_id, "row": i.row, "label": i.label} for i in items if not i.known
    ]
    body: dict[str, Any] = {"stored": stored, "orphans": orphans}
    if new:
        body["new_classes"] = new
        body["note"] = (
            "label(s) of a class the model never saw: stored, left out of retraining until the "
            "class is added to the target's classes in fullcycle.yaml"
        )
    return body
