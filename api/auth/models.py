"""The user table, the roles, and the request and response shapes of signing in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UTCDateTime, utcnow

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

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role}>"


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
