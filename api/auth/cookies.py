"""The pages' sign-in cookie and its CSRF token.

Signing in on the log-in page puts the same JWT the API hands out into an HttpOnly,
SameSite=Strict cookie. The API accepts it in place of a bearer token (`api.deps`), so the
pages (`dashboards/`) write through the very endpoints, role checks and audit trail the API
has. A request authenticated by the cookie that changes something must also carry the
session's CSRF token (header `X-CSRF-Token`, which htmx sends from the page's `hx-headers`, or
the form field `csrf_token`): an HMAC of the session's JWT, so it is per session and needs no
storage.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from core.errors import ForbiddenError
from core.settings import Settings

SESSION_COOKIE = "yq_session"
# A random value for the log-in form (double submit), before there is a session to tie to.
LOGIN_COOKIE = "yq_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token_for(session_token: str, settings: Settings) -> str:
    """The CSRF token of the session that `session_token` (the cookie's JWT) stands for."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(session_token: str, sent: str | None, settings: Settings) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token_for(session_token, settings), sent or "")


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def nonce_ok(expected: str, sent: str | None) -> bool:
    """Whether the log-in form sent back the nonce of its own cookie."""
    return bool(expected) and bool(sent) and hmac.compare_digest(expected, sent or "")


def cookie_credential(request: Any, settings: Settings) -> str | None:
    """The session cookie's JWT, or None without one; a write that does not carry the
    session's CSRF token in `X-CSRF-Token` is refused (`ForbiddenError`)."""
    token: str | None = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    if request.method not in SAFE_METHODS and not csrf_ok(
        token, request.headers.get(CSRF_HEADER), settings
    ):
        raise ForbiddenError(
            f"a change made with the sign-in cookie needs the page's {CSRF_HEADER} header"
        )
    return token


def cookie_options(*, secure: bool, max_age: int) -> dict[str, Any]:
    return {
        "max_age": max_age,
        "httponly": True,
        "samesite": "strict",
        "secure": secure,
        "path": "/",
    }
