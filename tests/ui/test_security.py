"""The dashboard's guards: Host, headers, CSRF, form-only mutations, tokens and roles."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.routing import Mount, Route
from uikit import PAGES, UIClient, csrf_of, populate

from fullcycle import auth
from fullcycle.project import Project
from fullcycle.ui.app import routes

MUTATIONS = (
    "/models/promote",
    "/models/rollback",
    "/deployment/rollback",
    "/labelling/label",
    "/labelling/undo",
)


def test_security_headers_on_every_page(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(bare_project)
    for path in (*PAGES, "/login", "/static/style.css"):
        res = client.get(path)
        csp = res.headers["content-security-policy"]
        script_src = csp.split("script-src")[1].split(";")[0]
        assert script_src.strip() == "'self'"
        assert "frame-ancestors 'none'" in csp
        assert res.headers["x-frame-options"] == "DENY"
        assert res.headers["x-content-type-options"] == "nosniff"


def test_pages_hold_no_inline_script(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    populate(bare_project)
    client = client_for(bare_project)
    for path in PAGES:
        text = client.get(path).text
        scripts = text.split("<script")[1:]
        assert scripts, path
        for tag in scripts:
            head = tag.split(">", 1)[0]
            assert "src=" in head or 'type="application/json"' in head, (path, head)
        assert " on" + "click=" not in text and "javascript:" not in text


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "", "localhost.:80x"])
def test_a_host_outside_the_allowed_ones_gets_400(
    bare_project: Project, client_for: Callable[..., UIClient], host: str
) -> None:
    client = client_for(bare_project)
    res = client.get("/", headers={"host": host})
    assert res.status_code == 400
    assert "not allowed" in res.text
    assert res.headers["x-frame-options"] == "DENY"


def test_allowed_hosts_include_localhost_with_a_port(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(bare_project)
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200
    assert client.get("/", headers={"host": "[::1]:8765"}).status_code == 200


@pytest.mark.parametrize("path", MUTATIONS)
def test_a_mutation_without_the_csrf_token_is_403_and_changes_nothing(
    bare_project: Project, client_for: Callable[..., UIClient], path: str
) -> None:
    populate(bare_project)
    client = client_for(bare_project)
    csrf_of(client)
    before = len(bare_project.events(limit=1000))
    form = {
        "name": "churn",
        "version": "1",
        "alias": "production",
        "reason": "x",
        "task_id": "1",
        "label": "a",
    }
    missing = client.post(path, data=form)
    stale = client.post(path, data={**form, "csrf": "A" * 43})
    assert missing.status_code == 403 and stale.status_code == 403
    assert "CSRF" in missing.text
    assert len(bare_project.events(limit=1000)) == before


def test_a_cross_origin_post_is_refused_even_with_the_token(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(bare_project)
    token = csrf_of(client)
    res = client.post(
        "/labelling/undo",
        data={"csrf": token, "task_id": "1"},
        headers={"origin": "http://evil.example"},
    )
    assert res.status_code == 403 and "cross-origin" in res.text


@pytest.mark.parametrize("kind", ["text/plain", "application/json", "multipart/form-data; b=x", ""])
def test_mutations_take_only_urlencoded_forms(
    bare_project: Project, client_for: Callable[..., UIClient], kind: str
) -> None:
    client = client_for(bare_project)
    token = csrf_of(client)
    res = client.post(
        "/models/promote",
        content=f"csrf={token}&name=a&version=1",
        headers={"content-type": kind} if kind else {},
    )
    assert res.status_code == 415


def test_an_oversized_form_is_413(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(bare_project)
    res = client.post("/models/promote", data={"reason": "x" * 70_000})
    assert res.status_code == 413


def test_with_auth_on_pages_send_a_stranger_to_the_login_form(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    client = client_for(bare_project, auth_required=True)
    for path in PAGES:
        res = client.get(path)
        assert res.status_code == 303 and "/login" in res.headers["location"], path
    assert client.get("/login").status_code == 200


def test_every_route_refuses_a_request_without_a_token(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    """Walks the app's routes, so a new route cannot ship without the check."""
    public = {"/login", "/static/plotly.min.js"}
    client = client_for(bare_project, auth_required=True)
    token = csrf_of(client)
    seen = 0
    for route in routes():
        if isinstance(route, Mount):
            assert route.path == "/static"
            continue
        assert isinstance(route, Route)
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD" or route.path in public:
                continue
            if method == "GET":
                res = client.get(route.path)
                assert res.status_code == 303, route.path
            else:
                res = client.post(route.path, data={"csrf": token})
                if route.path == "/logout":
                    assert res.status_code == 303  # signing out needs no token
                    continue
                assert res.status_code == 401, (route.path, res.status_code)
            seen += 1
    assert seen >= 12


def test_a_read_token_sees_pages_but_cannot_promote_label_or_undo(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    populate(bare_project)
    token = auth.create_token(bare_project._db, name="viewer", role="read")
    client = client_for(bare_project, auth_required=True)
    bearer = {"authorization": f"Bearer {token}"}
    for path in PAGES:
        assert client.get(path, headers=bearer).status_code == 200, path
    before = len(bare_project.events(limit=1000))
    for path in MUTATIONS:
        res = client.post(
            path,
            data={
                "name": "a",
                "version": "1",
                "alias": "production",
                "reason": "x",
                "task_id": "1",
                "label": "a",
            },
            headers=bearer,
        )
        assert res.status_code == 403, path
        assert "role read" in res.text
    denied = bare_project.events(kind="auth.denied", limit=100)
    assert sorted(e.subject for e in denied) == sorted(MUTATIONS)
    assert {e.actor for e in denied} == {"ui:viewer"}
    assert len(bare_project.events(limit=1000)) == before + len(MUTATIONS)


def test_signing_in_with_a_pasted_token_sets_an_httponly_cookie(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    token = auth.create_token(bare_project._db, name="ana", role="write")
    client = client_for(bare_project, auth_required=True)
    csrf = csrf_of(client)
    bad = client.post("/login", data={"csrf": csrf, "token": "fc_" + "x" * 43})
    assert bad.status_code == 401 and "unknown, expired or revoked" in bad.text
    no_csrf = client.post("/login", data={"token": token})
    assert no_csrf.status_code == 403
    res = client.post("/login", data={"csrf": csrf, "token": token, "next": "runs"})
    assert res.status_code == 303 and res.headers["location"] == "/runs"
    cookie = [v for k, v in res.headers.multi_items() if k == "set-cookie" and "fc_token" in v]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=strict" in cookie[0]
    page = client.get("/runs")
    assert page.status_code == 200 and "ana · write" in page.text
    bare_project.revoke_token("ana")
    assert client.get("/runs").status_code == 303


def test_login_never_redirects_off_the_dashboard(
    bare_project: Project, client_for: Callable[..., UIClient]
) -> None:
    token = auth.create_token(bare_project._db, name="ana", role="read")
    client = client_for(bare_project, auth_required=True)
    csrf = csrf_of(client)
    res = client.post("/login", data={"csrf": csrf, "token": token, "next": "//evil.example/x"})
    assert res.headers["location"] == "/"
