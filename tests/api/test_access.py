"""Who may call what: every role against every endpoint, on SQLite and PostgreSQL.

The endpoints come from the app itself, so a new one without an entry in `ENDPOINTS` fails the
matrix. The policy: every endpoint needs a role except health, the API docs and signing in;
department handlers see and change only their own department's issues (another department's
answers 404, so ids cannot be probed); leaders read everything and change nothing but comments
and pins; press officers create briefings and link issues; analysts create, promote and change
issues and triage hot issues; admins manage users and departments (and pass every check).
"""

# The app fixtures come from tests/conftest.py, so that this file runs on SQLite and PostgreSQL.

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.deps import TOKEN_URL
from dashboards.views import STATIC_PATH, is_page
from tests.api.world import (
    ADMIN,
    ANALYST,
    ANONYMOUS,
    DEPT_B,
    HANDLER,
    LEADER,
    PRESS,
    World,
    seed,
)
from tests.helpers import ADMIN_PASSWORD, PASSWORD, Headers

ROLES = (ANONYMOUS, ADMIN, ANALYST, LEADER, PRESS, HANDLER)

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
ADMIN_ONLY = frozenset({ADMIN})
# Who reads issues and posts: everyone signed in (handlers only their department's).
ISSUE_READERS = SIGNED_IN
# The office: who reads hot issues, alerts, briefings, sources and the ranking.
OFFICE = frozenset({ADMIN, ANALYST, LEADER, PRESS})
ANALYSTS = frozenset({ADMIN, ANALYST})
EDITORS = frozenset({ADMIN, ANALYST, HANDLER})  # change an issue, pause and resume its clocks
COMMENTERS = SIGNED_IN  # comments and pins: leaders too
PRESS_OFFICE = frozenset({ADMIN, PRESS})
AUDITORS = frozenset({ADMIN, LEADER})

# Served without a role: health, signing in, and (not APIRoutes) the API documentation.
PUBLIC_DOCS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"})

NOW = datetime.now(UTC)


# -- the expectation table --------------------------------------------------------------------

Request = Callable[[World, str], dict[str, Any]]


def _nothing(world: World, role: str) -> dict[str, Any]:
    return {}


def _body(body: dict[str, Any]) -> Request:
    return lambda world, role: {"json": body}


def _query(**params: Any) -> Request:
    return lambda world, role: {"params": params}


def _sign_in(world: World, role: str) -> dict[str, Any]:
    if role in (ANONYMOUS, ADMIN):
        return {"data": {"username": "admin", "password": ADMIN_PASSWORD}}
    return {"data": {"username": role, "password": PASSWORD}}


def _new_issue(world: World, role: str) -> dict[str, Any]:
    body = {"title": f"{role} 录入的来电线索", "lead_department_id": world.ids["dept_a"]}
    return {"json": body}


def _edit_issue(world: World, role: str) -> dict[str, Any]:
    version = world.version(world.ids["issue_a"])
    return {"json": {"version": version, "summary": f"{role} 补充了处置进展"}}


def _promote(world: World, role: str) -> dict[str, Any]:
    body = {"hot_issue_id": world.ids["promoted_hot_id"], "lead_department_id": world.ids["dept_a"]}
    return {"json": body}


def _new_user(world: World, role: str) -> dict[str, Any]:
    return {"json": {"username": f"new-{role}", "password": PASSWORD, "role": "analyst"}}


def _link(world: World, role: str) -> dict[str, Any]:
    return {"json": {"issue_ids": [world.ids["issue_a"]]}}


def _merge(world: World, role: str) -> dict[str, Any]:
    return {"json": {"other_ids": [world.ids["other_hot_id"]]}}


@dataclass(frozen=True)
class Endpoint:
    allowed: frozenset[str]
    request: Request = _nothing


YESTERDAY = (NOW - timedelta(days=1)).date().isoformat()
PERIOD = {
    "from": (NOW - timedelta(days=7)).isoformat(),
    "to": (NOW + timedelta(days=1)).isoformat(),
}

