"""Helpers for the security tests: a running app over ASGI, a Bearer header."""

from __future__ import annotations

from typing import Any

import httpx

BASE = "http://127.0.0.1:8000"


class Running:
    """``async with Running(app) as client``: lifespan started, an httpx client over ASGI."""

    def __init__(self, app: Any, base_url: str = BASE) -> None:
        self.app, self.base_url = app, base_url

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=self.base_url
        )
        return self._client

    async def __aexit__(self, *exc: Any) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
