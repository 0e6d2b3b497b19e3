"""Signing in and out of the pages, who may open which page, and the pages' error answers.

A page names the roles it is for (`page_user`); admins pass every check, as in the API. Signed
out, a page redirects to /login (an htmx request gets `HX-Redirect`); a signed-in user of
another role gets a 403 page in Chinese; a record the user may not see is a 404 page.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.audit import service as audit
from api.auth import service as auth_service
from api.auth import throttle
from api.auth.cookies import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    cookie_options,
    csrf_ok,
    csrf_token_for,
    new_login_nonce,
    nonce_ok,
)
from api.auth.models import Role, User
from api.deps import ReadSessionDep, SessionDep, SettingsDep, active_user
from core.errors import AuthError, PageError, RateLimited
from core.settings import Settings
from dashboards.templating import ROLE_LABELS, Viewer, render

router = APIRouter()

# Where each role lands after signing in.
HOME = {
    Role.ADMIN: "/triage",
    Role.ANALYST: "/triage",
    Role.LEADER: "/leader",
    Role.PRESS: "/press",
    Role.HANDLER: "/handler",
}


def page_error(status: int, message: str = "", user: User | None = None) -> PageError:
    """The error for a page that cannot be shown; it keeps a copy of the user, because the
    request's session is rolled back before the error page is drawn."""
    return PageError(status, message, Viewer.of(user) if user is not None else None)


def not_found(what: str, user: User | None = None) -> PageError:
    return page_error(404, what, user)


async def handle_page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    if exc.status == 401:
        target = "/login"
        if request.method == "GET" and "hx-request" not in request.headers:
            target += "?next=" + quote(_path_with_query(request), safe="/")
        if "hx-request" in request.headers:
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    title = {403: "无权访问", 404: "未找到"}.get(exc.status, "出错了")
    return render(
        request,
        "error.html",
        {"title": title, "status": exc.status, "message": exc.message},
        user=exc.viewer if isinstance(exc.viewer, Viewer) else None,
        status_code=exc.status,
    )


def over_https(request: Request, settings: Settings) -> bool:
    """Whether the browser reached the server over HTTPS: directly, or through a reverse proxy
    named in `api.trusted_proxies` that says so in X-Forwarded-Proto (the cookies are then
    Secure). A proxy on the server's own host may already have made the scheme https, since
    uvicorn trusts its local X-Forwarded-Proto."""
    if request.url.scheme == "https":
        return True
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if proto != "https" or request.client is None:
        return False
    try:
        peer = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(peer in network for network in settings.api.trusted_proxies)


def _path_with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _session_user(request: Request, session: ReadSessionDep, settings: SettingsDep) -> User:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise PageError(401)
    try:
        claims = auth_service.decode_access_token(token, settings=settings)
        user = active_user(request, session, claims.user_id, claims=claims)
    except AuthError as exc:
        raise PageError(401) from exc
    request.state.csrf_token = csrf_token_for(token, settings)
    return user


def page_user(*roles: Role) -> Callable[..., User]:
    """A dependency: the signed-in user if their role may open the page (admins always)."""
    allowed = frozenset(roles)

    def check(user: Annotated[User, Depends(_session_user)]) -> User:
        if allowed and user.role is not Role.ADMIN and user.role not in allowed:
            names = "、".join(ROLE_LABELS[r] for r in sorted(allowed))
            raise page_error(
                403, f"此页面仅供{names}使用，您的角色是{ROLE_LABELS[user.role]}。", user
            )
        return user

    return check


AnyUser = Annotated[User, Depends(page_user())]


@router.get("/")
def home(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Signed in: the role's own screen; signed out: the log-in page."""
    try:
        user = _session_user(request, session, settings)
    except PageError:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME[user.role], status_code=303)


def _login_page(
    request: Request,
    settings: Settings,
    *,
    error: str = "",
    username: str = "",
    next_url: str = "",
    status: int = 200,
) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_COOKIE) or new_login_nonce()
    response = render(
        request,
        "login.html",
        {"error": error, "username": username, "next": next_url, "nonce": nonce},
        status_code=status,
    )
    secure = over_https(request, settings)
    response.set_cookie(LOGIN_COOKIE, nonce, **cookie_options(secure=secure, max_age=3600))
    return response


def _safe_next(next_url: str | None) -> str:
    """Only a path of this site: never another host (`//evil`, `https://...`)."""
    if next_url and next_url.startswith("/") and not next_url.startswith(("//", "/\\")):
        return next_url
    return ""


@router.get("/login")
def login_form(request: Request, settings: SettingsDep, next: str = "") -> HTMLResponse:
    return _login_page(request, settings, next_url=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password as the API does (throttled, audited); set the session cookie."""
    next_url = _safe_next(next)
    name = auth_service.normalize_username(username)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce_ok(nonce, csrf_token):
        return _login_page(
            request,
            settings,
            error="页面已过期，请重新登录。",
            username=name,
            next_url=next_url,
            status=403,
        )
    ip = audit.client_ip(request.scope)
    actor = audit.Actor(user_id=None, name=name[:64] or None)
    try:
        attempt = throttle.claim(session=session, username=name, ip=ip)
    except RateLimited as exc:
        _audit_sign_in(session, request, actor, 429)
        session.commit()
        minutes = max(1, -(-exc.retry_after // 60))
        return _login_page(
            request,
            settings,
            error=f"登录失败次数过多，请 {minutes} 分钟后再试。",
            username=name,
            next_url=next_url,
            status=429,
        )
    session.commit()  # counted (as a failure until it succeeds) before the slow password check
    user = auth_service.authenticate(session=session, username=name, password=password)
    if user is None:
        _audit_sign_in(session, request, actor, 401)
        session.commit()
        return _login_page(
            request,
            settings,
            error="用户名或密码错误。",
            username=name,
            next_url=next_url,
            status=401,
        )
    throttle.succeeded(session=session, attempt=attempt)
    _audit_sign_in(session, request, audit.Actor(user_id=user.id, name=user.username), 303)
    token = auth_service.create_access_token(user=user, settings=settings)
    response = RedirectResponse(next_url or HOME[user.role], status_code=303)
    secure = over_https(request, settings)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        **cookie_options(secure=secure, max_age=settings.api.token_minutes * 60),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def _audit_sign_in(session: SessionDep, request: Request, actor: audit.Actor, status: int) -> None:
    audit.record(
        session=session,
        actor=actor,
        method="POST",
        path="/login",
        status_code=status,
        entity="sign_in",
        entity_id=None,
        detail={"page": True},
        ip=audit.client_ip(request.scope),
    )


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: AnyUser,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not csrf_ok(token, csrf_token, settings):
        raise page_error(403, "页面已过期，请刷新后再退出。", user)
    # Deleting the cookie forgets it in this browser only: the session itself ends, everywhere.
    auth_service.end_sessions(session=session, user_id=user.id)
    audit.record(
        session=session,
        actor=audit.Actor(user_id=user.id, name=user.username),
        method="POST",
        path="/logout",
        status_code=303,
        entity="sign_out",
        entity_id=str(user.id),
        detail={"page": True},
        ip=audit.client_ip(request.scope),
    )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
