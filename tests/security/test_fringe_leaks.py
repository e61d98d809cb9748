"""Small leaks and disagreements closed (issue 16.16): no model version to strangers, one
reading of the Host header in both apps, and webhook addresses that embed a local IPv4."""

from __future__ import annotations

from typing import Any

import pytest
from seckit import Running, bearer
from serving_fixtures import rows

from fullcycle.monitoring.webhook import BlockedURL, check_url
from fullcycle.serving.guard import HostAndOrigin
from fullcycle.ui.security import GuardMiddleware


@pytest.mark.anyio
async def test_refusals_401_and_403_do_not_name_the_model_version(make_app, tokens) -> None:
    async with Running(make_app()) as client:
        ok = await client.post(
            "/predict", json={"records": rows(1)}, headers=bearer(tokens["predict"])
        )
        assert ok.status_code == 200 and "x-model-version" in ok.headers  # the control
        anonymous = await client.post("/predict", json={"records": rows(1)})
        assert anonymous.status_code == 401 and "x-model-version" not in anonymous.headers
        reader = await client.post("/admin/reload", headers=bearer(tokens["read"]))
        assert reader.status_code == 403 and "x-model-version" not in reader.headers


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def status_of(middleware: Any, hosts: list[bytes]) -> int:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"host", h) for h in hosts],
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    return int(sent[0]["status"])


@pytest.mark.anyio
@pytest.mark.parametrize(
    "hosts", [[b"127.0.0.1", b"evil.example"], [b"evil.example", b"127.0.0.1"]]
)
async def test_both_apps_refuse_two_host_headers(hosts: list[bytes]) -> None:
    server = HostAndOrigin(_ok, allowed_hosts=["127.0.0.1"])
    dashboard = GuardMiddleware(_ok, ["127.0.0.1"])
    assert await status_of(server, hosts) == 400
    assert await status_of(dashboard, hosts) == 400
    assert (
        await status_of(server, [b"127.0.0.1"]) == await status_of(dashboard, [b"127.0.0.1"]) == 200
    )


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254 (cloud metadata)
        "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64
        "::127.0.0.1",  # IPv4-compatible
    ],
)
def test_webhook_addresses_embedding_local_ipv4_are_blocked(address: str) -> None:
    with pytest.raises(BlockedURL, match="refusing"):
        check_url(
            "https://hooks.example.com/x", ["hooks.example.com"], resolver=lambda h, p: [address]
        )


@pytest.mark.parametrize("address", ["2002:0808:0808::1", "64:ff9b::808:808", "2606:4700::1111"])
def test_webhook_addresses_embedding_public_ipv4_still_work(address: str) -> None:
    url, host = check_url(
        "https://hooks.example.com/x", ["hooks.example.com"], resolver=lambda h, p: [address]
    )
    assert host == "hooks.example.com" and address.split("::")[0] in url
