"""API tokens, sign-in rate limiting and the demo accounts, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import throttle
from api.auth.models import ApiToken, LoginAttempt, Role, User
from api.deps import TOKEN_URL
from core.settings import Settings
from tests.helpers import (
    ADMIN_PASSWORD,
    PASSWORD,
    Headers,
    assert_error,
    bearer,
    login,
    make_user,
    new_token,
)
from yuqing.app import create_app

# The app per test (`settings`, `app`, `client`, `admin`) comes from tests/conftest.py, on SQLite
# and on PostgreSQL.


def update_rows(app: FastAPI, statement: sa.Update) -> None:
    with app.state.session_factory() as session:
        session.execute(statement)
        session.commit()


# -- API tokens -------------------------------------------------------------------------------


def test_an_api_token_is_shown_once_and_acts_with_its_users_role(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    user_id = make_user(client, admin, "analyst", "analyst")
    analyst = login(client, "analyst", PASSWORD)  # a JWT, as before
    created = new_token(client, analyst, name="nightly export")
    token = created["token"]
    prefix = created["prefix"]
    assert len(prefix) == 8 and token.startswith(f"yq_{prefix}_") and len(token) > 40
    assert created["user_id"] == user_id and created["name"] == "nightly export"
    assert created["revoked_at"] is None and created["expires_at"] is None

    me = client.get("/api/auth/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert (me.json()["username"], me.json()["role"]) == ("analyst", "analyst")
    # The analyst's role, not more: user management stays an admin's.
    assert_error(client.get("/api/auth/users", headers=bearer(token)), 403, "ForbiddenError")

    listed = client.get("/api/auth/tokens", headers=analyst).json()
    assert [t["prefix"] for t in listed] == [prefix]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    assert listed[0]["last_used_at"] is not None

    with app.state.session_factory() as session:
        row = session.scalars(sa.select(ApiToken)).one()
    # Only a digest is stored, never the token.
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.split("_", 2)[2] not in (row.token_hash, row.prefix, row.name)


def test_a_jwt_still_works_beside_api_tokens(client: TestClient, admin: Headers) -> None:
    new_token(client, admin)
    me = client.get("/api/auth/me", headers=admin)
    assert me.status_code == 200 and me.json()["username"] == "admin"


def test_a_revoked_token_is_refused_with_a_clear_message(
    client: TestClient, admin: Headers
) -> None:
    created = new_token(client, admin)
    assert client.get("/api/auth/me", headers=bearer(created["token"])).status_code == 200
    revoked = client.delete(f"/api/auth/tokens/{created['id']}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    error = assert_error(client.get("/api/auth/me", headers=bearer(created["token"])), 401)
    assert "revoked" in error["message"] and created["prefix"] in error["message"]
    # Revoking again changes nothing.
    again = client.delete(f"/api/auth/tokens/{created['id']}", headers=admin)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert_error(client.delete("/api/auth/tokens/999", headers=admin), 404, "NotFoundError")


def test_an_expired_token_is_refused_with_a_clear_message(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    later = datetime.now(UTC) + timedelta(days=30)
    created = new_token(client, admin, expires_at=later.isoformat())
    assert datetime.fromisoformat(created["expires_at"]) == later
    assert client.get("/api/auth/me", headers=bearer(created["token"])).status_code == 200
    past = datetime.now(UTC) - timedelta(minutes=1)
    update_rows(app, sa.update(ApiToken).values(expires_at=past))
    error = assert_error(client.get("/api/auth/me", headers=bearer(created["token"])), 401)
    assert "expired" in error["message"]

    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    reply = client.post(
        "/api/auth/tokens", json={"name": "x", "expires_at": yesterday}, headers=admin
    )
    assert_error(reply, 400, "InputError")
    naive = {"name": "x", "expires_at": "2099-01-01T00:00:00"}
    assert_error(client.post("/api/auth/tokens", json=naive, headers=admin), 422)


def test_wrong_and_forged_api_tokens_are_refused(client: TestClient, admin: Headers) -> None:
    token = new_token(client, admin)["token"]
    prefix = token[3:11]
    for wrong in (f"yq_{prefix}_not-the-secret", "yq_00000000_whatever", "yq_", f"yq_{prefix}"):
        reply = client.get("/api/auth/me", headers=bearer(wrong))
        assert "not valid" in assert_error(reply, 401, "AuthError")["message"], wrong
        assert reply.headers["www-authenticate"] == "Bearer"


def test_a_disabled_users_token_is_refused(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    make_user(client, admin, "press", "press")
    token = new_token(client, login(client, "press", PASSWORD))["token"]
    update_rows(app, sa.update(User).where(User.username == "press").values(is_active=False))
    assert_error(client.get("/api/auth/me", headers=bearer(token)), 401, "AuthError")


def test_users_see_and_revoke_only_their_own_tokens_and_admins_all(
    client: TestClient, admin: Headers
) -> None:
    make_user(client, admin, "analyst", "analyst")
    press_id = make_user(client, admin, "press", "press")
    analyst, press = login(client, "analyst", PASSWORD), login(client, "press", PASSWORD)
    mine = new_token(client, analyst, name="mine")
    theirs = new_token(client, press, name="theirs")

    assert [t["name"] for t in client.get("/api/auth/tokens", headers=analyst).json()] == ["mine"]
    everyone = {t["name"] for t in client.get("/api/auth/tokens", headers=admin).json()}
    assert everyone == {"mine", "theirs"}
    # Another user's token looks like no token at all.
    assert_error(client.delete(f"/api/auth/tokens/{theirs['id']}", headers=analyst), 404)
    assert client.get("/api/auth/me", headers=bearer(theirs["token"])).status_code == 200
    # Only an admin makes tokens for someone else, and they act as that someone.
    for_press = {"name": "for press", "user_id": press_id}
    assert_error(client.post("/api/auth/tokens", json=for_press, headers=analyst), 403)
    made = new_token(client, admin, **for_press)
    assert made["user_id"] == press_id
    me = client.get("/api/auth/me", headers=bearer(made["token"])).json()
    assert (me["username"], me["role"]) == ("press", Role.PRESS)
    nobody = {"name": "x", "user_id": 999}
    assert_error(client.post("/api/auth/tokens", json=nobody, headers=admin), 400)
    # And an admin revokes anyone's.
    assert client.delete(f"/api/auth/tokens/{mine['id']}", headers=admin).status_code == 200
    assert_error(client.get("/api/auth/me", headers=bearer(mine["token"])), 401)


def test_an_api_token_cannot_create_more_tokens(client: TestClient, admin: Headers) -> None:
    token = new_token(client, admin)["token"]
    reply = client.post("/api/auth/tokens", json={"name": "child"}, headers=bearer(token))
    assert "sign in with a password" in assert_error(reply, 403, "ForbiddenError")["message"]


# -- sign-in rate limiting --------------------------------------------------------------------


def sign_in(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(TOKEN_URL, data={"username": username, "password": password})


@pytest.fixture
def three_tries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_USERNAME", 3)
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_IP", 100)


def test_a_username_is_refused_with_429_after_repeated_failures(
    app: FastAPI, client: TestClient, admin: Headers, three_tries: None
) -> None:
    make_user(client, admin, "analyst", "analyst")
    for _ in range(3):
        assert_error(sign_in(client, "analyst", "wrong-password"), 401, "AuthError")
    # Even the right password is not checked now (the name is matched without regard to case).
    reply = sign_in(client, "Analyst", PASSWORD)
    error = assert_error(reply, 429, "RateLimited")
    assert "analyst" in error["message"] and "minutes" in error["message"]
    retry_after = int(reply.headers["retry-after"])
    assert 1 <= retry_after <= throttle.FAILURE_WINDOW.total_seconds()
    # The refusals were not counted as failures.
    with app.state.session_factory() as session:
        failures = session.scalar(sa.select(sa.func.count()).where(LoginAttempt.ok.is_(False)))
    assert failures == 3
    # Other users are not affected.
    assert sign_in(client, "admin", ADMIN_PASSWORD).status_code == 200
    # Failures older than the window no longer count.
    older = datetime.now(UTC) - throttle.FAILURE_WINDOW - timedelta(seconds=1)
    update_rows(app, sa.update(LoginAttempt).values(at=older))
    assert sign_in(client, "analyst", PASSWORD).status_code == 200


def test_a_success_starts_the_usernames_count_afresh(
    client: TestClient, admin: Headers, three_tries: None
) -> None:
    make_user(client, admin, "analyst", "analyst")
    for _ in range(2):
        assert sign_in(client, "analyst", "wrong-password").status_code == 401
    assert sign_in(client, "analyst", PASSWORD).status_code == 200
    for _ in range(2):
        assert sign_in(client, "analyst", "wrong-password").status_code == 401
    # Four failures in the window, but only two since the success.
    assert sign_in(client, "analyst", PASSWORD).status_code == 200
    for _ in range(3):
        assert sign_in(client, "analyst", "wrong-password").status_code == 401
    assert_error(sign_in(client, "analyst", PASSWORD), 429, "RateLimited")


def test_one_address_is_refused_after_failures_across_usernames(
    app: FastAPI,
    client: TestClient,
    admin: Headers,
    three_tries: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(throttle, "MAX_FAILURES_PER_IP", 5)
    make_user(client, admin, "analyst", "analyst")
    for name in ("ghost1", "ghost2", "ghost3", "ghost4"):
        assert sign_in(client, name, "guess-123").status_code == 401
    # A success does not clear an address's failures.
    assert sign_in(client, "analyst", PASSWORD).status_code == 200
    assert sign_in(client, "ghost5", "guess-123").status_code == 401
    reply = sign_in(client, "analyst", PASSWORD)
    assert "this address" in assert_error(reply, 429, "RateLimited")["message"]
    assert int(reply.headers["retry-after"]) >= 1
    # Another address may still sign in.
    other = TestClient(app, client=("203.0.113.7", 40000))
    assert sign_in(other, "analyst", PASSWORD).status_code == 200


def test_failures_count_across_api_processes(
    settings: Settings, client: TestClient, admin: Headers, three_tries: None
) -> None:
    make_user(client, admin, "analyst", "analyst")
    for _ in range(3):
        assert sign_in(client, "analyst", "wrong-password").status_code == 401
    second = create_app(settings)  # another process: nothing shared but the database
    try:
        with TestClient(second) as other:
            assert_error(sign_in(other, "analyst", PASSWORD), 429, "RateLimited")
    finally:
        second.state.engine.dispose()


# -- demo accounts ----------------------------------------------------------------------------


def test_the_demo_creates_one_account_per_role_once(settings: Settings) -> None:
    from analysis.routing import load_routing_file
    from api.database import session_scope
    from api.departments.models import Department
    from yuqing.demo.command import seed_demo_users

    first = seed_demo_users(settings)
    second = seed_demo_users(settings)
    assert first == second
    assert [line.split(" / ")[0] for line in first] == ["analyst", "leader", "press", "handler"]
    assert "handler / handler-demo" in first[3] and "市住建局" in first[3]

    expected = {d.code for d in load_routing_file(settings.analysis.departments_file).departments}
    with session_scope(settings.database.url) as session:
        codes = set(session.scalars(sa.select(Department.code)))
        users = {u.username: u for u in session.scalars(sa.select(User))}
        handler_department = session.get(Department, users["handler"].department_id)
        assert handler_department is not None and handler_department.code == "zjj"
    assert codes == expected
    assert {name: users[name].role for name in ("analyst", "leader", "press", "handler")} == {
        "analyst": Role.ANALYST,
        "leader": Role.LEADER,
        "press": Role.PRESS,
        "handler": Role.HANDLER,
    }
    with TestClient(app := create_app(settings)) as client:
        me = client.get("/api/auth/me", headers=login(client, "handler", "handler-demo"))
    app.state.engine.dispose()
    assert me.json()["department_id"] == handler_department.id
