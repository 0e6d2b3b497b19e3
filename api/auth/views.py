"""Signing in, who am I, user management for admins, and API tokens for machines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from api.audit import service as audit
from api.auth import service, throttle
from api.auth import tokens as api_tokens
from api.auth.models import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    Role,
    TokenRead,
    User,
    UserCreate,
    UserRead,
)
from api.deps import CurrentUser, SessionDep, SettingsDep, api_token_in_use, require_roles
from core.errors import AuthError, ForbiddenError, InputError, NotFoundError

router = APIRouter(prefix="/api/auth", tags=["auth"])

Admin = Annotated[User, Depends(require_roles(Role.ADMIN))]


@router.post(
    "/token",
    response_model=TokenRead,
    responses={429: {"description": "too many failed sign-ins; see Retry-After"}},
)
def sign_in(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenRead:
    """Exchange a username and password (OAuth2 password form) for a bearer token."""
    username = service.normalize_username(form.username)
    ip = audit.client_ip(request.scope)
    audit.note_actor(request.state, user_id=None, name=username)
    attempt = throttle.claim(session=session, username=username, ip=ip)
    # Counted (as a failure until it succeeds) before the slow password check, so that the
    # refusal below, which rolls the request's session back, leaves it counted.
    session.commit()
    user = service.authenticate(session=session, username=username, password=form.password)
    if user is None:
        raise AuthError("wrong username or password")
    throttle.succeeded(session=session, attempt=attempt)
    audit.note_actor(request.state, user_id=user.id, name=user.username)
    token = service.create_access_token(user=user, settings=settings)
    return TokenRead(access_token=token, role=user.role)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={400: {"description": "an API token is revoked on its own"}},
)
def sign_out(user: CurrentUser, session: SessionDep, request: Request) -> Response:
    """End every session of yours: each bearer token and sign-in cookie issued to you so far
    stops working. API tokens are revoked one by one, with DELETE /api/auth/tokens/{id}."""
    token_id = api_token_in_use(request)
    if token_id is not None:
        raise InputError(
            f"an API token is no session: revoke it with DELETE /api/auth/tokens/{token_id}"
        )
    service.end_sessions(session=session, user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.get("/users", response_model=list[UserRead])
def list_users(_: Admin, session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in service.list_users(session=session)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, _: Admin, session: SessionDep) -> UserRead:
    user = service.create_user(
        session=session,
        username=body.username,
        password=body.password,
        role=body.role,
        department_id=body.department_id,
    )
    return UserRead.model_validate(user)


@router.post("/tokens", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED)
def create_api_token(
    body: ApiTokenCreate, user: CurrentUser, session: SessionDep, request: Request
) -> ApiTokenCreated:
    """A new API token, for yourself or (admins) for another user. The response holds the
    token itself, and it is shown this once only: store it now."""
    if api_token_in_use(request) is not None:
        # Else a leaked token could mint successors that outlive its revocation.
        raise ForbiddenError("an API token cannot create API tokens; sign in with a password")
    owner = user
    if body.user_id is not None and body.user_id != user.id:
        if user.role is not Role.ADMIN:
            raise ForbiddenError("only an admin may create API tokens for another user")
        try:
            owner = service.get(session=session, user_id=body.user_id)
        except NotFoundError as exc:
            raise InputError(str(exc)) from exc
    row, token = api_tokens.create(
        session=session, user=owner, name=body.name, expires_at=body.expires_at
    )
    return ApiTokenCreated(**ApiTokenRead.model_validate(row).model_dump(), token=token)


@router.get("/tokens", response_model=list[ApiTokenRead])
def list_api_tokens(user: CurrentUser, session: SessionDep) -> list[ApiTokenRead]:
    """Your API tokens; an admin sees everyone's."""
    owner = None if user.role is Role.ADMIN else user.id
    return [
        ApiTokenRead.model_validate(t)
        for t in api_tokens.list_tokens(session=session, user_id=owner)
    ]


@router.delete("/tokens/{token_id}", response_model=ApiTokenRead)
def revoke_api_token(token_id: int, user: CurrentUser, session: SessionDep) -> ApiTokenRead:
    """Revoke an API token of yours (an admin: anyone's); it stops working at once."""
    return ApiTokenRead.model_validate(
        api_tokens.revoke(session=session, token_id=token_id, by=user)
    )
