"""Production replayed through HTTP: one request per query, several in flight at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

FEATURES = ("query", "locale", "device", "hour")


@dataclass(frozen=True)
class Answer:
    request_id: str
    status: int
    prediction: Any
    version: int | None


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def _replay(
    url: str, rows: list[dict[str, Any]], ids: list[str], concurrency: int, token: str | None
) -> list[Answer]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    answers: list[Answer | None] = [None] * len(rows)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(rows)):
        queue.put_nowait(i)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=30, headers=_auth(token)
    ) as client:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                record = {k: rows[i][k] for k in FEATURES}
                resp = await client.post(
                    "/predict", json={"records": [record]}, headers={"X-Request-ID": ids[i]}
                )
                body = resp.json() if resp.status_code == 200 else {}
                answers[i] = Answer(
                    ids[i],
                    resp.status_code,
                    (body.get("predictions") or [None])[0],
                    body.get("version"),
                )

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [a for a in answers if a is not None]


def replay(
    url: str,
    rows: list[dict[str, Any]],
    ids: list[str],
    concurrency: int = 16,
    token: str | None = None,
) -> list[Answer]:
    """Send each row as one /predict request (with ``token`` as the Bearer token)."""
    return asyncio.run(_replay(url, rows, ids, concurrency, token))


def send_feedback(
    url: str, items: list[dict[str, Any]], batch: int = 500, token: str | None = None
) -> int:
    stored = 0
    with httpx.Client(base_url=url, timeout=30, headers=_auth(token)) as client:
        for start in range(0, len(items), batch):
            resp = client.post("/feedback", json=items[start : start + batch])
            resp.raise_for_status()
            stored += int(resp.json().get("stored", 0))
    return stored
