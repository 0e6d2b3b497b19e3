"""The audit trail: every write to the API recorded, secrets left out, nothing ever changed."""

# The app fixtures come from tests/conftest.py, so that this file runs on SQLite and PostgreSQL.

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.audit import service as audit_service
from api.audit.models import AuditEntry
from api.deps import TOKEN_URL
from api.writes import MAX_WRITE_BODY
from tests.helpers import (
    ADMIN_PASSWORD,
    PASSWORD,
    Headers,
    assert_error,
    login,
    make_user,
    new_token,
)


def audit_rows(app: FastAPI) -> list[AuditEntry]:
    with app.state.session_factory() as session:
        return list(session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def snapshot(rows: list[AuditEntry]) -> list[tuple]:
    return [
        (r.id, r.at, r.actor_id, r.actor_name, r.method, r.path, r.status_code, r.entity,
         r.entity_id, json.dumps(r.detail, sort_keys=True), r.ip)
        for r in rows
    ]  # fmt: skip


def last(app: FastAPI) -> AuditEntry:
    return audit_rows(app)[-1]


def test_writes_are_recorded_with_actor_status_and_entity_even_when_refused(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    make_user(client, admin, "analyst", "analyst")
    analyst = login(client, "analyst", PASSWORD)
    admin_id = client.get("/api/auth/me", headers=admin).json()["id"]

    created = client.post(
        "/api/departments", json={"code": "zjj", "name": "市住建局"}, headers=admin
    )
    assert created.status_code == 201
    row = last(app)
    assert (row.actor_id, row.actor_name, row.method, row.path, row.status_code) == (
        admin_id, "admin", "POST", "/api/departments", 201,
    )  # fmt: skip
    assert (row.entity, row.entity_id) == ("department", str(created.json()["id"]))
    assert row.detail == {"body": {"code": "zjj", "name": "市住建局"}}
    assert row.ip == "testclient" and row.at <= datetime.now(UTC)

    # Refused: wrong role (403), a conflict (409), a malformed body (422), no token (401).
    forbidden = {"code": "x", "name": "某局"}
    assert client.post("/api/departments", json=forbidden, headers=analyst).status_code == 403
    row = last(app)
    assert (row.actor_name, row.status_code, row.entity, row.entity_id) == (
        "analyst", 403, "department", None,
    )  # fmt: skip
    duplicate = {"code": "zjj", "name": "市住建局"}
    assert client.post("/api/departments", json=duplicate, headers=admin).status_code == 409
    assert (last(app).actor_name, last(app).status_code) == ("admin", 409)
    bad = {"code": "has space", "name": "某局"}
    assert client.post("/api/departments", json=bad, headers=admin).status_code == 422
    assert (last(app).status_code, last(app).detail) == (422, {"body": bad})
    assert client.post("/api/departments", json=forbidden).status_code == 401
    row = last(app)
    assert (row.actor_id, row.actor_name, row.status_code) == (None, None, 401)

    # A path parameter names the entity; an API token acts, and is recorded, as its user.
    token = new_token(client, analyst)
    assert client.delete(f"/api/auth/tokens/{token['id']}", headers=analyst).status_code == 200
    row = last(app)
    assert (row.method, row.entity, row.entity_id, row.actor_name) == (
        "DELETE", "api_token", str(token["id"]), "analyst",
    )  # fmt: skip


def test_reads_are_not_recorded(app: FastAPI, client: TestClient, admin: Headers) -> None:
    before = len(audit_rows(app))
    for path in ("/api/auth/me", "/api/departments", "/api/audit", "/api/auth/tokens"):
        assert client.get(path, headers=admin).status_code == 200
    assert len(audit_rows(app)) == before


def test_sign_ins_and_credentials_are_recorded_without_secrets(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    new_password = "a-new-users-password"
    body = {"username": "press", "password": new_password, "role": "press"}
    assert client.post("/api/auth/users", json=body, headers=admin).status_code == 201
    assert last(app).detail == {"body": {**body, "password": "[redacted]"}}
    assert last(app).entity == "user"

    wrong = "a-wrong-password"
    assert client.post(TOKEN_URL, data={"username": "Press", "password": wrong}).status_code == 401
    row = last(app)
    assert (row.entity, row.status_code, row.actor_id, row.actor_name) == (
        "sign_in", 401, None, "press",
    )  # fmt: skip
    assert row.detail["body"]["password"] == "[redacted]"
    assert row.detail["body"]["username"] == "Press"
    press = login(client, "press", new_password)
    row = last(app)
    assert (row.entity, row.status_code, row.actor_name) == ("sign_in", 200, "press")
    assert row.actor_id is not None

    token = new_token(client, press)["token"]
    nested = {"name": "x", "user_id": None, "extra": {"client_secret": "s3cr3t", "list": [1]}}
    assert client.post("/api/auth/tokens", json=nested, headers=press).status_code == 422
    assert last(app).detail["body"]["extra"] == {"client_secret": "[redacted]", "list": [1]}

    stored = json.dumps([r.detail for r in audit_rows(app)], ensure_ascii=False)
    for secret in (ADMIN_PASSWORD, new_password, wrong, token, "s3cr3t"):
        assert secret not in stored


def test_the_audit_log_is_read_by_admins_and_leaders_only(
    client: TestClient, admin: Headers
) -> None:
    for role in ("leader", "analyst", "press"):
        make_user(client, admin, role, role)
    assert client.get("/api/audit", headers=login(client, "leader", PASSWORD)).status_code == 200
    for role in ("analyst", "press"):
        reply = client.get("/api/audit", headers=login(client, role, PASSWORD))
        assert_error(reply, 403, "ForbiddenError")
    assert_error(client.get("/api/audit"), 401, "AuthError")


def test_audit_filters_and_pages(client: TestClient, admin: Headers) -> None:
    make_user(client, admin, "analyst", "analyst")  # one user write, one sign-in by the admin
    login(client, "analyst", PASSWORD)
    for code in ("a", "b", "c"):
        client.post("/api/departments", json={"code": code, "name": code * 2}, headers=admin)

    def page(**params: object) -> dict:
        reply = client.get("/api/audit", params=params, headers=admin)
        assert reply.status_code == 200, reply.text
        return reply.json()

    everything = page()
    assert everything["total"] == 6 and len(everything["items"]) == 6
    assert [i["id"] for i in everything["items"]] == sorted(
        (i["id"] for i in everything["items"]), reverse=True
    )
    departments = page(entity="department")
    assert departments["total"] == 3
    assert [i["detail"]["body"]["code"] for i in departments["items"]] == ["c", "b", "a"]
    assert {i["path"] for i in page(actor="Analyst")["items"]} == {TOKEN_URL}
    assert page(actor="admin", entity="user")["total"] == 1

    second = page(entity="department", limit=2, offset=2)
    assert (second["total"], second["limit"], second["offset"]) == (3, 2, 2)
    assert [i["detail"]["body"]["code"] for i in second["items"]] == ["a"]

    now = datetime.now(UTC)
    assert page(**{"from": (now - timedelta(hours=1)).isoformat()})["total"] == 6
    assert page(**{"from": (now + timedelta(hours=1)).isoformat()})["total"] == 0
    assert page(**{"to": (now - timedelta(hours=1)).isoformat()})["total"] == 0
    for bad in ({"from": "2025-01-01T00:00:00"}, {"limit": 0}, {"limit": 501}, {"offset": -1}):
        assert_error(client.get("/api/audit", params=bad, headers=admin), 422)


def test_no_api_call_changes_or_removes_audit_records(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    client.post("/api/departments", json={"code": "zjj", "name": "市住建局"}, headers=admin)
    before = snapshot(audit_rows(app))
    some_id = before[-1][0]
    attempts = [
        (method, path)
        for method in ("PUT", "PATCH", "DELETE")
        for path in ("/api/audit", f"/api/audit/{some_id}")
    ]
    for method, path in attempts:
        reply = client.request(method, path, json={"status_code": 200}, headers=admin)
        assert reply.status_code in (404, 405), (method, path, reply.status_code)
    after = audit_rows(app)
    assert snapshot(after[: len(before)]) == before
    # The attempts themselves are on record.
    assert [(r.method, r.path, r.status_code) for r in after[len(before) :]] == [
        (method, path, 405 if path == "/api/audit" else 404) for method, path in attempts
    ]


def test_the_database_refuses_to_change_or_remove_audit_records(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    client.post("/api/departments", json={"code": "zjj", "name": "市住建局"}, headers=admin)
    before = snapshot(audit_rows(app))
    assert before
    for statement in (
        sa.update(AuditEntry).values(status_code=200, actor_name="someone-else"),
        sa.delete(AuditEntry),
    ):
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            app.state.engine.begin() as connection,
        ):
            connection.execute(statement)
    assert snapshot(audit_rows(app)) == before


def test_a_change_whose_audit_record_cannot_be_written_is_not_saved(
    app: FastAPI,
    client: TestClient,
    admin: Headers,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No write without its audit record: the record is in the change's own transaction, so
    when it fails the change is rolled back and the client hears of it."""
    before = len(audit_rows(app))

    def broken(**_: object) -> None:
        raise RuntimeError("the audit table is on fire")

    monkeypatch.setattr(audit_service, "record", broken)
    with caplog.at_level(logging.ERROR, logger="api.writes"):
        reply = client.post("/api/departments", json={"code": "z", "name": "某局"}, headers=admin)
    assert_error(reply, 500)
    monkeypatch.undo()
    assert client.get("/api/departments", headers=admin).json() == []
    assert len(audit_rows(app)) == before
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("POST /api/departments could not be saved" in e and "on fire" in e for e in errors)


def test_an_unexpected_error_is_recorded_as_500(settings) -> None:
    from yuqing.app import create_app

    app = create_app(settings)

    @app.post("/api/boom")
    def boom(body: dict[str, str]) -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/api/boom", json={"password": "p"}).status_code == 500
    row = last(app)
    app.state.engine.dispose()
    assert (row.path, row.status_code, row.detail) == (
        "/api/boom", 500, {"body": {"password": "[redacted]"}},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "accepted"), [("\ud800", False), ("\udfff尾", False), ("a\u0000b\x07", True)]
)
def test_a_request_with_invalid_text_leaves_the_audit_log_readable(
    app: FastAPI, client: TestClient, admin: Headers, bad: str, accepted: bool
) -> None:
    # The escaped JSON decodes to a lone surrogate or a control character, which a database
    # stores but no later read can encode; the text is made valid before it is stored.
    body = '{"title": ' + json.dumps(bad) + "}"
    as_json = {"Content-Type": "application/json"}
    refused = client.post("/api/issues", content=body, headers=as_json)
    assert refused.status_code == 401
    reply = client.post("/api/issues", content=body, headers={**admin, **as_json})
    if accepted:  # control characters are replaced and the issue saved
        assert reply.status_code == 201, reply.text
        issue = client.get(f"/api/issues/{reply.json()['id']}", headers=admin)
        assert issue.status_code == 200 and issue.json()["title"] == "a\ufffdb\ufffd"
    else:  # a title that is not text at all is refused, with the reason
        assert "body.title" in assert_error(reply, 422)["message"]

    listed = client.get("/api/audit", headers=admin)
    assert listed.status_code == 200, listed.text
    titles = [e["detail"]["body"]["title"] for e in listed.json()["items"][:2]]
    assert all(title.isprintable() and "\ufffd" in title for title in titles), titles


def test_a_write_larger_than_the_limit_is_refused_unread_and_recorded(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    before = len(audit_rows(app))
    huge = {"title": "x" * (MAX_WRITE_BODY + 1)}
    reply = client.post("/api/issues", json=huge, headers=admin)
    assert_error(reply, 413)
    rows = audit_rows(app)
    assert len(rows) == before + 1
    assert (rows[-1].path, rows[-1].status_code) == ("/api/issues", 413)
    assert client.get("/api/issues", headers=admin).json()["total"] == 0
