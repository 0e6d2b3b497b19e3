"""The product's web application: the API with the web pages on it."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_api, prepare
from core.errors import PageError
from core.settings import Settings
from dashboards.auth import handle_page_error
from dashboards.headers import SecurityHeaders
from dashboards.views import STATIC_PATH, static_files
from dashboards.views import router as pages_router
from store.base import PostStore

__all__ = ["create_app", "prepare"]


def create_app(settings: Settings | None = None, store: PostStore | None = None) -> FastAPI:
    """The API (`api.app.create_api`) and the pages: each page names its roles and signs in
    with the cookie (`dashboards.auth`); scripts, styles and the font are served locally, and
    every answer carries the security headers of `dashboards.headers`."""
    app = create_api(settings, store)
    app.include_router(pages_router)
    app.mount(STATIC_PATH, static_files(), name="static")
    app.add_exception_handler(PageError, handle_page_error)
    app.add_middleware(
        SecurityHeaders, unpoliced=(app.docs_url, app.swagger_ui_oauth2_redirect_url)
    )
    return app
