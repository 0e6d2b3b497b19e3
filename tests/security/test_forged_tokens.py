"""Tokens signed with the secret that earlier versions shipped (`dev-only-secret-change-me`,
readable by anyone in the code) are refused in every mode, by the API (a bearer token) and by
the pages (the sign-in cookie); configuring that string, or the admin password that shipped
with it, is refused at start."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from api.auth.cookies import SESSION_COOKIE
from core.errors import ConfigError
from core.settings import DEFAULT_ADMIN_PASSWORD, DEFAULT_SECRET_KEY, load_settings
from tests.helpers import ADMIN_PASSWORD, app_settings, assert_error, bearer, login
from yuqing.app import create_app

# `yuqing demo` creates accounts with published passwords; every other mode must not run on a
# secret anyone can know.
NON_DEMO_MODES = ("development", "test", "production")
STRONG_SECRET = "kT3v9Qe1-ZrW0yLbX7uN4sHdP2mFjA6cGqE8oVtYiRw"


def signed_with_the_shipped_secret(token: str) -> str:
    """A real token's claims, signed again with the string anyone can read in the code."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, DEFAULT_SECRET_KEY, algorithm="HS256")


@pytest.mark.parametrize("env", NON_DEMO_MODES)
def test_a_token_signed_with_the_shipped_secret_is_refused(
    env: str, tracker_url: str, tmp_path: Path
) -> None:
    # No secret configured: the product must make its own rather than fall back to one it ships.
    app = create_app(app_settings(tmp_path, tracker_url, env=env, secret_key=None))
    try:
        with TestClient(app) as client:
            real = login(client, "admin", ADMIN_PASSWORD)["Authorization"].removeprefix("Bearer ")
            assert client.get("/api/auth/me", headers=bearer(real)).status_code == 200
            forged = signed_with_the_shipped_secret(real)

            reply = client.get("/api/auth/me", headers=bearer(forged))
            assert "not valid" in assert_error(reply, 401, "AuthError")["message"]
            assert_error(client.get("/api/audit", headers=bearer(forged)), 401, "AuthError")

            # The pages, and the API reached with the cookie, refuse it as well.
            cookie = {"Cookie": f"{SESSION_COOKIE}={forged}"}
            page = client.get("/triage", headers=cookie, follow_redirects=False)
            assert (page.status_code, page.headers["location"]) == (303, "/login?next=/triage")
            assert_error(client.get("/api/auth/me", headers=cookie), 401, "AuthError")
            # The real token, as a cookie, still opens the page: only the forgery is refused.
            real_cookie = {"Cookie": f"{SESSION_COOKIE}={real}"}
            assert client.get("/triage", headers=real_cookie).status_code == 200
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize("env", NON_DEMO_MODES)
@pytest.mark.parametrize(
    ("setting", "value", "variable"),
    [
        ("secret_key", DEFAULT_SECRET_KEY, "YUQING_SECRET_KEY"),
        ("admin_password", DEFAULT_ADMIN_PASSWORD, "YUQING_ADMIN_PASSWORD"),
    ],
)
def test_the_shipped_secrets_are_refused_when_configured(
    env: str, setting: str, value: str, variable: str, tmp_path: Path
) -> None:
    chosen = {"secret_key": STRONG_SECRET, "admin_password": "Jade-otter-47-sails-north"}
    chosen[setting] = value
    with pytest.raises(ConfigError, match=variable):
        load_settings(env=env, data_dir=tmp_path, **chosen)
