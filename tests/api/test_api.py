"""The HTTP API end to end with TestClient, on SQLite for both the tracker and the post store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.deps import TOKEN_URL
from core.settings import Settings
from tests.helpers import ADMIN_PASSWORD, PASSWORD, SECRET, app_settings, assert_error, login
from yuqing.app import create_app

POSTS = [
    {
        "id": "board:1",
        "source": "city-board",
        "kind": "board",
        "title": "拆迁补偿款迟迟未到位",
        "text": "我们小区的拆迁补偿款到现在还没有发放，希望住建局尽快处理。",
        "published_at": "2025-03-01T09:00:00+08:00",
        "assigned_department": "市住建局",
        "sentiment": 0.1,
    },
    {
        "id": "board:2",
        "source": "city-board",
        "kind": "board",
        "title": "拆迁工作启动",
        "text": "拆迁工作已经启动，补偿标准另行公布。",
        "published_at": "2025-03-01T10:00:00+08:00",
        "assigned_department": "市交通局",
        "sentiment": 0.5,
    },
    {
        "id": "weibo:3",
        "source": "weibo",
        "kind": "microblog",
        "title": "",
        "text": "公交线路调整，出行更方便了",
        "published_at": "2025-03-02T08:30:00+08:00",
        "department_guess": "市交通局",
        "sentiment": 0.9,
    },
]


# The shared `app` and `admin` fixtures (tests/conftest.py), on these settings: SQLite only.
@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return app_settings(tmp_path)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The shared `client`, with `POSTS` in the store."""
    with TestClient(app) as client:  # the context runs start-up: migrations and the admin
        app.state.store.upsert(POSTS)
        yield client


@pytest.fixture
def departments(client: TestClient, admin: dict[str, str]) -> dict[str, int]:
    ids = {}
    for code, name in (("zjj", "市住建局"), ("jtj", "市交通局")):
        reply = client.post("/api/departments", json={"code": code, "name": name}, headers=admin)
        assert reply.status_code == 201, reply.text
        ids[code] = reply.json()["id"]
    return ids


class Accounts:
    """Auth headers per role, each user created on first use (hashing is slow on purpose)."""

    def __init__(self, client: TestClient, admin: dict[str, str], departments: dict[str, int]):
        self._client, self._departments = client, departments
        self._headers = {"admin": admin}

    def __getitem__(self, role: str) -> dict[str, str]:
        if role not in self._headers:
            body: dict[str, object] = {"username": role, "password": PASSWORD, "role": role}
            if role == "handler":
                body["department_id"] = self._departments["zjj"]  # the handler is 市住建局's
            reply = self._client.post("/api/auth/users", json=body, headers=self._headers["admin"])
            assert reply.status_code == 201, reply.text
            self._headers[role] = login(self._client, role, PASSWORD)
        return self._headers[role]


@pytest.fixture
def users(client: TestClient, admin: dict[str, str], departments: dict[str, int]) -> Accounts:
    return Accounts(client, admin, departments)


