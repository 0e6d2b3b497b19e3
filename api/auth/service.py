"""Users: creating them, checking their passwords, and the bearer tokens they sign in with."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.auth.models import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Role,
    User,
    new_session_stamp,
)
from api.departments.models import Department
from core.credentials import kept_secret, make_password
from core.errors import AuthError, ConfigError, ConflictError, InputError, NotFoundError
from core.settings import ADMIN_PASSWORD_FILE, Settings

log = logging.getLogger(__name__)

TOKEN_ALGORITHM = "HS256"
ADMIN_USERNAME = "admin"

_password_hash = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _password_hash.verify(password, password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _password_hash.hash("not-a-real-password")


def normalize_username(username: str) -> str:
    return username.strip().lower()


def get(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist")
    return user


def find_by_username(*, session: Session, username: str) -> User | None:
    """The account with this user name (any case), if there is one."""
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def usernames(*, session: Session, user_ids: set[int]) -> dict[int, str]:
    """The user names of these accounts by id."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    return {i: name for i, name in rows}


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    department_id: int | None = None,
) -> User:
    """A new active user with a hashed password; `role` may come as text (a form, the CLI)."""
    name = normalize_username(username)
    if not name or len(name) > 64 or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise InputError("a username is 1 to 64 characters without spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"a password may have at most {MAX_PASSWORD_LENGTH} characters")
    try:
        role = Role(role)
    except ValueError as exc:
        raise InputError(f"unknown role {role!r}; one of {', '.join(Role)}") from exc
    if department_id is not None and session.get(Department, department_id) is None:
        raise InputError(f"department {department_id} does not exist")
    if role is Role.HANDLER and department_id is None:
        raise InputError("a handler must belong to a department")
    if find_by_username(session=session, username=name) is not None:
        raise ConflictError(f"the username {name!r} is taken")
    user = User(
        username=name,
        password_hash=hash_password(password),
        role=role,
        department_id=department_id,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = find_by_username(session=session, username=username)
    if user is None or not user.is_active:
        # Verify anyway, so the answer takes as long whether or not the user exists.
        verify_password(password, _dummy_hash())
        return None
    valid, new_hash = _password_hash.verify_and_update(password, user.password_hash)
    if not valid:
        return None
    if new_hash is not None:
        user.password_hash = new_hash
    return user


def ensure_admin(*, session: Session, settings: Settings) -> User | None:
    """Create the `admin` user if no admin exists, so a fresh install can sign in: with the
    configured admin password, else with one made for it and kept in the data directory (the
    log says where).

    Returns the new user, or None when nothing was created.
    """
    if session.scalar(select(User.id).where(User.role == Role.ADMIN).limit(1)) is not None:
        return None
    if find_by_username(session=session, username=ADMIN_USERNAME) is not None:
        log.warning(
            "no admin exists and the username %r belongs to a non-admin; not creating one",
            ADMIN_USERNAME,
        )
        return None
    password = settings.admin_password.get_secret_value() if settings.admin_password else ""
    # Several server processes may get here at once: they all read back one kept password.
    kept = None if password else settings.secret_file(ADMIN_PASSWORD_FILE)
    if kept is not None:
        password = kept_secret(kept, make_password)
    try:
        user = create_user(
            session=session, username=ADMIN_USERNAME, password=password, role=Role.ADMIN
        )
    except InputError as exc:
        raise ConfigError(f"admin_password is not usable: {exc}") from exc
    if kept is None:
        log.info("created the user %r with the configured admin password", ADMIN_USERNAME)
    else:
        log.warning(
            "created the user %r with a random password, kept in %s (readable by this account"
            " only); YUQING_ADMIN_PASSWORD sets one instead",
            ADMIN_USERNAME,
            kept,
        )
    return user


def end_sessions(*, session: Session, user_id: int) -> None:
    """Revoke every access token (bearer or sign-in cookie) issued to the user so far; the API
    tokens of `api.auth.tokens` are revoked one by one. Whatever changes a user's password must
    call this too. (An UPDATE, not a change to a loaded `User`: authentication loads the user
    in a session that only reads.)"""
    session.execute(
        update(User).where(User.id == user_id).values(session_stamp=new_session_stamp())
    )


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says: whose it is, and the session stamp that user had when
    it was issued."""

    user_id: int
    stamp: str

    def current_for(self, user: User) -> bool:
        """Whether the token still counts for `user`: no sign-out since it was issued, and not
        an account that took the id of a deleted one."""
        return user.id == self.user_id and hmac.compare_digest(user.session_stamp, self.stamp)


def create_access_token(*, user: User, settings: Settings, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "role": user.role.value,
        "stamp": user.session_stamp,
        "iat": issued,
        "exp": issued + timedelta(minutes=settings.api.token_minutes),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=TOKEN_ALGORITHM)


def decode_access_token(token: str, *, settings: Settings) -> AccessClaims:
    """Whose a validly signed, unexpired token is; `AuthError` for any other token. Whether
    the session it stands for is still on is `AccessClaims.current_for` the user."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
        stamp = claims.get("stamp")  # checked here, so that an old token is told it expired
        if not isinstance(stamp, str):
            raise ValueError("no session stamp")
        return AccessClaims(user_id=int(claims["sub"]), stamp=stamp)
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("the token has expired; sign in again") from exc
    except (jwt.InvalidTokenError, TypeError, ValueError) as exc:
        raise AuthError("the token is not valid; sign in again") from exc
