"""The security headers on every answer: a Content-Security-Policy that lets the pages run only
their own scripts, and the headers that stop sniffing, framing and leaking the address.

The policy (`POLICY`), directive by directive:

- `script-src 'self'`: the scripts in /static only. No page has an inline <script>, an inline
  event handler (onclick=, hx-on) or a `javascript:` link; the pages' behaviour is in
  /static/js/app.js. htmx runs with `allowEval: false` (base.html's htmx-config), so it never
  evaluates an attribute as code: the triage queue's "not while a field has focus" rule, which
  was an hx-trigger filter, is an htmx:confirm handler in app.js.
- `style-src 'self'; style-src-attr 'unsafe-inline'`: style sheets from /static only, and no
  <style> element (htmx's own indicator styles are turned off, `includeIndicatorStyles: false`,
  and their rules are in app.css); style *attributes* are allowed. The clock timelines place
  their bars with computed `style="left: …%"`, and ECharts writes its tooltips as HTML with
  style attributes. An injected style attribute can restyle an element but cannot run code,
  and the templates are autoescaped, so the allowance is for positions, not for markup.
- `img-src 'self' data:` (the empty `data:` favicon; ECharts draws on canvases), `font-src
  'self'` (Noto Sans SC from /static), `connect-src 'self'` (htmx and the charts' JSON).
- `object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`: no
  plug-ins, no <base> rewriting links, forms post only here, and no page inside another site's
  frame (also said as `X-Frame-Options: DENY` for browsers without frame-ancestors).

The API's own documentation page (FastAPI's Swagger UI, `/docs`) loads its script from a CDN
and starts it inline; it gets the other headers but not the policy (`unpoliced`).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer, unless the answer set its own;
    the policy on every path but those in `unpoliced`."""

    def __init__(self, app: ASGIApp, *, unpoliced: Iterable[str | None] = ()) -> None:
        self.app = app
        self.unpoliced = frozenset(path for path in unpoliced if path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(HEADERS)
        if scope["path"] not in self.unpoliced:
            extra.append(("Content-Security-Policy", POLICY))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
