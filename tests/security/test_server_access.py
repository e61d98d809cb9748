"""Tokens, roles, Host and CORS on the inference server (RELIABILITY.md D 22-25, 29).

The route walk reads ``app.routes``, so a route added without a decision about its role is
still tested: unlisted routes must need ``admin``.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from seckit import Running, bearer
from serving_fixtures import MODEL, rows
from starlette.routing import Mount

from fullcycle import auth
from fullcycle.serving.routes._base import role_of
from fullcycle.store import events, logs
from fullcycle.store import tokens as token_store

pytestmark = pytest.mark.anyio
ROUTE_ROLES: dict[str, str | None] = {
    "/v2/health/live": None,
    "/v2/health/ready": None,
    "/predict": "predict",
    "/v2/models/{name}/infer": "predict",
    "/feedback": "write",
    "/metrics": "read",
    "/openapi.json": "read",
    "/v2": "read",
    "/v2/models/{name}": "read",
    "/v2/models/{name}/ready": "read",
    "/v2/models/{name}/versions/{version}": "read",
    "/v2/models/{name}/versions/{version}/ready": "read",
    "/v2/models/{name}/versions/{version}/infer": "predict",
    "/trace/{request_id}": "read",  # present when the server is given a tracer
    "/admin/reload": "admin",
}
"""The role each route declares beside itself; None is public."""
JSON = {"content-type": "application/json"}


def request_for(path: str, method: str) -> tuple[str, str, dict[str, Any]]:
    """A well-formed request to ``path`` (a route template)."""
    url = path.replace("{name}", MODEL).replace("{version}", "1")
    if path == "/predict":
        return method, url, {"json": {"records": rows(1)}}
    if path.endswith("/infer"):
        row = rows(1)[0]
        inputs = [
            {"name": f, "datatype": "FP64", "shape": [1], "data": [v]} for f, v in row.items()
        ]
        return method, url, {"json": {"inputs": inputs}}
    if path == "/feedback":
        return method, url, {"json": {"request_id": "r-1", "label": "yes"}}
    return method, url, {}


def walk(app: Any) -> list[tuple[str, str, str | None]]:
    """(method, template, role) for every route the app holds, mounts included."""
    found = []
    for route in app.routes:
        if isinstance(route, Mount):
            found.append(("GET", route.path + "/", "mount"))
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                found.append((method, route.path, role_of(route.endpoint)))
    return found


async def test_every_route_refuses_without_the_right_role(make_app, tokens, db):
    app = make_app()
    expired = auth.create_token(db, name="old", role="admin", expires_in_s=0.001)
    revoked = auth.create_token(db, name="gone", role="admin")
    token_store.revoke(db, "gone")
    time.sleep(0.01)  # the behaviour under test: a token that has expired (after 1 ms)
    bad = [None, "fc_short", "Basic x", "fc_" + "A" * 43, expired, revoked]
    routes = walk(app)
    assert {path for _, path, _ in routes} >= set(ROUTE_ROLES) - {"/trace/{request_id}"}
    declared = {path: role for _, path, role in routes}
    assert {p: declared[p] for p in ROUTE_ROLES if p in declared} == {
        p: r for p, r in ROUTE_ROLES.items() if p in declared
    }
    async with Running(app) as client:
        for method, path, role in routes:
            if role is None or role == "mount":
                continue
            verb, url, kw = request_for(path, method)
            for token in bad:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                r = await client.request(verb, url, headers=headers, **kw)
                assert r.status_code == 401, (method, path, token, r.status_code)
                assert r.headers["www-authenticate"] == "Bearer"
            needed = auth.ROLES.index(role)
            for weaker in auth.ROLES[:needed]:
                r = await client.request(verb, url, headers=bearer(tokens[weaker]), **kw)
                assert r.status_code == 403, (method, path, weaker, r.status_code)
            for enough in auth.ROLES[needed:]:
                r = await client.request(verb, url, headers=bearer(tokens[enough]), **kw)
                assert r.status_code not in (401, 403), (method, path, enough, r.text)


async def test_health_is_public_and_everything_else_is_not(make_app):
    app = make_app()
    public = {path for _, path, role in walk(app) if role is None}
    assert public == {"/v2/health/live", "/v2/health/ready"}
    async with Running(app) as client:
        for path in public:
            assert (await client.get(path)).status_code == 200


async def test_a_route_missing_from_the_table_needs_admin(make_app, tokens):
    app = make_app()

    @app.get("/new-thing")
    async def new_thing() -> dict[str, str]:
        return {"secret": "yes"}

    async with Running(app) as client:
        assert (await client.get("/new-thing")).status_code == 401
        r = await client.get("/new-thing", headers=bearer(tokens["write"]))
        assert r.status_code == 403
        r = await client.get("/new-thing", headers=bearer(tokens["admin"]))
        assert r.status_code == 200


async def test_refusals_change_nothing_and_403s_are_audited_with_the_token_name(
    make_app, tokens, db
):
    async with Running(make_app()) as client:
        label = {"request_id": "r-1", "label": "yes"}
        assert (await client.post("/feedback", json=label)).status_code == 401
        r = await client.post("/feedback", json=label, headers=bearer(tokens["predict"]))
        assert r.status_code == 403 and "write" in r.json()["error"]
        r = await client.post("/admin/reload", headers=bearer(tokens["write"]))
        assert r.status_code == 403
    assert logs.feedback_rows(db) == []
    refused = events.listing(db, kind="auth.forbidden")
    assert [(e.actor, e.subject) for e in refused] == [
        ("write-bot", "/admin/reload"),
        ("predict-bot", "/feedback"),
    ]
    assert events.listing(db, kind="feedback") == []


async def test_every_mutation_is_audited_with_the_token_name(make_app, tokens, db):
    async with Running(make_app()) as client:
        p = await client.post(
            "/predict", json={"records": rows(1)}, headers=bearer(tokens["predict"])
        )
        rid = p.json()["request_id"]
        r = await client.post(
            "/feedback", json={"request_id": rid, "label": "yes"}, headers=bearer(tokens["write"])
        )
        assert r.status_code == 200 and r.json()["stored"] == 1
        r = await client.post("/admin/reload", headers=bearer(tokens["admin"]))
        assert r.status_code == 200
    assert [e.actor for e in events.listing(db, kind="feedback")] == ["write-bot"]
    assert [e.actor for e in events.listing(db, kind="server.reload")] == ["admin-bot"]


async def test_public_predict_opens_only_the_predict_routes(make_app, tokens):
    async with Running(make_app(public_predict=True)) as client:
        assert (await client.post("/predict", json={"records": rows(1)})).status_code == 200
        verb, url, kw = request_for("/v2/models/{name}/infer", "POST")
        assert (await client.request(verb, url, **kw)).status_code == 200
        assert (await client.post("/feedback", json={"request_id": "x"})).status_code == 401
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/openapi.json")).status_code == 401


async def test_without_auth_every_request_acts_as_the_local_admin(make_app):
    async with Running(make_app(authenticator=None)) as client:
        assert (await client.post("/predict", json={"records": rows(1)})).status_code == 200
        assert (await client.post("/admin/reload")).status_code == 200


async def test_a_revoked_token_stops_working(make_app, tokens, db):
    async with Running(make_app()) as client:
        headers = bearer(tokens["read"])
        assert (await client.get("/metrics", headers=headers)).status_code == 200
        token_store.revoke(db, "read-bot")
        assert (await client.get("/metrics", headers=headers)).status_code == 401


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example"])
async def test_a_host_outside_the_allowed_hosts_is_refused_before_any_route(
    make_app, tokens, db, host
):
    async with Running(make_app()) as client:
        r = await client.post(
            "/feedback",
            json={"request_id": "r-1", "label": "yes"},
            headers={**bearer(tokens["admin"]), "host": host},
        )
        assert r.status_code == 400 and "allowed host" in r.json()["error"]
        r = await client.get("/v2/health/live", headers={"host": host})
        assert r.status_code == 400
    assert events.listing(db, kind="feedback") == []


async def test_allowed_hosts_can_name_a_team_server(make_app, tokens):
    app = make_app(allowed_hosts=("models.team.internal",))
    async with Running(app, base_url="http://models.team.internal:8000") as client:
        assert (await client.get("/v2/health/live")).status_code == 200
        r = await client.get("/v2/health/live", headers={"host": "127.0.0.1"})
        assert r.status_code == 400


@pytest.mark.parametrize(
    ("ctype", "content"),
    [
        ("text/plain", orjson.dumps({"request_id": "r-1", "label": "yes"})),
        ("application/x-www-form-urlencoded", b"request_id=r-1&label=yes"),
        ("multipart/form-data; boundary=x", b"--x\r\n\r\n--x--"),
    ],
)
async def test_cross_origin_simple_posts_are_refused_with_no_state_change(
    make_app, tokens, db, ctype, content
):
    async with Running(make_app()) as client:
        r = await client.post(
            "/feedback",
            content=content,
            headers={
                **bearer(tokens["admin"]),
                "content-type": ctype,
                "origin": "https://evil.example",
            },
        )
        assert r.status_code == 403 and "cross-origin" in r.json()["error"]
        assert "access-control-allow-origin" not in r.headers
        # the same body from a non-browser client is still refused as not JSON
        r = await client.post(
            "/feedback", content=content, headers={**bearer(tokens["admin"]), "content-type": ctype}
        )
        assert r.status_code == 415
    assert events.listing(db, kind="feedback") == []


async def test_cors_follows_the_allow_list(make_app, tokens):
    app = make_app(cors_origins=("https://app.team.example",))
    async with Running(app) as client:
        pre = await client.options(
            "/predict",
            headers={
                "origin": "https://app.team.example",
                "access-control-request-method": "POST",
            },
        )
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-origin"] == "https://app.team.example"
        r = await client.post(
            "/predict",
            json={"records": rows(1)},
            headers={**bearer(tokens["predict"]), "origin": "https://app.team.example"},
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://app.team.example"
        other = await client.options(
            "/predict",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        assert other.status_code == 403
        assert "access-control-allow-origin" not in other.headers


async def test_same_origin_requests_pass_and_opaque_origins_do_not(make_app, tokens):
    async with Running(make_app()) as client:
        headers = bearer(tokens["predict"])
        r = await client.post(
            "/predict",
            json={"records": rows(1)},
            headers={**headers, "origin": "http://127.0.0.1:8000"},
        )
        assert r.status_code == 200
        r = await client.post(
            "/predict", json={"records": rows(1)}, headers={**headers, "origin": "null"}
        )
        assert r.status_code == 403


async def test_a_mutation_with_a_body_that_is_not_json_is_415_and_changes_nothing(
    make_app, tokens, db
):
    async with Running(make_app()) as client:
        r = await client.post(
            "/admin/reload",
            content=b"x=1",
            headers={
                **bearer(tokens["admin"]),
                "content-type": "application/x-www-form-urlencoded",
            },
        )
        assert r.status_code == 415 and "application/json" in r.json()["error"]
        r = await client.post("/admin/reload", headers=bearer(tokens["admin"]))
        assert r.status_code == 200
    assert len(events.listing(db, kind="server.reload")) == 1
