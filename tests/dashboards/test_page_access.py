"""Who may open which page: every page route against every role, over real HTTP.

The routes come from the app itself (those tagged as pages), so a new page without an entry in
`PAGES` fails here; `tests/api/test_access.py` does the same for the API and leaves pages out.
Signed out, a page redirects to the log-in page; a role the page is not for gets a 403 page in
Chinese; admins pass every check, as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

from dashboards.views import is_page
from tests.dashboards.http import PageClient
from tests.dashboards.world import PASSWORD, Site
from yuqing.app import create_app

ANONYMOUS, ADMIN, ANALYST, LEADER, PRESS, HANDLER = (
    "anonymous", "admin", "analyst", "leader", "press", "handler",
)  # fmt: skip
ROLES = (ANONYMOUS, ADMIN, ANALYST, LEADER, PRESS, HANDLER)
SIGNED_IN = frozenset(ROLES) - {ANONYMOUS}
ANALYSTS = frozenset({ADMIN, ANALYST})
OFFICE = frozenset({ADMIN, ANALYST, LEADER, PRESS})
LEADERS = frozenset({ADMIN, LEADER})
PRESS_OFFICE = frozenset({ADMIN, PRESS})
HANDLERS = frozenset({ADMIN, HANDLER})
PUBLIC = frozenset(ROLES)

Query = Callable[[Site], str]


def _none(site: Site) -> str:
    return ""


PAGES: dict[tuple[str, str], tuple[frozenset[str], Query]] = {
    ("GET", "/"): (PUBLIC, _none),
    ("GET", "/login"): (PUBLIC, _none),
    ("POST", "/login"): (PUBLIC, _none),  # its own tests: tests/dashboards/test_sign_in.py
    ("POST", "/logout"): (SIGNED_IN, _none),
    ("GET", "/triage"): (ANALYSTS, _none),
    ("GET", "/triage/queue"): (ANALYSTS, _none),
    ("GET", "/triage/alerts"): (ANALYSTS, lambda s: "?since=0&seen=0"),
    ("GET", "/triage/sparklines.json"): (ANALYSTS, lambda s: f"?ids={s.ids['hot_outage']}"),
    ("GET", "/search"): (OFFICE, lambda s: "?q=%E5%81%9C%E6%B0%B4"),
    ("GET", "/search/results"): (OFFICE, lambda s: "?q=%E5%81%9C%E6%B0%B4"),
    ("GET", "/search/volume.json"): (OFFICE, lambda s: "?q=%E5%81%9C%E6%B0%B4"),
    ("GET", "/search/export.xlsx"): (OFFICE, lambda s: "?q=%E5%81%9C%E6%B0%B4"),
    ("GET", "/leader"): (LEADERS, _none),
    ("GET", "/leader/ranking"): (LEADERS, lambda s: "?quarter=2025Q3"),
    ("GET", "/leader/city.json"): (LEADERS, _none),
    ("GET", "/leader/districts.json"): (LEADERS, _none),
    ("GET", "/press"): (PRESS_OFFICE, _none),
    ("GET", "/press/candidates/{issue_id}"): (PRESS_OFFICE, _none),
    ("GET", "/issues/{issue_id}"): (SIGNED_IN, _none),  # handlers: their department's only
    ("GET", "/handler"): (HANDLERS, _none),
}
NOT_CHECKED_HERE = {("POST", "/login"), ("GET", "/login"), ("GET", "/")}


def page_routes() -> list[tuple[str, str]]:
    app = create_app()
    return [
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and is_page(context.endpoint)
        for method in sorted(context.methods)
    ]


def test_every_page_has_its_roles() -> None:
    served = page_routes()
    assert sorted(served) == sorted(PAGES), "PAGES and the served pages differ"
    for (method, path), (allowed, _) in PAGES.items():
        assert ADMIN in allowed, f"admins pass every role check: {method} {path}"


def _client(site: Site, role: str) -> PageClient:
    client = PageClient(site.base)
    if role == ANONYMOUS:
        return client
    password = PASSWORD
    if role == ADMIN:
        password = site.product.settings.admin_password.get_secret_value()
    assert client.sign_in(role, password).status == 303, role
    return client


def _call(site: Site, client: PageClient, role: str, method: str, path: str) -> Any:
    query = PAGES[(method, path)][1](site)
    url = path.replace("{issue_id}", str(site.ids["issue_b"])) + query
    if method == "POST":  # /logout, with the session's own CSRF token
        token = client.csrf_token("/") if role != ANONYMOUS else "x"
        return client.request("POST", url, form={"csrf_token": token})
    return client.get(url)


def test_each_role_against_every_page(site: Site) -> None:
    problems = []
    # Signing out ends the session, so it goes last.
    order = sorted(set(PAGES) - NOT_CHECKED_HERE, key=lambda key: key == ("POST", "/logout"))
    for role in ROLES:
        client = _client(site, role)
        for method, path in order:
            reply = _call(site, client, role, method, path)
            cell = f"{role} {method} {path} -> {reply.status}"
            allowed = role in PAGES[(method, path)][0]
            if role == ANONYMOUS:
                if reply.status != 303 or not reply.location.startswith("/login"):
                    problems.append(f"expected a redirect to /login: {cell} {reply.location}")
            elif allowed and reply.status not in (200, 303):
                problems.append(f"allowed but refused: {cell}")
            elif not allowed and (reply.status != 403 or "无权访问" not in reply.body):
                problems.append(f"expected the 403 page: {cell}")
    assert not problems, "\n".join(problems)
