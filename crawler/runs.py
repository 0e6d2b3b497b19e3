"""What a crawl needs from wherever runs are recorded: the source's marks from earlier runs,
and a record of each run. The tracker database implements it (`api.sources.recorder`); the
composition root hands it in, so the crawler never imports the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from core.errors import ConflictError


class RunStatus(StrEnum):
    """How a run ended."""

    RUNNING = "running"
    OK = "ok"
    # It ran to its end, but some items or pages failed (the errors and the quarantine say).
    PARTIAL = "partial"
    FAILED = "failed"
    # The source answered with its login wall: a credential must be renewed.
    AUTH_REQUIRED = "auth_required"
    # Not run: another worker holds the source, or crawled it moments ago (no run recorded).
    SKIPPED = "skipped"


class SourceBusy(ConflictError):
    """Another worker is crawling the source now, or finished it too recently to run again."""


@dataclass
class SourceMarks:
    """How far earlier runs of a source got: the newest post seen, and items to read again
    (board messages still waiting for their reply: native id -> URL)."""

    last_seen_at: datetime | None = None
    last_seen_id: str | None = None
    pending: dict[str, str] = field(default_factory=dict)


@dataclass
class RunSummary:
    """The outcome of one source's run, as printed and as recorded."""

    source: str
    status: str  # a RunStatus
    items_seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    quarantined: int = 0
    spooled: int = 0
    replayed: int = 0
    duration_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.status == RunStatus.SKIPPED:
            return f"{self.source}: skipped, {'; '.join(self.errors)} [skipped]"
        return (
            f"{self.source}: {self.items_seen} items, {self.created} new, {self.updated} updated,"
            f" {self.unchanged} unchanged, {self.failed + self.quarantined} failed"
            + (f", {self.spooled} spooled" if self.spooled else "")
            + (f", {self.replayed} replayed" if self.replayed else "")
            + f" in {self.duration_seconds:.1f}s [{self.status}]"
        )


class RunRecorder(Protocol):
    """Where runs are recorded, and how workers keep out of each other's way: `start` takes
    the source's lease (SourceBusy when another worker has it) and keeps it until `finish`."""

    def start(self, source: str, *, not_within: float | None = None) -> tuple[int, SourceMarks]:
        """Take the source's lease and record that a run began; its id and the source's marks.

        SourceBusy when another worker holds the source, or when `not_within` is given and a
        run of the source began less than that many seconds ago (a scheduled crawl that
        another worker has just done).
        """
        ...

    def finish(
        self, run_id: int, source: str, outcome: dict[str, Any], marks: SourceMarks | None
    ) -> None:
        """Record the run's outcome and, when it succeeded, the source's new marks; give the
        source's lease back."""
        ...

    def written(self, source: str, count: int) -> None:
        """`count` posts of `source` were just stored: nudge the clustering job."""
        ...
