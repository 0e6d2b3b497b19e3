"""The security headers on every page and answer, pages without inline code for the
Content-Security-Policy to allow, and the sign-in cookie marked Secure whenever the browser
came over HTTPS: directly, or through a proxy that `api.trusted_proxies` names.

That the pages also *run* under the policy (htmx swaps, ECharts draws, no violation reported)
is what every page test in tests/dashboards checks: their `new_page` fails on a violation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth.cookies import LOGIN_COOKIE, SESSION_COOKIE
from dashboards.templating import STATIC_DIR, TEMPLATES_DIR
from tests.helpers import ADMIN_PASSWORD, app_settings
from tests.security.pages import sign_in_page
from yuqing.app import create_app


def policy(reply) -> dict[str, list[str]]:
    """The Content-Security-Policy of `reply`, directive by directive."""
    header = reply.headers.get("content-security-policy")
    assert header, f"{reply.request.url} has no Content-Security-Policy"
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def assert_guarded(reply) -> None:
    assert reply.headers.get("x-content-type-options") == "nosniff", reply.request.url
    assert reply.headers.get("referrer-policy") == "same-origin", reply.request.url
    assert reply.headers.get("x-frame-options") == "DENY", reply.request.url


def test_every_page_and_answer_carries_the_security_headers(
    app: FastAPI, client: TestClient
) -> None:
    anonymous = [client.get("/login"), client.get("/search", follow_redirects=False)]
    sign_in_page(client, "admin", ADMIN_PASSWORD)
    answers = [
        *anonymous,
        client.get("/search", params={"q": "停水"}),
        client.get("/search/results", params={"q": "停水"}),  # an htmx fragment
        client.get("/search", params={"q": "NOT " * 50 + "停水"}),  # a 400 page
        client.get("/issues/999999"),  # the error page
        client.get("/leader/ranking", params={"quarter": "9999Q4"}),  # a 422 answer
        client.get("/static/js/app.js"),
        client.get("/api/posts/search", params={"q": "停水"}),
        client.get("/health"),
    ]
    assert [a.status_code for a in answers] == [200, 303, 200, 200, 400, 404, 422, 200, 200, 200]
    for reply in answers:
        assert_guarded(reply)
        directives = policy(reply)
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"]  # no inline script, no eval
        assert directives["style-src"] == ["'self'"]  # no <style> element
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]
        # The one allowance: style attributes (computed positions, ECharts' tooltips).
        unsafe = {n for n, values in directives.items() if any("unsafe" in v for v in values)}
        assert unsafe == {"style-src-attr"}, directives
    # FastAPI's own API documentation runs Swagger UI from a CDN and inline: not policed.
    docs = client.get("/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers
    assert_guarded(docs)


def test_no_page_has_inline_code_for_the_policy_to_refuse() -> None:
    templates = {  # as rendered: without Jinja's comments
        path.name: re.sub(r"\{#.*?#\}", "", path.read_text("utf-8"), flags=re.DOTALL)
        for path in Path(TEMPLATES_DIR).glob("*.html")
    }
    assert len(templates) > 10
    for name, text in templates.items():
        for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
            assert re.search(r'\ssrc="/static/', tag), (name, tag)  # served here, never inline
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", text), name
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), name  # onclick=...
        assert not re.search(r"\s(?:data-)?hx-on", text), name
        assert "javascript:" not in text.lower(), name
        assert not re.search(r"\s(?:data-)?hx-(?:vals|vars|headers)=['\"]\s*js:", text), name
        # htmx evaluates a trigger filter ([...]) as code, which allowEval: false forbids
        for trigger in re.findall(r'hx-trigger="([^"]*)"', text):
            assert "[" not in trigger, (name, trigger)
        assert "<style" not in text, name
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", templates["base.html"])
    assert config is not None
    assert '"allowEval": false' in config.group(1)
    assert '"includeIndicatorStyles": false' in config.group(1)
    own_script = (Path(STATIC_DIR) / "js" / "app.js").read_text("utf-8")
    assert "eval(" not in own_script and "new Function" not in own_script


@pytest.fixture
def behind_a_proxy(tmp_path: Path) -> FastAPI:
    """An app that trusts X-Forwarded-Proto from the proxies of 10.0.0.0/8 only."""
    settings = app_settings(tmp_path, api={"trusted_proxies": ["10.0.0.0/8"]})
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


def signed_in_cookies(app: FastAPI, base_url: str, peer: str, **headers: str) -> dict[str, str]:
    """The Set-Cookie lines of the log-in form and of signing in, by cookie name."""
    with TestClient(app, base_url=base_url, client=(peer, 50000)) as client:
        form = client.get("/login", headers=headers)
        nonce = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert nonce is not None
        reply = client.post(
            "/login",
            data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": nonce.group(1)},
            headers={**headers, "Cookie": f"{LOGIN_COOKIE}={nonce.group(1)}"},
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text[:300]
        lines = form.headers.get_list("set-cookie") + reply.headers.get_list("set-cookie")
    return {line.split("=", 1)[0]: line for line in lines if "Max-Age=0" not in line}


def is_secure(line: str) -> bool:
    return "secure" in [part.strip().lower() for part in line.split(";")]


@pytest.mark.parametrize(
    ("base_url", "peer", "headers", "secure"),
    [
        ("http://testserver", "10.1.2.3", {}, False),
        ("https://testserver", "203.0.113.9", {}, True),
        # Anyone can send the header; only a configured proxy is believed.
        ("http://testserver", "203.0.113.9", {"X-Forwarded-Proto": "https"}, False),
        ("http://testserver", "10.1.2.3", {"X-Forwarded-Proto": "https"}, True),
        ("http://testserver", "10.1.2.3", {"X-Forwarded-Proto": "http"}, False),
    ],
)
def test_the_sign_in_cookies_are_secure_when_the_browser_came_over_https(
    behind_a_proxy: FastAPI, base_url: str, peer: str, headers: dict[str, str], secure: bool
) -> None:
    cookies = signed_in_cookies(behind_a_proxy, base_url, peer, **headers)
    assert set(cookies) == {LOGIN_COOKIE, SESSION_COOKIE}
    for name, line in cookies.items():
        assert is_secure(line) is secure, (name, line)
        assert "httponly" in line.lower() and "samesite=strict" in line.lower(), line
