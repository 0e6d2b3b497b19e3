"""The briefing tables and their request and response shapes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, RequestTime, UTCDateTime, utcnow


class BriefingKind(StrEnum):
    PRESS_RELEASE = "press_release"
    PRESS_CONFERENCE = "press_conference"
    ONLINE_INTERVIEW = "online_interview"
    POLICY_INTERPRETATION = "policy_interpretation"


BRIEFING_LABELS = {
    BriefingKind.PRESS_RELEASE: "新闻通稿",
    BriefingKind.PRESS_CONFERENCE: "新闻发布会",
    BriefingKind.ONLINE_INTERVIEW: "在线访谈",
    BriefingKind.POLICY_INTERPRETATION: "政策解读",
}

# Which clocks a linked briefing meets (at the briefing's time). Any briefing is a public
# statement; a press conference is also the press conference.
MEETS: dict[BriefingKind, tuple[str, ...]] = {
    BriefingKind.PRESS_RELEASE: ("first_statement", "response"),
    BriefingKind.ONLINE_INTERVIEW: ("first_statement", "response"),
    BriefingKind.PRESS_CONFERENCE: ("first_statement", "response", "press_conference"),
    BriefingKind.POLICY_INTERPRETATION: ("first_statement", "response", "policy_interpretation"),
}


class Briefing(Base):
    __tablename__ = "briefings"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k.value}'" for k in BriefingKind) + ")", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    url: Mapped[str | None] = mapped_column(String(2000))
    spokesperson: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BriefingIssue(Base):
    __tablename__ = "briefing_issues"

    briefing_id: Mapped[int] = mapped_column(
        ForeignKey("briefings.id", ondelete="CASCADE"), primary_key=True
    )
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("tracked_issues.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class BriefingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: BriefingKind
    title: str = Field(min_length=1, max_length=300)
    at: RequestTime
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    spokesperson: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=10_000)
    issue_ids: list[int] = Field(default_factory=list, max_length=100)


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_ids: list[int] = Field(min_length=1, max_length=100)


class BriefingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: BriefingKind
    title: str
    at: datetime
    url: str | None
    spokesperson: str | None
    note: str | None
    created_at: datetime
    issue_ids: list[int] = []
