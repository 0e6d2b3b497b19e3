"""Tracked issues, their timeline events, and the request and response shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    model_validator,
)
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, RequestTime, UTCDateTime, utcnow


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
    REOPENED = "reopened"


STATUS_LABELS = {
    IssueStatus.NEW: "新建",
    IssueStatus.TRIAGED: "已研判",
    IssueStatus.ASSIGNED: "已交办",
    IssueStatus.RESPONDED: "已回应",
    IssueStatus.CLOSED: "已办结",
    IssueStatus.DISMISSED: "已排除",
    IssueStatus.REOPENED: "已重启",
}

# Where an issue may go from each status: the one table every status change is checked
# against. A closed or dismissed issue comes back through `reopened`. Dismissing needs a
# reason, closing a resolution note (`REQUIRES`).
TRANSITIONS: dict[IssueStatus, frozenset[IssueStatus]] = {
    IssueStatus.NEW: frozenset({IssueStatus.TRIAGED, IssueStatus.ASSIGNED, IssueStatus.DISMISSED}),
    IssueStatus.TRIAGED: frozenset({IssueStatus.ASSIGNED, IssueStatus.DISMISSED}),
    IssueStatus.ASSIGNED: frozenset(
        {IssueStatus.RESPONDED, IssueStatus.TRIAGED, IssueStatus.DISMISSED}
    ),
    IssueStatus.RESPONDED: frozenset({IssueStatus.CLOSED, IssueStatus.ASSIGNED}),
    IssueStatus.CLOSED: frozenset({IssueStatus.REOPENED}),
    IssueStatus.DISMISSED: frozenset({IssueStatus.REOPENED}),
    IssueStatus.REOPENED: frozenset(
        {IssueStatus.TRIAGED, IssueStatus.ASSIGNED, IssueStatus.DISMISSED}
    ),
}
REQUIRES: dict[IssueStatus, str] = {
    IssueStatus.DISMISSED: "reason",
    IssueStatus.CLOSED: "resolution",
    IssueStatus.REOPENED: "reason",
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
        Index("ix_tracked_issues_updated_at_id", "updated_at", "id"),
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
    # When the office learnt of it: the SLA clocks start here.
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # First assignment to a lead department, and closure (cleared on reopening): the metrics.
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tags: Mapped[list[str]] = mapped_column(_JSON, default=list)
    resolution: Mapped[str | None] = mapped_column(Text)
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    # Policy interpretation clocks start at the policy's publication.
    policy_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set for a hotline work order: its reply clock depends on the category (咨询, 投诉, ...).
    hotline_category: Mapped[str | None] = mapped_column(String(50))
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


class IssueDepartment(Base):
    """A supporting department of an issue (the lead department is on the issue)."""

    __tablename__ = "issue_departments"

    issue_id: Mapped[int] = mapped_column(
        ForeignKey("tracked_issues.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)


class IssueLink(Base):
    """A hot issue or a post the tracked issue is about."""

    __tablename__ = "issue_links"
    __table_args__ = (
        CheckConstraint("kind IN ('hot_issue', 'post')", name="kind"),
        Index("ix_issue_links_kind_ref", "kind", "ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("tracked_issues.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaClock(Base):
    """One statutory deadline of an issue (see `api.issues.sla` for how it is judged)."""

    __tablename__ = "sla_clocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("tracked_issues.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(String(20))
    amount: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # as planned
    warn_at: Mapped[float] = mapped_column(Float, default=0.8)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met_by: Mapped[str | None] = mapped_column(String(100))  # e.g. "briefing:12"
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # [{"paused_at", "resumed_at", "reason", "actor_id"}], oldest first
    pauses: Mapped[list[dict[str, Any]]] = mapped_column(_JSON, default=list)
    warned: Mapped[list[str]] = mapped_column(_JSON, default=list)  # warning levels sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- request and response shapes ----------------------------------------------------------------


class IssueCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(default="", max_length=20_000)
    category: str | None = Field(default=None, max_length=100)
    severity: Severity = Severity.GENERAL
    lead_department_id: int | None = None
    detected_at: RequestTime | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    policy_published_at: RequestTime | None = None
    hotline_category: str | None = Field(default=None, max_length=50)
    supporting_department_ids: list[int] = Field(default_factory=list, max_length=50)
    hot_issue_ids: list[int] = Field(default_factory=list, max_length=50)
    post_ids: list[str] = Field(default_factory=list, max_length=500)


class PromoteRequest(BaseModel):
    """Turn a hot issue into a tracked issue."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    hot_issue_id: int
    severity: Severity = Severity.GENERAL
    lead_department_id: int | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    category: str | None = Field(default=None, max_length=100)


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=10_000)


class PinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pinned: bool = True


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)


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
    tags: list[str] | None = Field(default=None, max_length=50)
    # the reason for dismissing or reopening, the resolution when closing
    note: str | None = Field(default=None, max_length=20_000)

    @model_validator(mode="after")
    def _no_nulls_where_required(self) -> IssueUpdate:
        for name in _NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"version", "note"})


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
    detected_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None
    tags: list[str]
    resolution: str | None
    dismiss_reason: str | None
    policy_published_at: datetime | None
    hotline_category: str | None

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects decorators over @property
    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects decorators over @property
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
    clocks: list[Any] = []
    supporting_department_ids: list[int] = []
    hot_issue_ids: list[str] = []
    post_ids: list[str] = []
    briefing_ids: list[int] = []


class IssuePage(BaseModel):
    items: list[IssueRead]
    total: int
    limit: int
    offset: int
