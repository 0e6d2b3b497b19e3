"""Request dependencies: settings, the post store, one database session, the signed-in user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth import service as auth_service
from api.auth import tokens as api_tokens
from api.auth.models import Role, User
from api.database import unit_of_work
from store.base import PostStore
from yuqing.errors import AuthError, ForbiddenError
from yuqing.settings import Settings

TOKEN_URL = "/api/auth/token"

# auto_error=False: a missing token is answered by our own AuthError, in our error format.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> PostStore:
    return request.app.state.store


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed once if the request succeeded, else rolled back."""
    with unit_of_work(request.app.state.session_factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[PostStore, Depends(get_store)]
# scope="function": the commit happens before the response is sent, so a failed commit is
# reported to the client instead of being lost after a 200.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    """The user a bearer credential stands for: a JWT from signing in, or an API token
    (``yq_...``) acting with its user's role."""
    if not token:
        raise AuthError(f"sign in first: send the bearer token from POST {TOKEN_URL}")
    if api_tokens.is_api_token(token):
        api_token = api_tokens.authenticate(session=session, token=token)
        request.state.api_token_id = api_token.id
        user_id = api_token.user_id
    else:
        user_id = auth_service.decode_access_token(token, settings=settings)
    user = auth_service.get(session=session, user_id=user_id)
    # The role is read from the database, not the token, so a change takes effect at once.
    if user is None or not user.is_active:
        raise AuthError("this account does not exist or is disabled")
    audit.note_actor(request.state, user_id=user.id, name=user.username)
    return user


def api_token_in_use(request: Request) -> int | None:
    """The id of the API token the request was authenticated with, if it was one."""
    return getattr(request.state, "api_token_id", None)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[User], User]:
    """A dependency that lets through the given roles, and admins always."""
    allowed = frozenset(roles)

    def check_role(user: CurrentUser) -> User:
        if user.role is Role.ADMIN or user.role in allowed:
            return user
        names = ", ".join(sorted(allowed)) or "admin"
        raise ForbiddenError(f"this needs one of the roles {names}; you are {user.role}")

    return check_role