# In the order the requests are sent: reads first, then writes that leave later ones working
# (the pause before the resume, the split before the merge, the token revoked last).
ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    ("GET", "/health"): Endpoint(EVERYONE),
    ("POST", TOKEN_URL): Endpoint(EVERYONE, _sign_in),
    ("GET", "/api/auth/me"): Endpoint(SIGNED_IN),
    ("GET", "/api/auth/users"): Endpoint(ADMIN_ONLY),
    ("GET", "/api/auth/tokens"): Endpoint(SIGNED_IN),
    ("GET", "/api/departments"): Endpoint(SIGNED_IN),
    ("GET", "/api/departments/{department_id}"): Endpoint(SIGNED_IN),
    ("GET", "/api/hot-issues"): Endpoint(OFFICE),
    ("GET", "/api/hot-issues/{hot_id}"): Endpoint(OFFICE),
    ("GET", "/api/alerts"): Endpoint(OFFICE),
    ("GET", "/api/alerts/{notification_id}"): Endpoint(OFFICE),
    ("GET", "/api/audit"): Endpoint(AUDITORS),
    ("GET", "/api/briefings"): Endpoint(OFFICE),
    ("GET", "/api/briefings/{briefing_id}"): Endpoint(OFFICE),
    ("GET", "/api/issues"): Endpoint(ISSUE_READERS),
    ("GET", "/api/issues/{issue_id}"): Endpoint(ISSUE_READERS),
    ("GET", "/api/issues/{issue_id}/timeline"): Endpoint(ISSUE_READERS),
    ("GET", "/api/issues/{issue_id}/statement-candidates"): Endpoint(OFFICE),
    ("GET", "/api/issues/{issue_id}/effect"): Endpoint(OFFICE),
    ("GET", "/api/posts/search"): Endpoint(ISSUE_READERS, _query(q="拆迁")),
    ("GET", "/api/posts/aggregate"): Endpoint(ISSUE_READERS),
    ("GET", "/api/posts/{post_id}"): Endpoint(ISSUE_READERS),
    ("GET", "/api/reports/departments"): Endpoint(ISSUE_READERS, _query(**PERIOD)),
    ("GET", "/api/reports/ranking"): Endpoint(OFFICE, _query(quarter="2025Q3")),
    ("GET", "/api/reports/daily.docx"): Endpoint(OFFICE, _query(date=YESTERDAY)),
    ("GET", "/api/reports/daily.xlsx"): Endpoint(OFFICE, _query(date=YESTERDAY)),
    ("GET", "/api/reports/quarterly.docx"): Endpoint(OFFICE, _query(quarter="2025Q3")),
    ("GET", "/api/reports/quarterly.xlsx"): Endpoint(OFFICE, _query(quarter="2025Q3")),
    ("GET", "/api/sources"): Endpoint(OFFICE),
    ("GET", "/api/sources/{name}/runs"): Endpoint(OFFICE),
    # writes
    ("POST", "/api/auth/users"): Endpoint(ADMIN_ONLY, _new_user),
    ("POST", "/api/auth/tokens"): Endpoint(SIGNED_IN, _body({"name": "nightly export"})),
    ("POST", "/api/departments"): Endpoint(ADMIN_ONLY, _body({"code": "swj", "name": "市水务局"})),
    ("POST", "/api/issues"): Endpoint(ANALYSTS, _new_issue),
    ("POST", "/api/issues/promote"): Endpoint(ANALYSTS, _promote),
    ("PATCH", "/api/issues/{issue_id}"): Endpoint(EDITORS, _edit_issue),
    ("POST", "/api/issues/{issue_id}/comments"): Endpoint(COMMENTERS, _body({"text": "已督办"})),
    ("POST", "/api/issues/{issue_id}/events/{event_id}/pin"): Endpoint(
        COMMENTERS, _body({"pinned": True})
    ),
    ("POST", "/api/issues/{issue_id}/clocks/{clock_id}/pause"): Endpoint(
        EDITORS, _body({"reason": "等待信访部门回函"})
    ),
    ("POST", "/api/issues/{issue_id}/clocks/{clock_id}/resume"): Endpoint(EDITORS),
    ("POST", "/api/briefings"): Endpoint(
        PRESS_OFFICE,
        _body({"kind": "online_interview", "title": "在线访谈", "at": NOW.isoformat()}),
    ),
    ("POST", "/api/briefings/{briefing_id}/issues"): Endpoint(PRESS_OFFICE, _link),
    ("POST", "/api/hot-issues/{hot_id}/status"): Endpoint(ANALYSTS, _body({"status": "watching"})),
    ("POST", "/api/hot-issues/{hot_id}/split"): Endpoint(
        ANALYSTS, _body({"post_ids": ["board:a2"]})
    ),
    ("POST", "/api/hot-issues/{hot_id}/merge"): Endpoint(ANALYSTS, _merge),
    ("POST", "/api/hot-issues/{hot_id}/dismiss"): Endpoint(
        ANALYSTS, _body({"reason": "与本市无关"})
    ),
    ("DELETE", "/api/auth/tokens/{token_id}"): Endpoint(SIGNED_IN),
    # Signing out ends the role's session: last of all.
    ("POST", "/api/auth/logout"): Endpoint(SIGNED_IN),
}

