"""Monitor reports: the JSON summary in the store, the full HTML in the artifact store."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from fullcycle import clock
from fullcycle.errors import NotFound
from fullcycle.store import events as event_store
from fullcycle.store.db import Database
from fullcycle.store.tables import monitor_reports


def save(
    db: Database, report: dict[str, Any], *, html_sha: str | None = None, actor: str = "monitor"
) -> int:
    with db.write() as conn:
        res = conn.execute(
            monitor_reports.insert().values(
                created_at=report.get("created_at", clock.now()),
                model=report["model"],
                version=report.get("version"),
                window={
                    "text": report.get("window"),
                    "rows": report.get("rows"),
                    "start": report.get("window_since"),
                    "end": report.get("window_until"),
                },
                verdict=report["verdict"],
                summary=report,
                report_sha256=html_sha,
            )
        )
        report_id = int(res.inserted_primary_key[0])  # type: ignore[index]
        perf = report.get("performance") or {}
        value = perf.get("value")
        shown = f", live {perf.get('metric')} {value:.4f}" if value is not None else ""
        event_store.record(
            conn,
            "monitor.report",
            actor=actor,
            subject=f"{report['model']}:{report.get('version')}",
            message=f"report {report_id}: {report.get('verdict_text', report['verdict'])}{shown} "
            f"({report.get('rows', 0)} rows)",
            data={"report_id": report_id, "verdict": report["verdict"]},
        )
    return report_id


def listing(db: Database, model: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    query = sa.select(monitor_reports).order_by(monitor_reports.c.id.desc()).limit(limit)
    if model:
        query = query.where(monitor_reports.c.model == model)
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def get(db: Database, report_id: int) -> dict[str, Any]:
    with db.read() as conn:
        row = conn.execute(
            sa.select(monitor_reports).where(monitor_reports.c.id == report_id)
        ).first()
    if row is None:
        raise NotFound(
            f"monitor report {report_id} does not exist",
            hint="list reports with: fullcycle monitor list",
        )
    return dict(row._mapping)


def latest(db: Database, model: str) -> dict[str, Any] | None:
    rows = listing(db, model, limit=1)
    return rows[0] if rows else None
