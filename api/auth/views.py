"""Signing in, who am I, and user management for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import service
from api.auth.models import Role, TokenRead, User, UserCreate, UserRead
from api.deps import CurrentUser, SessionDep, SettingsDep, require_roles
from yuqing.errors import AuthError

router = APIRouter(prefix="/api/auth", tags=["auth"])

Admin = Annotated[User, Depends(require_roles(Role.ADMIN))]


@router.post("/token", response_model=TokenRead)
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenRead:
    """Exchange a username and password (OAuth2 password form) for a bearer token."""
    user = service.authenticate(session=session, username=form.username, password=form.password)
    if user is None:
        raise AuthError("wrong username or password")
    token = service.create_access_token(user=user, settings=settings)
    return TokenRead(access_token=token, role=user.role)


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
