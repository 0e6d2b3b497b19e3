"""Tracked issues, their timeline events, and the request and response shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UTCDateTime, utcnow


class Severity(StrEnum):
    """The four grades of China's emergency-response rules, stored as English codes.

        general            一般      (grade IV)
        relatively_major   较大      (grade III)
        major              重大      (grade II)   "major emergency" in the State Council rules
        especially_major   特别重大  (grade I)

    The Chinese label, for people, is in `SEVERITY_LABELS` and in `IssueRead.severity_label`.
    """

    GENERAL = "general"
    RELATIVELY_MAJOR = "relatively_major"
    MAJOR = "major"
    ESPECIALLY_MAJOR = "especially_major"


SEVERITY_LABELS = {
    Severity.GENERAL: "一般",
    Severity.RELATIVELY_MAJOR: "较大",
    Severity.MAJOR: "重大",
    Severity.ESPECIALLY_MAJOR: "特别重大",
}


class IssueStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    RESPONDED = "responded"
    CLOSED = "closed"
    DISMISSED = "dismissed"


STATUS_LABELS = {
    IssueStatus.NEW: "新建",
    IssueStatus.TRIAGED: "已研判",
    IssueStatus.ASSIGNED: "已交办",
    IssueStatus.RESPONDED: "已回应",
    IssueStatus.CLOSED: "已办结",
    IssueStatus.DISMISSED: "已排除",
}

# Where an issue may go from each status. Going back (closed → assigned, dismissed → new)
# reopens it.
TRANSITIONS: dict[IssueStatus, frozenset[IssueStatus]] = {
    IssueStatus.NEW: frozenset({IssueStatus.TRIAGED, IssueStatus.ASSIGNED, IssueStatus.DISMISSED}),
    IssueStatus.TRIAGED: frozenset({IssueStatus.ASSIGNED, IssueStatus.DISMISSED}),
    IssueStatus.ASSIGNED: frozenset({IssueStatus.RESPONDED, IssueStatus.TRIAGED}),
    IssueStatus.RESPONDED: frozenset({IssueStatus.CLOSED, IssueStatus.ASSIGNED}),
    IssueStatus.CLOSED: frozenset({IssueStatus.ASSIGNED}),
    IssueStatus.DISMISSED: frozenset({IssueStatus.NEW}),
}


def _enum_values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def _one_of(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN (" + ", ".join(f"'{m.value}'" for m in enum) + ")"


_JSON = JSON().with_variant(JSONB(), "postgresql")


class TrackedIssue(Base):
    """An issue the office follows until it is answered and closed."""

    __tablename__ = "tracked_issues"
    __table_args__ = (
        CheckConstraint(_one_of("severity", Severity), name="severity"),
        CheckConstraint(_one_of("status", IssueStatus), name="status"),
        Index("ix_tracked_issues_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    category: Mapped[str | None] = mapped_column(String(100))
    severity: Mapped[Severity] = mapped_column(
        Enum(Severity, native_enum=False, length=32, values_callable=_enum_values),
        default=Severity.GENERAL,
    )
    status: Mapped[IssueStatus] = mapped_column(
        Enum(IssueStatus, native_enum=False, length=32, values_callable=_enum_values),
        default=IssueStatus.NEW,
    )
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Every UPDATE checks and bumps it, so two people editing one issue cannot both win.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<TrackedIssue {self.id} v{self.version} {self.status}>"


class TimelineEvent(Base):
    """One entry of an issue's append-only history: who did what, when."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_events_issue_id_at", "issue_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("tracked_issues.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(_JSON, default=dict)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# -- request and response shapes ----------------------------------------------------------------


class IssueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(default="", max_length=20_000)
    category: str | None = Field(default=None, max_length=100)
    severity: Severity = Severity.GENERAL
    lead_department_id: int | None = None


_NOT_NULL = ("title", "summary", "severity", "status")


class IssueUpdate(BaseModel):
    """Only the fields sent are changed; `version` (or an If-Match header) is the one edited."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: int | None = Field(default=None, ge=1)
    title: str | None = Field(default=None, min_length=1, max_length=300)
    summary: str | None = Field(default=None, max_length=20_000)
    category: str | None = Field(default=None, max_length=100)
    severity: Severity | None = None
    status: IssueStatus | None = None
    lead_department_id: int | None = None

    @model_validator(mode="after")
    def _no_nulls_where_required(self) -> IssueUpdate:
        for name in _NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"version"})


class IssueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    summary: str
    category: str | None
    severity: Severity
    status: IssueStatus
    lead_department_id: int | None
    created_at: datetime
    updated_at: datetime
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class TimelineEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    type: str
    actor_id: int | None
    payload: dict[str, Any]
    pinned: bool


class IssueDetail(IssueRead):
    timeline: list[TimelineEventRead]


class IssuePage(BaseModel):
    items: list[IssueRead]
    total: int
    limit: int
    offset: int
