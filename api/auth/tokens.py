"""API tokens for machines: minting, checking, listing and revoking them.

A token reads ``yq_<prefix>_<secret>``. The prefix finds the row and is shown in lists; only
the SHA-256 of the whole token is stored. The secret is 32 random bytes, so a fast hash is
enough: there is nothing to guess by brute force, unlike a password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.auth.models import ApiToken, Role, User
from api.database import utcnow
from core.errors import AuthError, InputError, NotFoundError

TOKEN_MARK = "yq_"
PREFIX_BYTES = 4  # eight hex characters
SECRET_BYTES = 32
# Saving the time of use on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Where authentication leaves the id of an API token whose time of use is to be saved.
TOUCH_KEY = "api_token_touch"


def is_api_token(bearer: str) -> bool:
    """Whether a bearer credential is one of ours rather than a JWT (which never starts so)."""
    return bearer.startswith(TOKEN_MARK)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    *, session: Session, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`, and its full text, which is not kept anywhere."""
    if not user.is_active:
        raise InputError(f"the account {user.username!r} is disabled")
    if expires_at is not None and expires_at <= utcnow():
        raise InputError("expires_at must be in the future")
    while True:
        prefix = secrets.token_hex(PREFIX_BYTES)
        if session.scalar(select(ApiToken.id).where(ApiToken.prefix == prefix)) is None:
            break
    token = f"{TOKEN_MARK}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=prefix,
        token_hash=_digest(token),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, token


def authenticate(*, session: Session, token: str, now: datetime | None = None) -> ApiToken:
    """The live token row for a bearer token, or `AuthError` saying why it is refused."""
    now = now or utcnow()
    prefix, _, secret = token.removeprefix(TOKEN_MARK).partition("_")
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == prefix)) if secret else None
    if row is None or not hmac.compare_digest(row.token_hash, _digest(token)):
        raise AuthError("the API token is not valid")
    if row.revoked_at is not None:
        raise AuthError(
            f"the API token {row.prefix} was revoked at {row.revoked_at:%Y-%m-%d %H:%M} UTC"
        )
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthError(
            f"the API token {row.prefix} expired at {row.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    return row


def needs_touch(row: ApiToken, now: datetime | None = None) -> bool:
    """Whether the token's time of use is older than the resolution it is kept at."""
    now = now or utcnow()
    return row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION


def touch(*, session: Session, token_id: int, now: datetime | None = None) -> None:
    """Note that the token was used now (authentication reads; this is the write)."""
    session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now or utcnow())
    )


def list_tokens(*, session: Session, user_id: int | None = None) -> list[ApiToken]:
    """Every token, or one user's, newest first."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))


def revoke(*, session: Session, token_id: int, by: User) -> ApiToken:
    """Revoke a token of `by` (any token for an admin); revoking twice keeps the first time."""
    row = session.get(ApiToken, token_id)
    # Someone else's token is "not found", so ids do not reveal whose tokens exist.
    if row is None or (row.user_id != by.id and by.role is not Role.ADMIN):
        raise NotFoundError(f"no API token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row