# Cells where the API is known to break the policy: (method, path, role) -> what is wrong.
# Each is left out of the matrix and asserted on its own as a strict xfail, which starts to
# fail (XPASS) once the bug is fixed: then remove it here.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves through an APIRoute (included routers flattened),
    the web pages aside: tests/dashboards/test_page_access.py asserts their roles."""
    return [
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and not is_page(context.endpoint)
        for method in sorted(context.methods)
    ]


def _fill(path: str, ids: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"no seeded value for the path parameter {name!r} in {path}"
        return str(ids[name])

    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", value, path)


def call(world: World, role: str, method: str, path: str) -> Any:
    endpoint = ENDPOINTS[(method, path)]
    headers = world.users.get(role, {})
    return world.client.request(
        method, _fill(path, world.ids), headers=headers, **endpoint.request(world, role)
    )


def check_cell(world: World, role: str, method: str, path: str) -> str | None:
    """What is wrong with this cell's answer, or None."""
    reply = call(world, role, method, path)
    cell = f"{role} {method} {path} -> {reply.status_code}: {reply.text[:300]}"
    if reply.status_code >= 500:
        return f"server error: {cell}"
    allowed = role in ENDPOINTS[(method, path)].allowed
    if allowed:
        return f"allowed but refused: {cell}" if reply.status_code in (401, 403) else None
    wanted = 401 if role == ANONYMOUS else 403
    if reply.status_code != wanted:
        return f"expected {wanted}: {cell}"
    error = reply.json().get("error", {})
    kind = "AuthError" if role == ANONYMOUS else "ForbiddenError"
    return None if error.get("type") == kind else f"expected a {kind}: {cell}"


# -- the matrix -------------------------------------------------------------------------------


def test_every_endpoint_has_expected_roles(app: FastAPI) -> None:
    served = api_routes(app)
    missing = [
        f"endpoint {m} {p} has no expected roles" for m, p in served if (m, p) not in ENDPOINTS
    ]
    assert not missing, "\n".join(missing)
    stale = [
        f"{m} {p} is in ENDPOINTS but not served" for m, p in ENDPOINTS if (m, p) not in served
    ]
    assert not stale, "\n".join(stale)
    for (method, path), endpoint in ENDPOINTS.items():
        assert ADMIN in endpoint.allowed, f"admins pass every role check: {method} {path}"
        assert endpoint.allowed <= EVERYONE
    public = {key for key, endpoint in ENDPOINTS.items() if ANONYMOUS in endpoint.allowed}
    assert public == {("GET", "/health"), ("POST", TOKEN_URL)}
    for cell in KNOWN_BUGS:
        assert cell[:2] in ENDPOINTS and cell[2] in ROLES, cell
    # Every route that is not an APIRoute is the API documentation or the pages' static files
    # (scripts, styles, fonts), which are public.
    others = [
        getattr(context.original_route, "path", repr(context.original_route))
        for context in iter_route_contexts(app.routes)
        if not isinstance(context.original_route, APIRoute)
    ]
    assert set(others) <= PUBLIC_DOCS | {STATIC_PATH}, others


def test_the_api_documentation_is_public(client: TestClient) -> None:
    for path in ("/docs", "/openapi.json", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 200, path
    assert client.get("/redoc").status_code in (200, 404)  # served only if enabled


@pytest.mark.parametrize("role", ROLES)
def test_each_role_against_every_endpoint(
    role: str, app: FastAPI, client: TestClient, admin: Headers
) -> None:
    """A fresh database per role, so that one role's writes do not decide another's cells."""
    world = seed(app, client, admin, role)
    served = set(api_routes(app))
    problems = [
        problem
        for method, path in ENDPOINTS
        if (method, path) in served and (method, path, role) not in KNOWN_BUGS
        if (problem := check_cell(world, role, method, path)) is not None
    ]
    assert not problems, "\n".join(problems)


def test_an_admin_succeeds_everywhere(app: FastAPI, client: TestClient, admin: Headers) -> None:
    """The bodies and ids of the matrix are real: the admin, who passes every role check,
    gets a success from every endpoint, so the other roles' cells are not just 404s or 422s."""
    world = seed(app, client, admin, ADMIN)
    failures = []
    for method, path in ENDPOINTS:
        reply = call(world, ADMIN, method, path)
        if not 200 <= reply.status_code < 300:
            failures.append(f"{method} {path} -> {reply.status_code}: {reply.text[:300]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param(cell, marks=pytest.mark.xfail(strict=True, reason=reason), id="-".join(cell))
        for cell, reason in KNOWN_BUGS.items()
    ]
    or [pytest.param(None, id="none-known")],
)
def test_known_access_bugs(
    cell: tuple[str, str, str] | None, app: FastAPI, client: TestClient, admin: Headers
) -> None:
    if cell is None:
        return
    method, path, role = cell
    world = seed(app, client, admin, role)
    problem = check_cell(world, role, method, path)
    assert problem is None, problem


# -- department handlers ----------------------------------------------------------------------


