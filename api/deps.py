"""Request dependencies: settings, the post store, one database session, the signed-in user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, cast

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.audit import service as audit
from api.auth import service as auth_service
from api.auth import tokens as api_tokens
from api.auth.cookies import cookie_credential
from api.auth.models import Role, User
from api.database import abandon, finish, unit_of_work
from api.writes import WRITE_SESSION
from core.errors import AuthError, ForbiddenError, NotFoundError
from core.settings import Settings
from store.base import PostStore

TOKEN_URL = "/api/auth/token"

# auto_error=False: a missing token is answered by our own AuthError, in our error format.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, and each such hop costs more than the work these do.


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_store(request: Request) -> PostStore:
    return cast(PostStore, request.app.state.store)


async def get_factory(request: Request) -> sessionmaker[Session]:
    """For services that run units of work of their own (under the clustering lease)."""
    return cast("sessionmaker[Session]", request.app.state.session_factory)


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A session that reads: authentication's, and a read request's for its endpoint.

    Making a session does no I/O (it connects at its first query, in the endpoint's thread);
    finishing it does, so only that runs in the thread pool. An API token's time of use,
    noted while authenticating a read, is saved afterwards as a write of its own (queued
    like every write: `api.writes`).
    """
    session = request.app.state.read_factory()
    try:
        yield session
    except BaseException as exc:
        await run_in_threadpool(abandon, session, exc)
        raise
    await run_in_threadpool(finish, session)
    token_id = getattr(request.state, api_tokens.TOUCH_KEY, None)
    if token_id is not None and getattr(request.state, WRITE_SESSION, None) is None:
        async with request.app.state.write_gate:
            await run_in_threadpool(_touch, request.app.state.session_factory, token_id)


def _touch(factory: sessionmaker[Session], token_id: int) -> None:
    with unit_of_work(factory) as session:
        api_tokens.touch(session=session, token_id=token_id)


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


async def get_session(request: Request, read: ReadSessionDep) -> AsyncIterator[Session]:
    """The request's session: for a write, the one `api.writes` commits with the audit
    record after the endpoint (its answer waits for that); for a read, the read session."""
    write = getattr(request.state, WRITE_SESSION, None)
    yield write if write is not None else read


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[PostStore, Depends(get_store)]
FactoryDep = Annotated[sessionmaker[Session], Depends(get_factory)]
# scope="function": the commit happens before the response is sent, so a failed commit is
# reported to the client instead of being lost after a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_current_user(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    """The user a bearer credential stands for: a JWT from signing in, or an API token
    (``yq_...``) acting with its user's role; without one, the pages' sign-in cookie."""
    token = token or cookie_credential(request, settings)
    if not token:
        raise AuthError(f"sign in first: send the bearer token from POST {TOKEN_URL}")
    if api_tokens.is_api_token(token):
        api_token = api_tokens.authenticate(session=session, token=token)
        request.state.api_token_id = api_token.id
        if api_tokens.needs_touch(api_token):
            setattr(request.state, api_tokens.TOUCH_KEY, api_token.id)
        return active_user(request, session, api_token.user_id, claims=None)
    claims = auth_service.decode_access_token(token, settings=settings)
    return active_user(request, session, claims.user_id, claims=claims)


def active_user(
    request: Request, session: Session, user_id: int, *, claims: auth_service.AccessClaims | None
) -> User:
    """The account a verified credential names, if it still exists and is active and, for an
    access token (`claims`; None for an API token, a row of its own), the session is still on;
    noted as the request's actor for the audit log. The role is read from the database, not
    the token, so a change takes effect at once."""
    try:
        user = auth_service.get(session=session, user_id=user_id)
    except NotFoundError:
        user = None
    if user is None or not user.is_active:
        raise AuthError("this account does not exist or is disabled")
    if claims is not None and not claims.current_for(user):
        raise AuthError("this session has ended (signed out); sign in again")
    audit.note_actor(request.state, user_id=user.id, name=user.username)
    return user


def api_token_in_use(request: Request) -> int | None:
    """The id of the API token the request was authenticated with, if it was one."""
    return getattr(request.state, "api_token_id", None)


CurrentUser = Annotated[User, Depends(get_current_user)]


def json_response(model: BaseModel, *, headers: dict[str, str] | None = None) -> Response:
    """The model as a JSON answer, encoded once. Returning a `Response` from an endpoint skips
    FastAPI's validation and encoding against its `response_model`, which would do again what
    building the model already did; the `response_model` still documents the answer."""
    return Response(
        model.model_dump_json().encode(), media_type="application/json", headers=headers
    )


def require_roles(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets through the given roles, and admins always."""
    allowed = frozenset(roles)

    async def check_role(user: CurrentUser) -> User:
        if user.role is Role.ADMIN or user.role in allowed:
            return user
        names = ", ".join(sorted(allowed)) or "admin"
        raise ForbiddenError(f"this needs one of the roles {names}; you are {user.role}")

    return check_role
