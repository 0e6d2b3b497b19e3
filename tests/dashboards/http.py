"""The pages over plain HTTP with a cookie jar (urllib, the real network stack): what a browser
sends, for checks a browser hides (redirects, cookie attributes, refused requests)."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Reply:
    status: int
    headers: Message
    body: str

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class PageClient:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        data, sent = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        url = self.base + urllib.parse.quote(path, safe="/?=&%:")
        request = urllib.request.Request(url, data, sent, method=method)
        try:
            with self.opener.open(request, timeout=30) as reply:
                return Reply(reply.status, reply.headers, reply.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.headers, exc.read().decode("utf-8", "replace"))

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def sign_in(self, username: str, password: str) -> Reply:
        page = self.get("/login")
        nonce = re.search(r'name="csrf_token" value="([^"]+)"', page.body)
        assert nonce is not None, page.body[:500]
        return self.request(
            "POST",
            "/login",
            form={"username": username, "password": password, "csrf_token": nonce.group(1)},
        )

    def csrf_token(self, path: str = "/") -> str:
        """The session's CSRF token, as a page hands it to htmx."""
        reply = self.get(path)
        if reply.status == 303:
            reply = self.get(reply.location)
        found = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', reply.body)
        assert found is not None, reply.body[:500]
        return found.group(1)

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((c for c in self.jar if c.name == name), None)