def test_a_handler_sees_and_changes_only_their_departments_issues(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    world = seed(app, client, admin, HANDLER)
    ids, handler = world.ids, world.users[HANDLER]
    a, b = ids["issue_a"], ids["issue_b"]
    before = world.issue(b)
    missing = 10**6

    def answer(method: str, path: str, **kwargs: Any) -> tuple[int, str]:
        reply = client.request(method, path, headers=handler, **kwargs)
        return reply.status_code, reply.json()["error"]["type"] if reply.is_error else ""

    not_found = (404, "NotFoundError")
    version = before["version"]
    # Department B's issue looks exactly like one that does not exist.
    for issue_id in (b, missing):
        base = f"/api/issues/{issue_id}"
        event, clock = ids["issue_b_event"], ids["issue_b_clock"]
        assert answer("GET", base) == not_found, issue_id
        assert answer("GET", f"{base}/timeline") == not_found
        assert answer("GET", f"{base}/timeline", params={"format": "csv"}) == not_found
        assert answer("PATCH", base, json={"version": version, "summary": "x"}) == not_found
        assert answer("PATCH", base, json={"version": version, "severity": "major"}) == not_found
        assert answer("POST", f"{base}/comments", json={"text": "x"}) == not_found
        assert answer("POST", f"{base}/events/{event}/pin", json={"pinned": True}) == not_found
        pause = f"{base}/clocks/{clock}/pause"
        assert answer("POST", pause, json={"reason": "x"}) == not_found
        assert answer("POST", f"{base}/clocks/{clock}/resume") == not_found
    # Nor can B's events and clocks be reached through A's issue.
    a_url = f"/api/issues/{a}"
    assert answer("POST", f"{a_url}/events/{ids['issue_b_event']}/pin", json={}) == not_found
    pause_b = f"{a_url}/clocks/{ids['issue_b_clock']}/pause"
    assert answer("POST", pause_b, json={"reason": "x"}) == not_found
    after = world.issue(b)
    assert after["version"] == before["version"] and after["timeline"] == before["timeline"]
    assert after["clocks"] == before["clocks"] and after["summary"] == before["summary"]

    # Their own department's issue they read and work on.
    assert answer("GET", a_url) == (200, "")
    assert answer("GET", f"{a_url}/timeline") == (200, "")
    assert answer("POST", f"{a_url}/comments", json={"text": "已联系街道"}) == (201, "")
    edit = {"version": world.version(a), "status": "triaged"}
    assert answer("PATCH", a_url, json=edit) == (200, "")
    # but who leads it, and how grave it is, stays the office's call.
    for change in ({"lead_department_id": ids["dept_b"]}, {"severity": "major"}):
        edit = {"version": world.version(a), **change}
        assert answer("PATCH", a_url, json=edit) == (403, "ForbiddenError"), change

    # The list holds A's issues only, and B's cannot be asked for.
    listed = client.get("/api/issues", headers=handler)
    assert listed.status_code == 200, listed.text
    assert [i["id"] for i in listed.json()["items"]] == [a] and listed.json()["total"] == 1
    own = client.get("/api/issues", params={"lead_department_id": ids["dept_a"]}, headers=handler)
    assert [i["id"] for i in own.json()["items"]] == [a]
    for department in (ids["dept_b"], missing):
        reply = client.get(
            "/api/issues", params={"lead_department_id": department}, headers=handler
        )
        assert reply.status_code in (403, 404), reply.text  # refused, not an empty page
    # Everyone else in the office sees both.
    everyone = client.get("/api/issues", headers=admin).json()
    assert {i["id"] for i in everyone["items"]} == {a, b}


def test_a_handler_sees_only_their_departments_posts_and_figures(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    world = seed(app, client, admin, HANDLER)
    ids, handler = world.ids, world.users[HANDLER]
    assert client.get(f"/api/posts/{ids['post_id']}", headers=handler).status_code == 200
    other = client.get(f"/api/posts/{ids['post_b']}", headers=handler)
    assert other.status_code == 404, other.text
    assert client.get("/api/posts/does-not-exist", headers=handler).status_code == 404

    found = client.get("/api/posts/search", params={"department": DEPT_B}, headers=handler)
    assert found.status_code == 200, found.text
    assert {hit["post"]["id"] for hit in found.json()["hits"]} <= {
        "board:a1",
        "board:a2",
        "board:a3",
    }

    report = "/api/reports/departments"
    mine = client.get(report, params=PERIOD, headers=handler)
    assert mine.status_code == 200, mine.text
    assert {row["department_id"] for row in mine.json()} <= {ids["dept_a"]}
    theirs = client.get(report, params={**PERIOD, "department_id": ids["dept_b"]}, headers=handler)
    assert theirs.status_code in (403, 404), theirs.text
