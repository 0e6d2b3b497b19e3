"""Signing in on the log-in page through a TestClient, as a browser does (nonce, cookie)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient


def sign_in_page(client: TestClient, username: str, password: str) -> Any:
    """Posts the log-in form with its nonce; the client keeps the session cookie it sets."""
    login = client.get("/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert nonce is not None, login.text[:500]
    form = {"username": username, "password": password, "csrf_token": nonce.group(1)}
    reply = client.post("/login", data=form, follow_redirects=False)
    assert reply.status_code == 303, reply.text[:500]
    return reply
