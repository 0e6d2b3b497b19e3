"""The user table, the roles, and the request and response shapes of signing in."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, RequestTime, UTCDateTime, utcnow

MIN_PASSWORD_LENGTH = 8
# Hashing is deliberately slow; a megabyte-long "password" must not make it slower still.
MAX_PASSWORD_LENGTH = 1024


class Role(StrEnum):
    """What a user does in the office; an admin may do everything."""

    ADMIN = "admin"
    ANALYST = "analyst"  # 舆情分析员: triages alerts, promotes and assigns issues
    LEADER = "leader"  # 领导: reviews timelines, clocks and department rankings
    PRESS = "press"  # 新闻发言人/宣传: briefings and first public statements
    HANDLER = "handler"  # 部门承办人: only their own department's issues and work orders


def _enum_values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def new_session_stamp() -> str:
    return secrets.token_hex(16)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{r.value}'" for r in Role) + ")", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored in lower case: usernames are compared without regard to case.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=_enum_values)
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Every access token carries the stamp its user had when it was issued, and counts only
    # while the user still has it. Signing out draws a new one, which ends every session at
    # once; an account that takes a deleted one's id has a stamp of its own.
    session_stamp: Mapped[str] = mapped_column(String(32), default=new_session_stamp)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role}>"


class ApiToken(Base):
    """A long-lived bearer token for a machine, acting with its user's role.

    Only a hash of the secret is kept; the full token is shown once, when it is created.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Shown in lists so a person can tell tokens apart, and used to find the row.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix!r} of user {self.user_id}>"


class LoginAttempt(Base):
    """One sign-in attempt, kept so that every API process sees the same failure counts."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index(None, "username", "at"),
        Index(None, "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)


class LoginLock(Base):
    """A row per username (``name:…``) and per client address (``ip:…``) that signs in, locked
    while an attempt is checked and counted (`api.auth.throttle`), so that parallel attempts
    are counted one after another."""

    __tablename__ = "login_locks"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    # The last attempt that took the lock.
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    role: Role
    department_id: int | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    department_id: int | None
    is_active: bool
    created_at: datetime


class TokenRead(BaseModel):
    """The OAuth2 token response, plus the role so a dashboard can pick its pages."""

    access_token: str
    token_type: str = "bearer"
    role: Role


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100, description="What the token is for.")
    expires_at: RequestTime | None = Field(
        default=None, description="When the token stops working; never if left out."
    )
    user_id: int | None = Field(
        default=None, description="Whose token it is (admins only); yours if left out."
    )


class ApiTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    """The new token's record and, this once only, the token itself."""

    token: str
