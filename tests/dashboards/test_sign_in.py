"""Signing in on the pages: the log-in page, each role's own screen, the Chinese 403 page, the
session cookie (HttpOnly, SameSite=Strict) and the CSRF token every cookie write needs."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from api.auth.cookies import CSRF_HEADER, SESSION_COOKIE
from tests.dashboards.browser import screenshot, sign_in
from tests.dashboards.http import PageClient
from tests.dashboards.world import PASSWORD, Site

HOMES = {
    "analyst": ("/triage", "热点研判队列"),
    "leader": ("/leader", "回应时效总览"),
    "press": ("/press", "新闻发布与回应效果"),
    "handler": ("/handler", "市住建局 · 待办"),
}


def test_signed_out_pages_send_you_to_the_login_page(site: Site) -> None:
    client = PageClient(site.base)
    root = client.get("/")
    assert (root.status, root.location) == (303, "/login")
    for path in ("/triage", "/leader", "/press", "/handler", "/search", "/issues/1"):
        reply = client.get(path)
        assert reply.status == 303, (path, reply.status)
        assert reply.location == f"/login?next={path}", reply.location
    # An htmx request (a poll, a fragment) is told where to go instead of being redirected.
    poll = client.get("/triage/alerts", headers={"HX-Request": "true"})
    assert poll.status == 401 and poll.headers["HX-Redirect"] == "/login"
    login = client.get("/login")
    assert login.status == 200
    assert "江澜市舆情回应办公室" in login.body and "用户名" in login.body and "密码" in login.body


def test_each_role_lands_on_its_own_screen(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    page.goto(site.base + "/")
    assert page.url == site.base + "/login"
    screenshot(page, "login")
    for role, (home, heading) in HOMES.items():
        page = new_page()
        sign_in(page, site, role)
        assert page.url == site.base + home, role
        expect(page.locator("h1").first).to_have_text(heading)
        expect(page.locator(".who-name")).to_have_text(role)
        page.goto(site.base + "/")  # signed in, / goes to the role's screen
        assert page.url == site.base + home, role


def test_the_login_page_refuses_a_wrong_password_in_chinese(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    sign_in(page, site, "analyst", "not-the-password")
    assert page.url.startswith(site.base + "/login")
    expect(page.locator(".error")).to_have_text("用户名或密码错误。")
    audit = site.api("admin").ok("GET", "/api/audit?entity=sign_in")
    refused = [e for e in audit["items"] if e["path"] == "/login" and e["status_code"] == 401]
    assert refused and refused[0]["actor_name"] == "analyst"


def test_another_roles_page_is_a_403_in_chinese(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    sign_in(page, site, "press")
    reply = page.goto(site.base + "/triage")
    assert reply is not None and reply.status == 403
    expect(page.locator("h1")).to_have_text("403 · 无权访问")
    expect(page.locator(".error-page")).to_contain_text("此页面仅供舆情研判员使用")
    screenshot(page, "forbidden")
    client = PageClient(site.base)
    client.sign_in("handler", PASSWORD)
    for path in ("/leader", "/press", "/triage/queue", "/search", "/leader/city.json"):
        reply = client.get(path)
        assert reply.status == 403 and "无权访问" in reply.body, (path, reply.status)


def _set_cookie_headers(reply: Any) -> list[str]:
    return reply.headers.get_all("Set-Cookie") or []


def test_the_session_cookie_is_strict_and_cookie_writes_need_the_csrf_token(site: Site) -> None:
    client = PageClient(site.base)
    signed = client.sign_in("analyst", PASSWORD)
    assert (signed.status, signed.location) == (303, "/triage")
    [session_cookie] = [h for h in _set_cookie_headers(signed) if h.startswith(SESSION_COOKIE)]
    attributes = {part.strip().lower() for part in session_cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes, session_cookie

    issue_id = site.ids["issue_new"]
    comments = f"/api/issues/{issue_id}/comments"
    # The cookie alone signs in a read of the API ...
    assert client.get(f"/api/issues/{issue_id}").status == 200
    # ... but not a write: that needs the page's CSRF token too.
    missing = client.request("POST", comments, body={"text": "没有令牌"})
    assert missing.status == 403 and missing.json()["error"]["type"] == "ForbiddenError"
    wrong = client.request(
        "POST", comments, body={"text": "错误令牌"}, headers={CSRF_HEADER: "0" * 40}
    )
    assert wrong.status == 403
    token = client.csrf_token("/triage")
    done = client.request("POST", comments, body={"text": "令牌正确"}, headers={CSRF_HEADER: token})
    assert done.status == 201, done.body

    admin = site.api("admin")
    texts = [
        e["payload"].get("text")
        for e in admin.ok("GET", f"/api/issues/{issue_id}")["timeline"]
        if e["type"] == "comment"
    ]
    assert texts == ["令牌正确"]
    # Refused and accepted cookie writes are both in the audit log, as API calls are.
    audit = admin.ok("GET", f"/api/audit?entity=issue&entity_id={issue_id}")["items"]
    statuses = sorted(e["status_code"] for e in audit if e["path"] == comments)
    assert statuses == [201, 403, 403]
    assert [e["actor_name"] for e in audit if e["status_code"] == 201] == ["analyst"]

    # Signing out needs the token as well; afterwards the pages send you to the login page.
    assert client.request("POST", "/logout", form={"csrf_token": "x"}).status == 403
    out = client.request("POST", "/logout", form={"csrf_token": token})
    assert (out.status, out.location) == (303, "/login")
    assert client.cookie(SESSION_COOKIE) is None
    assert client.get("/triage").status == 303


def test_the_login_form_needs_its_own_nonce(site: Site) -> None:
    client = PageClient(site.base)
    client.get("/login")
    forged = client.request(
        "POST", "/login", form={"username": "analyst", "password": PASSWORD, "csrf_token": "x"}
    )
    assert forged.status == 403 and "页面已过期" in forged.body
    assert client.cookie(SESSION_COOKIE) is None
    stranger = PageClient(site.base)  # no nonce cookie at all
    refused = stranger.request(
        "POST", "/login", form={"username": "analyst", "password": PASSWORD, "csrf_token": "x"}
    )
    assert refused.status == 403 and stranger.cookie(SESSION_COOKIE) is None
