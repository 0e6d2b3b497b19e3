"""Every page as one router, and the static files the pages use (served locally: no CDN).

Page routes stay out of the API's OpenAPI schema; their access rules are asserted by
`tests/dashboards/test_page_access.py`, the API's by `tests/api/test_access.py` (`is_page` tells
them apart).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from dashboards import auth, export, handler, issues, leader, press, search, triage
from dashboards.templating import STATIC_DIR

STATIC_PATH = "/static"

router = APIRouter(include_in_schema=False)
for _module in (auth, triage, search, export, leader, press, issues, handler):
    router.include_router(_module.router)


def is_page(endpoint: Callable[..., Any] | None) -> bool:
    """Whether a route's endpoint is one of the pages."""
    return getattr(endpoint, "__module__", "").startswith("dashboards.")


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
