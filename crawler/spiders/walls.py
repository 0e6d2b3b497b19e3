"""Telling a login wall from a reply: the conditions a source's `auth_failure` declares."""

from __future__ import annotations

import json

from scrapy.http import Response

from crawler.normalize import decode_body
from crawler.source_options import AuthFailure
from crawler.spiders.listing_items import dig


def login_wall(rule: AuthFailure, response: Response) -> str | None:
    """Which of the rule's conditions the reply meets, in words; None when it meets none."""
    if response.status in rule.statuses:
        return f"HTTP {response.status}"
    for target in _redirect_targets(response):
        for text in rule.redirect_contains:
            if text in target:
                return f"redirected to {target}"
    if not (rule.body_contains or rule.json_equals):
        return None
    body = decode_body(response.body, getattr(response, "encoding", None))
    for text in rule.body_contains:
        if text in body:
            return f"the reply contains {text!r}"
    if rule.json_equals:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        for path, expected in rule.json_equals.items():
            found = dig(data, path)
            if found is not None and (found == expected or str(found) == str(expected)):
                return f"{path} is {found!r}"
    return None


def _redirect_targets(response: Response) -> list[str]:
    """Where the request was sent on to: a 3xx reply's Location, or, once the redirects were
    followed, every URL after the first."""
    targets = []
    location = response.headers.get(b"Location")
    if 300 <= response.status < 400 and location:
        targets.append(response.urljoin(location.decode("latin-1")))
    redirected = response.meta.get("redirect_urls") if response.request is not None else None
    if redirected:
        targets += [*redirected[1:], response.url]
    return targets
