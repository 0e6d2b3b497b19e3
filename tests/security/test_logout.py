"""Signing out ends the session: the old cookie no longer opens a page, works as a bearer token
or writes with its CSRF token, and every other token the user signed in with before is revoked
too; API tokens are revoked on their own. A token never outlives its user. On SQLite and
PostgreSQL (the app fixtures of tests/conftest.py)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import service as auth_service
from api.auth.cookies import CSRF_HEADER, SESSION_COOKIE, csrf_token_for
from api.auth.models import Role, User
from core.settings import Settings
from tests.helpers import PASSWORD, Headers, assert_error, bearer, login, make_user, new_token


def page_sign_in(client: TestClient, username: str, password: str) -> str:
    """Signs in on the log-in page, as a browser does; the session cookie's token."""
    form = client.get("/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert nonce is not None, form.text[:500]
    reply = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": nonce.group(1)},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    return token


def cookie(token: str) -> Headers:
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def test_signing_out_of_the_pages_ends_every_earlier_session(
    app: FastAPI, client: TestClient, admin: Headers, settings: Settings
) -> None:
    make_user(client, admin, "analyst", "analyst")
    api_token = new_token(client, login(client, "analyst", PASSWORD))["token"]
    elsewhere = login(client, "analyst", PASSWORD)  # a session on another device
    old = page_sign_in(client, "analyst", PASSWORD)
    csrf = csrf_token_for(old, settings)
    replay = TestClient(app)  # someone who kept a copy of the cookie
    assert replay.get("/triage", headers=cookie(old)).status_code == 200
    assert replay.get("/api/auth/me", headers=bearer(old)).status_code == 200

    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert client.cookies.get(SESSION_COOKIE) is None

    page = replay.get("/triage", headers=cookie(old), follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/triage")
    assert_error(replay.get("/api/auth/me", headers=bearer(old)), 401, "AuthError")
    write = replay.post(
        "/api/auth/tokens", json={"name": "kept"}, headers=cookie(old) | {CSRF_HEADER: csrf}
    )
    assert_error(write, 401, "AuthError")
    assert_error(replay.get("/api/auth/me", headers=elsewhere), 401, "AuthError")
    # API tokens are separate, and revoked one by one.
    assert replay.get("/api/auth/me", headers=bearer(api_token)).status_code == 200
    names = [t["name"] for t in client.get("/api/auth/tokens", headers=admin).json()]
    assert names == ["etl"]
    # Signing in again works.
    assert page_sign_in(client, "analyst", PASSWORD) != old
    assert client.get("/triage").status_code == 200


def test_the_api_sign_out_revokes_the_users_bearer_tokens(
    client: TestClient, admin: Headers
) -> None:
    make_user(client, admin, "press", "press")
    first, second = login(client, "press", PASSWORD), login(client, "press", PASSWORD)
    api_token = new_token(client, first)["token"]
    # An API token is no session: it is revoked with DELETE /api/auth/tokens/{id}.
    refused = client.post("/api/auth/logout", headers=bearer(api_token))
    assert "DELETE /api/auth/tokens" in assert_error(refused, 400, "InputError")["message"]

    assert client.post("/api/auth/logout", headers=first).status_code == 204
    for old in (first, second):
        assert_error(client.get("/api/auth/me", headers=old), 401, "AuthError")
        assert_error(client.post("/api/auth/logout", headers=old), 401, "AuthError")
    assert client.get("/api/auth/me", headers=bearer(api_token)).status_code == 200
    assert client.get("/api/auth/me", headers=admin).status_code == 200  # others stay in
    again = login(client, "press", PASSWORD)
    assert client.get("/api/auth/me", headers=again).json()["username"] == "press"


def test_a_token_does_not_outlive_its_user(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    with app.state.session_factory() as session:
        gone = auth_service.create_user(
            session=session, username="temp", password=PASSWORD, role=Role.ANALYST
        )
        session.commit()
        user_id = gone.id
        token = auth_service.create_access_token(user=gone, settings=settings)
    assert client.get("/api/auth/me", headers=bearer(token)).json()["username"] == "temp"

    with app.state.session_factory() as session:
        session.delete(session.get(User, user_id))
        session.commit()
        # The next account given the same id (SQLite reuses the highest id once it is free).
        session.add(
            User(
                id=user_id,
                username="successor",
                password_hash=auth_service.hash_password(PASSWORD),
                role=Role.ADMIN,
            )
        )
        session.commit()

    assert_error(client.get("/api/auth/me", headers=bearer(token)), 401, "AuthError")
    page = TestClient(app).get("/triage", headers=cookie(token), follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/triage")