# -- authentication and roles ------------------------------------------------------------------


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) under /api, path parameters filled in, found by walking the routes.

    Included routers are nested in this FastAPI version; `iter_route_contexts` flattens them.
    """
    routes = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path.startswith("/api/"):
            path = re.sub(r"\{[^}]+\}", "1", context.path)
            routes.extend((method, path) for method in sorted(context.methods))
    return routes


def test_every_api_endpoint_refuses_a_request_without_a_token(
    app: FastAPI, client: TestClient
) -> None:
    routes = [r for r in _api_routes(app) if r != ("POST", TOKEN_URL)]
    # The walk must see what the OpenAPI document lists, or it would skip endpoints silently.
    documented = {
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }
    assert documented - {("POST", TOKEN_URL)} <= set(routes)
    assert len(routes) >= 10
    for method, path in routes:
        reply = client.request(method, path)
        error = assert_error(reply, 401, "AuthError")
        assert reply.headers.get("www-authenticate") == "Bearer", (method, path)
        assert "sign in" in error["message"]
        bad = client.request(method, path, headers={"Authorization": "Bearer not.a.token"})
        assert_error(bad, 401, "AuthError")


def test_expired_and_foreign_tokens_are_refused(client: TestClient, admin) -> None:
    now = datetime.now(UTC)
    claims = {"sub": "1", "role": "admin", "iat": now - timedelta(hours=2)}
    expired = jwt.encode({**claims, "exp": now - timedelta(hours=1)}, SECRET, algorithm="HS256")
    forged = jwt.encode(
        {**claims, "exp": now + timedelta(hours=1)}, "another-secret-of-enough-length!", "HS256"
    )
    reply = client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert "expired" in assert_error(reply, 401)["message"]
    reply = client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert_error(reply, 401)


def test_login_and_me(client: TestClient, users) -> None:
    users["analyst"]  # create the account
    reply = client.post(TOKEN_URL, data={"username": "analyst", "password": PASSWORD})
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "bearer" and body["role"] == "analyst"
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "analyst"
    assert "password_hash" not in me.json()


def test_wrong_password_or_unknown_user_is_401(client: TestClient, users) -> None:
    users["analyst"]  # create the account
    reply = client.post(TOKEN_URL, data={"username": "analyst", "password": "wrong-password"})
    assert "wrong username or password" in assert_error(reply, 401, "AuthError")["message"]
    reply = client.post(TOKEN_URL, data={"username": "ghost", "password": PASSWORD})
    assert_error(reply, 401, "AuthError")
    assert_error(client.post(TOKEN_URL, data={"username": "analyst"}), 422, "ValidationError")


def test_wrong_role_is_403(client: TestClient, users, departments) -> None:
    issue = {"title": "占道经营"}
    assert_error(client.post("/api/issues", json=issue, headers=users["press"]), 403)
    assert_error(client.post("/api/issues", json=issue, headers=users["leader"]), 403)
    for role in ("analyst", "leader", "press", "handler"):
        reply = client.post(
            "/api/departments", json={"code": "x", "name": "某局"}, headers=users[role]
        )
        assert_error(reply, 403, "ForbiddenError")
        assert "www-authenticate" not in reply.headers
        assert_error(client.get("/api/auth/users", headers=users[role]), 403)
    # An admin passes every role check.
    assert client.post("/api/issues", json=issue, headers=users["admin"]).status_code == 201


def test_admin_manages_users(client: TestClient, admin, departments) -> None:
    weak = {"username": "weak", "password": "short", "role": "analyst"}
    assert (
        "at least 8"
        in assert_error(
            client.post("/api/auth/users", json=weak, headers=admin), 400, "InputError"
        )["message"]
    )
    good = {"username": "Leader2", "password": PASSWORD, "role": "leader"}
    assert client.post("/api/auth/users", json=good, headers=admin).status_code == 201
    again = client.post("/api/auth/users", json=good, headers=admin)
    assert_error(again, 409, "ConflictError")
    names = [u["username"] for u in client.get("/api/auth/users", headers=admin).json()]
    assert names == ["admin", "leader2"]
    bad_role = {**good, "username": "x", "role": "emperor"}
    assert_error(client.post("/api/auth/users", json=bad_role, headers=admin), 422)


# -- posts ---------------------------------------------------------------------------------------


def test_phrase_search_finds_the_seeded_post_with_a_highlighted_snippet(
    client: TestClient, users
) -> None:
    reply = client.get("/api/posts/search", params={"q": '"拆迁补偿"'}, headers=users["analyst"])
    assert reply.status_code == 200, reply.text
    page = reply.json()
    assert page["total"] == 1
    hit = page["hits"][0]
    assert hit["post"]["id"] == "board:1"
    assert "<mark>拆迁补偿</mark>" in hit["snippet"]

    reply = client.get("/api/posts/search", params={"q": "拆迁 补偿"}, headers=users["press"])
    assert {h["post"]["id"] for h in reply.json()["hits"]} == {"board:1", "board:2"}


def test_search_filters_sort_and_cursor(client: TestClient, users) -> None:
    headers = users["leader"]
    reply = client.get(
        "/api/posts/search",
        params={"source": "city-board", "sentiment_max": 0.2, "sort": "relevance", "q": "拆迁"},
        headers=headers,
    )
    assert [h["post"]["id"] for h in reply.json()["hits"]] == ["board:1"]
    reply = client.get(
        "/api/posts/search",
        params={"from": "2025-03-02T00:00:00", "to": "2025-03-03T00:00:00"},
        headers=headers,
    )
    assert [h["post"]["id"] for h in reply.json()["hits"]] == ["weibo:3"]

    first = client.get("/api/posts/search", params={"limit": 2}, headers=headers).json()
    assert first["total"] == 3 and len(first["hits"]) == 2 and first["next_cursor"]
    rest = client.get(
        "/api/posts/search", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert [h["post"]["id"] for h in rest["hits"]] == ["board:1"] and rest["next_cursor"] is None


def test_bad_query_is_400_with_a_message(client: TestClient, users) -> None:
    reply = client.get("/api/posts/search", params={"q": '"unclosed'}, headers=users["analyst"])
    error = assert_error(reply, 400, "QuerySyntaxError")
    assert "unclosed" in error["message"]
    reply = client.get("/api/posts/search", params={"cursor": "junk"}, headers=users["analyst"])
    assert_error(reply, 400, "CursorError")
    reply = client.get(
        "/api/posts/search",
        params={"sentiment_min": 0.8, "sentiment_max": 0.2},
        headers=users["analyst"],
    )
    assert_error(reply, 400, "InputError")


@pytest.mark.parametrize("query", ["(" * 330 + "拆迁" + ")" * 330, "NOT " * 50 + "拆迁"])
def test_a_deeply_nested_query_is_400_not_a_crash(client: TestClient, users, query: str) -> None:
    # The parentheses were a RecursionError (500), the NOTs SQLite's "parser stack overflow"
    # (503); the aggregation endpoint parses the same query.
    for path in ("/api/posts/search", "/api/posts/aggregate"):
        reply = client.get(path, params={"q": query}, headers=users["analyst"])
        error = assert_error(reply, 400, "QueryTooComplex")
        assert error["message"] == "parentheses and NOT may be nested at most 8 deep"


BAD_PARAMS = [
    {"limit": 0},
    {"limit": 501},
    {"sort": "random"},
    {"sentiment_min": 2},
    {"kind": "fax"},
    {"from": "yesterday"},
]


def test_bad_params_are_422_json(client: TestClient, users) -> None:
    for params in BAD_PARAMS:
        reply = client.get("/api/posts/search", params=params, headers=users["analyst"])
        error = assert_error(reply, 422, "ValidationError")
        assert error["details"][0]["field"].startswith("query."), params
        assert str(next(iter(params))) in error["message"], params


def test_handler_searches_only_their_department(client: TestClient, users) -> None:
    headers = users["handler"]
    reply = client.get("/api/posts/search", params={"q": "拆迁"}, headers=headers)
    assert [h["post"]["id"] for h in reply.json()["hits"]] == ["board:1"]
    # Asking for another department does not widen the scope.
    reply = client.get("/api/posts/search", params={"department": "市交通局"}, headers=headers)
    assert [h["post"]["id"] for h in reply.json()["hits"]] == ["board:1"]
    assert client.get("/api/posts/board:1", headers=headers).status_code == 200
    assert_error(client.get("/api/posts/board:2", headers=headers), 404, "NotFoundError")
    aggregate = client.get("/api/posts/aggregate", headers=headers).json()
    assert aggregate["total"] == 1


def test_get_post_and_aggregate(client: TestClient, users) -> None:
    headers = users["analyst"]
    reply = client.get("/api/posts/weibo:3", headers=headers)
    assert reply.status_code == 200 and reply.json()["source"] == "weibo"
    assert_error(client.get("/api/posts/nope", headers=headers), 404, "NotFoundError")
    reply = client.get(
        "/api/posts/aggregate", params={"interval": "day", "top_keywords": 5}, headers=headers
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["total"] == 3
    assert {b["key"]: b["count"] for b in body["by_source"]} == {"city-board": 2, "weibo": 1}
    assert sum(b["count"] for b in body["volume"]) == 3 and len(body["volume"]) == 2
    assert_error(
        client.get("/api/posts/aggregate", params={"interval": "week"}, headers=headers), 422
    )


# -- issues --------------------------------------------------------------------------------------


def test_issue_create_list_get_and_patch(client: TestClient, users, departments) -> None:
    analyst = users["analyst"]
    reply = client.post(
        "/api/issues",
        json={"title": "拆迁补偿款迟迟未发放", "severity": "major", "category": "城建"},
        headers=analyst,
    )
    assert reply.status_code == 201, reply.text
    issue = reply.json()
    assert issue["status"] == "new" and issue["version"] == 1
    assert issue["severity_label"] == "重大" and reply.headers["etag"] == '"1"'

    page = client.get("/api/issues", params={"limit": 10}, headers=users["leader"]).json()
    assert page["total"] == 1 and page["items"][0]["id"] == issue["id"]

    reply = client.patch(
        f"/api/issues/{issue['id']}",
        json={"version": 1, "status": "assigned", "lead_department_id": departments["zjj"]},
        headers=analyst,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["version"] == 2 and reply.json()["status"] == "assigned"

    reply = client.patch(
        f"/api/issues/{issue['id']}",
        json={"summary": "已交办"},
        headers={**analyst, "If-Match": reply.headers["etag"]},
    )
    assert reply.status_code == 200 and reply.json()["version"] == 3

    detail = client.get(f"/api/issues/{issue['id']}", headers=users["press"]).json()
    assert [e["type"] for e in detail["timeline"]] == [
        "created", "clocks_started", "status_changed", "updated"
    ]  # fmt: skip
    assert detail["summary"] == "已交办"
    # a 重大 issue runs the first-statement (5 h) and press-conference (24 h) clocks
    assert {c["kind"]: c["status"] for c in detail["clocks"]} == {
        "first_statement": "running", "press_conference": "running"
    }  # fmt: skip


def test_patch_with_a_stale_version_is_409(client: TestClient, users) -> None:
    analyst = users["analyst"]
    issue = client.post("/api/issues", json={"title": "夜间施工噪音"}, headers=analyst).json()
    url = f"/api/issues/{issue['id']}"
    assert client.patch(url, json={"version": 1, "title": "A"}, headers=analyst).status_code == 200
    reply = client.patch(url, json={"version": 1, "title": "B"}, headers=analyst)
    assert "changed by someone else" in assert_error(reply, 409, "ConflictError")["message"]
    reply = client.patch(url, json={"title": "C"}, headers={**analyst, "If-Match": '"1"'})
    assert_error(reply, 409, "ConflictError")
    # No version at all is refused, not taken as "whatever is there now".
    assert_error(client.patch(url, json={"title": "D"}, headers=analyst), 400, "InputError")
    assert client.get(url, headers=analyst).json()["title"] == "A"
    # A refused transition is a conflict too.
    reply = client.patch(url, json={"version": 2, "status": "closed"}, headers=analyst)
    assert_error(reply, 409, "ConflictError")


def test_issue_errors(client: TestClient, users) -> None:
    analyst = users["analyst"]
    assert_error(client.get("/api/issues/999", headers=analyst), 404, "NotFoundError")
    assert_error(
        client.patch("/api/issues/999", json={"version": 1, "title": "x"}, headers=analyst),
        404,
        "NotFoundError",
    )
    assert_error(client.post("/api/issues", json={"title": ""}, headers=analyst), 422)
    assert_error(client.post("/api/issues", json={"title": "x", "bogus": 1}, headers=analyst), 422)
    assert_error(client.get("/api/issues", params={"limit": 0}, headers=analyst), 422)
    reply = client.post(
        "/api/issues", json={"title": "x", "lead_department_id": 999}, headers=analyst
    )
    assert_error(reply, 400, "InputError")
    broken = client.post(
        "/api/issues", content=b"{not json", headers={**analyst, "content-type": "application/json"}
    )
    assert_error(broken, 422, "ValidationError")


def test_handler_sees_and_edits_only_their_department(
    client: TestClient, users, departments
) -> None:
    analyst, handler = users["analyst"], users["handler"]
    mine = client.post(
        "/api/issues",
        json={"title": "住建", "lead_department_id": departments["zjj"]},
        headers=analyst,
    ).json()
    other = client.post(
        "/api/issues",
        json={"title": "交通", "lead_department_id": departments["jtj"]},
        headers=analyst,
    ).json()
    page = client.get("/api/issues", headers=handler).json()
    assert [i["id"] for i in page["items"]] == [mine["id"]] and page["total"] == 1
    assert_error(client.get(f"/api/issues/{other['id']}", headers=handler), 404)
    assert_error(
        client.patch(
            f"/api/issues/{other['id']}", json={"version": 1, "summary": "x"}, headers=handler
        ),
        404,
    )
    reply = client.patch(
        f"/api/issues/{mine['id']}",
        json={"version": 1, "lead_department_id": departments["jtj"]},
        headers=handler,
    )
    assert_error(reply, 403, "ForbiddenError")
    reply = client.patch(
        f"/api/issues/{mine['id']}", json={"version": 1, "summary": "正在处理"}, headers=handler
    )
    assert reply.status_code == 200, reply.text


# -- health and errors ---------------------------------------------------------------------------


def test_health_needs_no_token(client: TestClient) -> None:
    reply = client.get("/health")
    assert reply.status_code == 200
    assert reply.json() == {
        "status": "ok",
        "store": {"backend": "sqlite", "ok": True},
        "database": {"ok": True},
    }


def test_health_reports_a_broken_database_as_degraded(settings: Settings, tmp_path) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        app.state.engine.dispose()
        from api.database import make_engine

        app.state.engine = make_engine("postgresql+psycopg://x:y@127.0.0.1:1/none")
        body = client.get("/health").json()
    assert body["status"] == "degraded" and body["database"] == {"ok": False}
    assert body["store"]["ok"] is True


def test_docs_are_public_and_unknown_paths_are_json(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
    assert_error(client.get("/no/such/path"), 404, "HTTPError")
    assert_error(client.delete("/health"), 405, "HTTPError")


def test_an_unexpected_error_is_a_generic_500(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        reply = client.get("/boom")
    error = assert_error(reply, 500, "InternalError")
    assert "secret internals" not in reply.text and "unexpected" in error["message"]


def test_a_fresh_app_creates_the_admin_once(settings: Settings) -> None:
    for _ in range(2):
        with TestClient(create_app(settings)) as client:
            headers = login(client, "admin", ADMIN_PASSWORD)
            users = client.get("/api/auth/users", headers=headers).json()
            assert [u["username"] for u in users] == ["admin"]
