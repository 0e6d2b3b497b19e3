"""The API application: routers, the one error handler, health, and start-up. The web pages
are added by the composition root (`yuqing.app`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from anyio import to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.alerts.views import router as alerts_router
from api.audit.views import router as audit_router
from api.auth import service as auth_service
from api.auth.views import router as auth_router
from api.briefings.views import issue_router as briefing_issue_router
from api.briefings.views import router as briefings_router
from api.database import make_engine, make_read_factory, make_session_factory, ping
from api.departments.views import router as departments_router
from api.deps import get_current_user
from api.errors import ErrorBody, ErrorResponse, status_code_for
from api.hot_issues.views import router as hot_issues_router
from api.issues.views import router as issues_router
from api.migrating import migrate
from api.posts.views import router as posts_router
from api.reports.views import router as reports_router
from api.sources.views import router as sources_router
from api.writes import WriteMiddleware, read_slots, write_gate
from core.errors import (
    RateLimited,
    YuqingError,
)
from core.settings import Settings, get_settings
from store import open_store
from store.base import PostStore

log = logging.getLogger(__name__)

TITLE = "yuqing 舆情监测与回应跟踪 API"


class ComponentHealth(BaseModel):
    ok: bool


class StoreHealth(ComponentHealth):
    backend: str


class HealthRead(BaseModel):
    status: Literal["ok", "degraded"]
    store: StoreHealth
    database: ComponentHealth


def _error(
    status: int,
    kind: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(type=kind, message=message, details=details))
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers
    )


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    details = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err.get("loc", ()))
        details.append({"field": where, "message": err.get("msg", "invalid")})
    message = "; ".join(f"{d['field']}: {d['message']}" for d in details) or "invalid request"
    return f"the request is not valid: {message}", details


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """The one place where errors become HTTP answers; a traceback never reaches a client."""
    if isinstance(exc, YuqingError):
        status = status_code_for(exc)
        if status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        return _error(status, type(exc).__name__, str(exc), headers=headers)
    if isinstance(exc, RequestValidationError):
        message, details = _describe_validation(exc)
        return _error(422, "ValidationError", message, details=details)
    if isinstance(exc, StarletteHTTPException):
        return _error(
            exc.status_code, "HTTPError", str(exc.detail), headers=dict(exc.headers or {}) or None
        )
    log.error("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
    return _error(500, "InternalError", "an unexpected error occurred; it has been logged")


def prepare(app: FastAPI) -> None:
    """Bring the schema up to date and make sure someone can sign in.

    Runs at start-up; `yuqing serve` also runs it once before starting several processes, so
    that they do not all migrate a new database at once.
    """
    migrate(app.state.engine)
    with app.state.session_factory() as session:
        created = auth_service.ensure_admin(session=session, settings=app.state.settings)
        try:
            session.commit()
        except IntegrityError:
            # Several server processes start at once: another one created it first.
            session.rollback()
            created = None
    if created is not None:
        log.info("tracker database ready; created the admin user")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Sync endpoints and dependencies run in anyio's thread pool: api.threads reads at once,
    # and one thread more for the write holding the write gate (api/writes.py).
    to_thread.current_default_thread_limiter().total_tokens = app.state.settings.api.threads + 1
    try:
        prepare(app)
    except YuqingError as exc:
        log.error("the API cannot start: %s", exc)
        raise
    try:
        yield
    finally:
        if app.state.owns_store:
            app.state.store.close()
        app.state.engine.dispose()


def create_api(settings: Settings | None = None, store: PostStore | None = None) -> FastAPI:
    """The API, wired to the settings' tracker database and post store (or the store given).

    Nothing connects here; start-up (the ASGI lifespan) migrates the database and creates the
    admin user if there is none.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title=TITLE,
        version="0.1.0",
        lifespan=_lifespan,
        redoc_url=None,
        responses={
            code: {"model": ErrorResponse, "description": text}
            for code, text in (
                (400, "bad input"),
                (401, "not signed in"),
                (403, "role not allowed"),
                (422, "malformed request"),
                (503, "a store is unavailable"),
            )
        },
    )
    engine = make_engine(settings.database.url, echo=settings.database.echo)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.read_factory = make_read_factory(engine)
    app.state.write_gate = write_gate()
    app.state.read_slots = read_slots(app.state.settings.api.threads)
    app.state.owns_store = store is None
    app.state.store = store if store is not None else open_store(settings)

    for exc_class in (YuqingError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_class, handle_error)

    app.include_router(auth_router)
    # Inside the error handling for expected errors, so it records the status clients get.
    app.add_middleware(WriteMiddleware)
    # Belt and braces: these routers refuse anonymous calls even if an endpoint forgot a role.
    signed_in = [Depends(get_current_user)]
    app.include_router(alerts_router, dependencies=signed_in)
    app.include_router(hot_issues_router, dependencies=signed_in)
    app.include_router(audit_router, dependencies=signed_in)
    app.include_router(briefings_router, dependencies=signed_in)
    app.include_router(briefing_issue_router, dependencies=signed_in)
    app.include_router(departments_router, dependencies=signed_in)
    app.include_router(issues_router, dependencies=signed_in)
    app.include_router(posts_router, dependencies=signed_in)
    app.include_router(reports_router, dependencies=signed_in)
    app.include_router(sources_router, dependencies=signed_in)

    @app.get("/health", response_model=HealthRead, tags=["health"])
    def health(request: Request) -> HealthRead:
        """Whether the post store and the tracker database answer. Public; never fails."""
        state = request.app.state
        try:
            store_ok = bool(state.store.ping())
        except Exception:  # a broken backend must not break the health check
            log.warning("post store ping raised", exc_info=True)
            store_ok = False
        database_ok = ping(state.engine)
        return HealthRead(
            status="ok" if store_ok and database_ok else "degraded",
            store=StoreHealth(backend=str(getattr(state.store, "backend", "unknown")), ok=store_ok),
            database=ComponentHealth(ok=database_ok),
        )

    return app
